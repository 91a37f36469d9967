"""Access reviews: a team's periodic check of who can act on a system, account by account."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class CampaignState(models.TextChoices):
    DRAFT = "draft", "Draft: roster being loaded"
    IN_REVIEW = "in-review", "In review"
    PENDING_ACTIONS = "pending-actions", "Pending actions"
    COMPLETED = "completed", "Completed"


class AccessReview(models.Model):
    """One campaign: the accounts of one team's system for one period, frozen once the review
    starts, each decided, and compared with the last completed campaign of the same system."""

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="access_reviews"
    )
    system = models.CharField(max_length=120, help_text="e.g. the CodePay merchant platform")
    period = models.CharField(max_length=7, help_text="a quarter, e.g. 2026-Q4")
    state = models.CharField(
        max_length=20, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    roster_name = models.CharField(max_length=200, blank=True)
    roster_sha256 = models.CharField(max_length=64, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # The sealed result: the roster's hash and every decision, as recorded at completion.
    result = models.JSONField(null=True, blank=True)
    # The team's access-review duty this campaign keeps; completing the campaign completes its
    # open occurrence (recorded in `occurrence`).
    obligation = models.ForeignKey(
        "checklists.Obligation", on_delete=models.PROTECT, related_name="access_reviews"
    )
    occurrence = models.ForeignKey(
        "checklists.Occurrence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_reviews",
    )
    # None when created by `manage.py access_review_import`.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("team", "-period", "system")
        constraints = [
            models.UniqueConstraint(
                fields=("team", "system", "period"), name="access_review_unique_period"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="completed")
                | models.Q(completed_at__isnull=False, completed_by__isnull=False),
                name="access_review_completed_by_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(started_at__isnull=False),
                name="access_review_started_when_past_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("checklists:access_review_detail", args=[self.team.slug, self.pk])


class EntryChange(models.TextChoices):
    NEW = "new", "New"
    UNCHANGED = "unchanged", "Unchanged"
    ROLE_CHANGED = "role-changed", "Role changed"
    REMOVED = "removed", "Removed"


class AccessDecisionKind(models.TextChoices):
    KEEP = "keep", "Keep"
    CHANGE_ROLE = "change-role", "Change role"
    REVOKE = "revoke", "Revoke"


class AccessEntry(models.Model):
    """One account of the roster (or, marked removed, one that vanished since last time)."""

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="entries")
    account = models.CharField(max_length=200)
    person = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=120, blank=True)
    privileged = models.BooleanField(default=False)
    mfa = models.BooleanField(default=False)
    last_login = models.DateField(null=True, blank=True)
    created = models.DateField(null=True, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True, help_text="the roster's line")
    change = models.CharField(max_length=20, choices=EntryChange.choices, default=EntryChange.NEW)
    previous_role = models.CharField(max_length=120, blank=True)
    # Flags, computed on import.
    shared = models.BooleanField(default=False, help_text="no named person, or a generic name")
    dormant = models.BooleanField(default=False, help_text="no login for 90 days")
    privileged_without_mfa = models.BooleanField(default=False)
    not_a_member = models.BooleanField(default=False, help_text="nobody of the team by e-mail")
    # The current decision; every decision is also kept in AccessDecision.
    decision = models.CharField(max_length=20, choices=AccessDecisionKind.choices, blank=True)
    new_role = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # A revocation or role change, once carried out on the system.
    action_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_done_at = models.DateTimeField(null=True, blank=True)
    action_note = models.TextField(blank=True)

    class Meta:
        ordering = ("review", "account")
        verbose_name_plural = "access entries"
        constraints = [
            models.UniqueConstraint(fields=("review", "account"), name="access_entry_unique"),
            models.CheckConstraint(
                condition=~models.Q(decision="change-role") | ~models.Q(new_role=""),
                name="access_entry_change_names_role",
            ),
            models.CheckConstraint(
                condition=models.Q(action_done_at__isnull=True)
                | models.Q(decision__in=("change-role", "revoke")),
                name="access_entry_action_needs_decision",
            ),
        ]

    def __str__(self) -> str:
        return self.account

    @property
    def flagged(self) -> bool:
        return self.shared or self.dormant or self.privileged_without_mfa or self.not_a_member


class AccessDecision(models.Model):
    """Every decision taken on an entry, in order: append-only."""

    entry = models.ForeignKey(AccessEntry, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=AccessDecisionKind.choices)
    new_role = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("entry", "at", "pk")

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.entry}"
