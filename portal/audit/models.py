"""The audit trail: a hash chain of events, its head, and signed checkpoints of the head.

Rows are only ever appended, by `portal.audit.services`; on PostgreSQL triggers reject UPDATE,
DELETE and TRUNCATE (see migrations/0002_append_only.py). How an event's hash is computed is
documented in `portal.audit.chain`.
"""

from django.conf import settings
from django.db import models

from portal.audit.chain import GENESIS_HASH

CHAIN_HEAD_ID = 1


class AuditEvent(models.Model):
    """One recorded state change: who, what, on which object and team, why and how."""

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
    # The username at the time (or the username tried, for failed sign-ins); kept if the user goes.
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The canonical rules the hash follows (see portal.audit.chain); rows from before version 2
    # read 1.
    canonical_version = models.PositiveSmallIntegerField(db_default=1)
    # HMAC-SHA256 of the hash under AUDIT_MAC_KEY (portal.audit.mac); empty before version 2.
    mac = models.CharField(max_length=64, blank=True, db_default="")

    class Meta:
        ordering = ("-sequence",)
        indexes = [
            # The audit pages page by sequence within a team, an action, an actor or an object.
            models.Index(fields=("team", "sequence"), name="audit_team_seq_idx"),
            models.Index(fields=("action", "sequence"), name="audit_action_seq_idx"),
            models.Index(fields=("actor_label", "sequence"), name="audit_actor_seq_idx"),
            models.Index(
                fields=("object_type", "object_id", "sequence"), name="audit_object_seq_idx"
            ),
            # The date-range filter of the audit pages.
            models.Index(fields=("created_at",), name="audit_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"


class AuditChainHead(models.Model):
    """The single row holding the chain's last sequence and hash.

    `services.record` locks it (select_for_update) for every append, so concurrent writers
    queue up and the chain stays strictly linear.
    """

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=CHAIN_HEAD_ID), name="audit_chain_head_single_row"
            ),
        ]

    def __str__(self) -> str:
        return f"head #{self.last_sequence} {self.last_hash[:12]}"


class AuditCheckpoint(models.Model):
    """A signed statement "the chain had this hash at this sequence at this time"."""

    sequence = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=64)
    signature = models.TextField()  # base64

    class Meta:
        ordering = ("-sequence", "-id")
        indexes = [
            # Verification and the status line read the latest checkpoint.
            models.Index(fields=("sequence",), name="audit_checkpoint_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence} {self.hash[:12]}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Being prepared"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class AuditExport(models.Model):
    """An export too large to stream within a request: prepared by a Celery task into a
    private file, which the person who asked for it downloads when it is ready."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    export_format = models.CharField(max_length=10, choices=[("csv", "CSV"), ("jsonl", "JSONL")])
    filters = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file_name = models.CharField(max_length=100, blank=True)
    lines = models.PositiveBigIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-requested_at",)

    def __str__(self) -> str:
        return f"audit export {self.pk} ({self.get_status_display()})"

    @property
    def download_name(self) -> str:
        return f"audit-events.{self.export_format}"
