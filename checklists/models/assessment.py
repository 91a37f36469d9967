"""Assessments: a team's checklist for a period, one attestation per control, evidence, reviews."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from checklists.models.catalog import Control, Provider


class Checklist(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="checklists")
    period = models.CharField(max_length=7, help_text="a quarter, e.g. 2026-Q4")
    providers = models.ManyToManyField(Provider, related_name="checklists")
    asvs_level = models.PositiveSmallIntegerField(
        default=0, help_text="0: no ASVS baseline; 1 or 2: every ASVS requirement up to that level"
    )
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("team", "-period")
        constraints = [
            models.UniqueConstraint(fields=("team", "period"), name="checklist_unique_team_period"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("checklists:checklist_detail", args=[self.team.slug, self.period])


class AnswerStatus(models.TextChoices):
    UNANSWERED = "unanswered", "Unanswered"
    IMPLEMENTED = "implemented", "Implemented"
    PARTIAL = "partial", "Partially implemented"
    NOT_IMPLEMENTED = "not-implemented", "Not implemented"
    NOT_APPLICABLE = "not-applicable", "Not applicable"


NEEDS_JUSTIFICATION = {
    AnswerStatus.PARTIAL,
    AnswerStatus.NOT_IMPLEMENTED,
    AnswerStatus.NOT_APPLICABLE,
}


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting review"
    CHANGES_REQUESTED = "changes-requested", "Changes requested"
    APPROVED = "approved", "Approved"


class Attestation(models.Model):
    """A team's answer to one control in one checklist."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="attestations")
    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="attestations")
    # Set when another control of the same equivalence group carries the answer.
    satisfied_through = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="covers"
    )
    # The earlier period's answer this one started from; its authors count for four-eyes.
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=AnswerStatus.choices, default=AnswerStatus.UNANSWERED
    )
    statement = models.TextField(blank=True)
    justification = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    review_state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    next_review_due = models.DateField(
        null=True, blank=True, help_text="for recurring controls: when the approval goes stale"
    )

    class Meta:
        ordering = ("checklist", "control__source__provider__name", "control__position")
        constraints = [
            models.UniqueConstraint(
                fields=("checklist", "control"), name="attestation_unique_control"
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    status=AnswerStatus.UNANSWERED,
                    review_state__in=(ReviewState.SUBMITTED, ReviewState.APPROVED),
                ),
                name="attestation_answered_before_review",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=sorted(NEEDS_JUSTIFICATION), justification=""),
                name="attestation_justified",
            ),
            models.CheckConstraint(
                condition=models.Q(satisfied_through__isnull=True)
                | models.Q(status=AnswerStatus.UNANSWERED, review_state=ReviewState.DRAFT),
                name="attestation_covered_holds_no_answer",
            ),
        ]
        indexes = [
            # The reviewers' queue: submitted attestations, oldest first.
            models.Index(fields=("review_state", "submitted_at"), name="attestation_queue_idx"),
            # The to-do's stale approvals: has the team approved this control again since?
            # (selectors.assessments._stale_approvals; index-only, a few entries per probe.)
            models.Index(
                fields=("control", "approved_at", "checklist"),
                condition=models.Q(review_state=ReviewState.APPROVED),
                name="attestation_reapproved_idx",
            ),
            # The to-do's stale approvals: the approvals of the person's teams' checklists
            # whose review date has passed (selectors.assessments._stale_approvals).
            models.Index(
                fields=("checklist", "next_review_due"),
                condition=models.Q(review_state=ReviewState.APPROVED),
                name="attestation_review_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.control.ref} in {self.checklist}"

    def get_absolute_url(self) -> str:
        return reverse(
            "checklists:attestation_detail",
            args=[self.checklist.team.slug, self.checklist.period, self.control.ref],
        )

    @property
    def is_stale(self) -> bool:
        from checklists import rules

        return rules.is_stale(
            review_state=self.review_state,
            next_review_due=self.next_review_due,
            today=timezone.localdate(),
        )


class AttestationVersion(models.Model):
    """A saved state of an attestation: who changed what, and when."""

    attestation = models.ForeignKey(Attestation, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=AnswerStatus.choices)
    statement = models.TextField(blank=True)
    justification = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    evidence_ids = models.JSONField(default=list)
    changed_fields = models.JSONField(default=list)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("attestation", "-number")
        constraints = [
            models.UniqueConstraint(
                fields=("attestation", "number"), name="attestation_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attestation_id} v{self.number}"


class EvidenceKind(models.TextChoices):
    FILE = "file", "File"
    LINK = "link", "Link"


class Evidence(models.Model):
    """A file or link a team offers as proof. Rows are never changed: a change is a new row."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="evidence")
    attestations = models.ManyToManyField(
        Attestation, through="EvidenceLink", related_name="evidence"
    )
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    description = models.CharField(max_length=500)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    blob_name = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-uploaded_at",)
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="file") & ~models.Q(blob_name="") & ~models.Q(sha256=""))
                | (models.Q(kind="link") & ~models.Q(url="")),
                name="evidence_file_or_link",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="evidence_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or self.url

    @property
    def was_scanned(self) -> bool:
        """Text files and the text of PDFs are scanned for secrets on upload; images cannot be."""
        return self.kind == EvidenceKind.FILE and not self.content_type.startswith("image/")

    @property
    def is_expired(self) -> bool:
        return self.valid_until is not None and self.valid_until < timezone.localdate()


class EvidenceLink(models.Model):
    """Evidence attached to an attestation; withdrawn links stay for the history."""

    attestation = models.ForeignKey(
        Attestation, on_delete=models.CASCADE, related_name="evidence_links"
    )
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("added_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("attestation", "evidence"),
                condition=models.Q(withdrawn_at__isnull=True),
                name="evidence_link_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return f"evidence {self.evidence_id} on {self.attestation_id}"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes-requested", "Changes requested"


class ReviewDecision(models.Model):
    """A reviewer's decision on one version. Final: reversing it is a new decision."""

    attestation = models.ForeignKey(Attestation, on_delete=models.CASCADE, related_name="decisions")
    version = models.PositiveIntegerField()
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("attestation", "-decided_at")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="changes-requested") | ~models.Q(comment=""),
                name="review_changes_need_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} v{self.version}"
