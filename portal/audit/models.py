from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One recorded state change. Rows are only ever appended (see services.record)."""

    sequence = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    # No database constraint and no cascade: deleting a user or team must never touch the trail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("-sequence",)
        indexes = [
            # The audit pages filter by team, action or object and page by sequence.
            models.Index(fields=("team", "sequence"), name="audit_team_seq_idx"),
            models.Index(fields=("action", "sequence"), name="audit_action_seq_idx"),
            models.Index(fields=("object_type", "object_id"), name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"
