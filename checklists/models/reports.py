"""Signed PDF reports: one row per requested or scheduled export."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class ReportScope(models.TextChoices):
    TEAM = "team", "Team"
    ORGANISATION = "organisation", "Organisation"


class ReportKind(models.TextChoices):
    DRAFT = "draft", "Draft (the period is still open)"
    FINAL = "final", "Final (the period has ended)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RequestedVia(models.TextChoices):
    WEB = "web", "the portal"
    SCHEDULE = "schedule", "the quarterly schedule"
    COMMAND = "command", "the export_report command"


ACTIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ReportExport(models.Model):
    """A report for a team (or the whole organisation) and a quarter.

    A finished export is never changed: its file, hash and signer stay as they were made. A
    failed one keeps its error and may be queued again (the same row).
    """

    scope = models.CharField(max_length=20, choices=ReportScope.choices)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_exports",
    )
    period = models.CharField(max_length=7, help_text="a quarter, e.g. 2026-Q4")
    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    # Empty for the quarterly schedule and the command line.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_via = models.CharField(
        max_length=10, choices=RequestedVia.choices, default=RequestedVia.WEB
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    sign_ms = models.PositiveIntegerField(null=True, blank=True)
    blob_name = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text="of the signed PDF")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    content_sha256 = models.CharField(
        max_length=64, blank=True, help_text="of the JSON attached to the PDF"
    )
    signer_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the signing certificate (DER)"
    )
    signer_subject = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-requested_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope=ReportScope.TEAM, team__isnull=False)
                | models.Q(scope=ReportScope.ORGANISATION, team__isnull=True),
                name="report_export_scope_team",
            ),
            # Asking again while an export is queued or running returns that one.
            models.UniqueConstraint(
                fields=("team", "period"),
                condition=models.Q(team__isnull=False, status__in=ACTIVE_STATUSES),
                name="report_export_one_active_per_team",
            ),
            models.UniqueConstraint(
                fields=("scope", "period"),
                condition=models.Q(team__isnull=True, status__in=ACTIVE_STATUSES),
                name="report_export_one_active_per_organisation",
            ),
            # A FINAL report is made once.
            models.UniqueConstraint(
                fields=("team", "period"),
                condition=models.Q(team__isnull=False, kind=ReportKind.FINAL),
                name="report_export_one_final_per_team",
            ),
            models.UniqueConstraint(
                fields=("scope", "period"),
                condition=models.Q(team__isnull=True, kind=ReportKind.FINAL),
                name="report_export_one_final_per_organisation",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ExportStatus.DONE)
                | (~models.Q(blob_name="") & ~models.Q(sha256="") & ~models.Q(content_sha256="")),
                name="report_export_done_has_file",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ExportStatus.FAILED) | ~models.Q(error=""),
                name="report_export_failed_has_error",
            ),
        ]
        indexes = [
            # The verify page finds the export a file came from by its hash.
            models.Index(fields=("sha256",), name="report_export_sha256_idx"),
            # A team's reports page lists its exports, newest first.
            models.Index(fields=("team", "-requested_at"), name="report_export_team_idx"),
        ]

    def __str__(self) -> str:
        subject = self.team.name if self.team_id else "Organisation"
        return f"{subject} {self.period} {self.get_kind_display().split(' ')[0]} report"

    def get_absolute_url(self) -> str:
        if self.team_id is None:
            return reverse("checklists:organisation_report_status", args=[self.pk])
        return reverse("checklists:report_status", args=[self.team.slug, self.pk])

    @property
    def requester_label(self) -> str:
        return (
            self.requested_by.get_username()
            if self.requested_by_id
            else self.get_requested_via_display()
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def download_name(self) -> str:
        subject = self.team.slug if self.team_id else "organisation"
        return f"{subject}-{self.period}-{self.kind}-report-{self.pk}.pdf"
