"""What must recur: a team's obligations and each time one falls due (an occurrence)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from checklists.models.assessment import Evidence
from checklists.models.catalog import Control, EquivalenceGroup, ObligationKind, Provider


class Cadence(models.TextChoices):
    EVERY_N_DAYS = "days", "Every N days"
    QUARTERLY = "quarterly", "Every quarter, on a given day"
    YEARLY = "yearly", "Every year, on a given day"


class Obligation(models.Model):
    """A team's recurring duty, the rule that says when it falls due, and who owns it.

    It came from one of: a recurring control or equivalence group of the team's checklists,
    a credential (its rotation), a provider's incident contacts (their verification), or a
    person (custom). At most one obligation per team for each origin.
    """

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="obligations")
    kind = models.CharField(max_length=30, choices=ObligationKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    controls = models.ManyToManyField(Control, blank=True, related_name="obligations")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.EVERY_N_DAYS)
    interval_days = models.PositiveIntegerField(null=True, blank=True)
    # Quarterly: the month within the quarter (1-3); yearly: the month (1-12).
    month = models.PositiveSmallIntegerField(null=True, blank=True)
    # The day of that month; a day the month lacks means its last day.
    day = models.PositiveSmallIntegerField(null=True, blank=True)
    starts_on = models.DateField(default=timezone.localdate)
    implied_by_control = models.ForeignKey(
        Control, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    implied_by_group = models.ForeignKey(
        EquivalenceGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credential = models.ForeignKey(
        "checklists.Credential",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    # None when created by a command (e.g. `access_review_import` without --by).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("team", "title")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(cadence=Cadence.EVERY_N_DAYS, interval_days__gte=1)
                    & models.Q(month__isnull=True, day__isnull=True)
                )
                | models.Q(
                    cadence=Cadence.QUARTERLY,
                    interval_days__isnull=True,
                    month__gte=1,
                    month__lte=3,
                    day__gte=1,
                    day__lte=31,
                )
                | models.Q(
                    cadence=Cadence.YEARLY,
                    interval_days__isnull=True,
                    month__gte=1,
                    month__lte=12,
                    day__gte=1,
                    day__lte=31,
                ),
                name="obligation_rule_complete",
            ),
            models.UniqueConstraint(
                fields=("team", "implied_by_control"),
                condition=models.Q(implied_by_control__isnull=False),
                name="obligation_one_per_control",
            ),
            models.UniqueConstraint(
                fields=("team", "implied_by_group"),
                condition=models.Q(implied_by_group__isnull=False),
                name="obligation_one_per_group",
            ),
            models.UniqueConstraint(
                fields=("team", "credential"),
                condition=models.Q(credential__isnull=False),
                name="obligation_one_per_credential",
            ),
            models.UniqueConstraint(
                fields=("team", "provider"),
                condition=models.Q(provider__isnull=False),
                name="obligation_one_per_provider_contacts",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("checklists:obligation_detail", args=[self.team.slug, self.pk])


class Occurrence(models.Model):
    """One time an obligation falls due. Done once completed (and, where the kind asks for a
    second person, confirmed); from then on it never changes."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="occurrences")
    scheduled_on = models.DateField(editable=False)
    due_on = models.DateField()
    due_change_reason = models.TextField(blank=True)
    # Bumped on every change, so calendar clients replace the event they hold.
    sequence = models.PositiveIntegerField(default=0)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # The day the duty was done (it may be recorded a few days later); the next occurrence is
    # scheduled from it.
    completed_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="occurrences")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # When the nightly run recorded that it went overdue (once).
    overdue_noted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("due_on", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("obligation",),
                condition=models.Q(done_at__isnull=True),
                name="occurrence_one_open_per_obligation",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    completed_at__isnull=True, completed_by__isnull=True, completed_on__isnull=True
                )
                | models.Q(
                    completed_at__isnull=False,
                    completed_by__isnull=False,
                    completed_on__isnull=False,
                ),
                name="occurrence_completed_by_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True)
                | models.Q(completed_at__isnull=False),
                name="occurrence_confirmed_after_completed",
            ),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(completed_at__isnull=False),
                name="occurrence_done_after_completed",
            ),
            models.CheckConstraint(
                condition=~models.Q(confirmed_by=models.F("completed_by")),
                name="occurrence_confirmed_by_another",
            ),
        ]
        indexes = [
            # The schedule, the reminders and the nightly run: open occurrences by due date.
            models.Index(
                fields=("due_on",),
                condition=models.Q(done_at__isnull=True),
                name="occurrence_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.obligation} due {self.due_on}"

    def get_absolute_url(self) -> str:
        return reverse(
            "checklists:occurrence_detail",
            args=[self.obligation.team.slug, self.obligation_id, self.pk],
        )
