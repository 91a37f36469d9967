"""What falls due: a team's (or several teams') open occurrences and the approvals going stale,
as one list for the schedule pages, and the occurrences a person's calendar feed carries.

Two queries whatever the number of teams: the open occurrences and the approved answers in
the window, merged in Python (both are bounded by the window: one open occurrence per
obligation, one approval per control and checklist).
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from checklists import rules
from checklists.models import (
    Attestation,
    CalendarFeed,
    DigestFrequency,
    Occurrence,
    ReminderPreference,
    ReviewState,
)
from checklists.schedule import Status, status
from portal.accounts.models import Team
from portal.accounts.permissions import teams_for

SCHEDULE_DAYS = 90
# The calendar feed: overdue occurrences this far back, and what falls due this far ahead.
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365

KIND_STALE_ANSWER = "Approved answer"


@dataclass(frozen=True)
class ScheduleItem:
    kind: str
    title: str
    team: Team
    owner: object | None
    due_on: date
    status: Status
    status_label: str
    url: str

    @property
    def is_overdue(self) -> bool:
        return self.status == Status.OVERDUE


def _open_occurrences(teams: QuerySet[Team]) -> QuerySet[Occurrence]:
    return Occurrence.objects.filter(
        obligation__team__in=teams,
        obligation__retired_at__isnull=True,
        done_at__isnull=True,
    ).select_related("obligation__team", "obligation__owner")


def _occurrence_items(teams: QuerySet[Team], *, today: date, until: date) -> list[ScheduleItem]:
    items = []
    for occurrence in _open_occurrences(teams).filter(due_on__lte=until):
        obligation = occurrence.obligation
        state = status(
            due_on=occurrence.due_on,
            today=today,
            completed=occurrence.completed_at is not None,
            done=False,
        )
        items.append(
            ScheduleItem(
                kind=obligation.get_kind_display(),
                title=obligation.title,
                team=obligation.team,
                owner=obligation.owner,
                due_on=occurrence.due_on,
                status=state,
                status_label=state.label,
                url=occurrence.get_absolute_url(),
            )
        )
    return items


def _stale_label(state: Status) -> str:
    if state == Status.OVERDUE:
        return "Stale: review overdue"
    return "Review due soon" if state == Status.DUE_SOON else "Review upcoming"


def _answer_items(teams: QuerySet[Team], *, today: date, until: date) -> list[ScheduleItem]:
    """Approved answers gone stale, or going stale by `until` (the latest approval of each
    control in each team)."""
    going_stale = Q(
        review_state=ReviewState.APPROVED,
        next_review_due__gte=today,
        next_review_due__lte=until,
    )
    approved_again = Attestation.objects.filter(
        checklist__team=OuterRef("checklist__team"),
        control=OuterRef("control"),
        review_state=ReviewState.APPROVED,
        approved_at__gt=OuterRef("approved_at"),
    )
    answers = (
        Attestation.objects.filter(rules.stale_q(today) | going_stale, checklist__team__in=teams)
        # An earlier period's approval of a control the team has approved again since.
        .exclude(Exists(approved_again))
        .select_related("checklist__team", "control", "owner")
    )
    items = []
    for answer in answers:
        state = status(due_on=answer.next_review_due, today=today, completed=False, done=False)
        items.append(
            ScheduleItem(
                kind=KIND_STALE_ANSWER,
                title=f"{answer.control.ref} {answer.control.title} ({answer.checklist.period})",
                team=answer.checklist.team,
                owner=answer.owner,
                due_on=answer.next_review_due,
                status=state,
                status_label=_stale_label(state),
                url=answer.get_absolute_url(),
            )
        )
    return items


def schedule_across(
    teams_queryset: QuerySet[Team], *, today: date, days: int = SCHEDULE_DAYS
) -> list[ScheduleItem]:
    """Everything open that falls due by `today + days` in these teams: overdue first, then
    by due date."""
    until = today + timedelta(days=days)
    items = _occurrence_items(teams_queryset, today=today, until=until) + _answer_items(
        teams_queryset, today=today, until=until
    )
    return sorted(
        items, key=lambda item: (not item.is_overdue, item.due_on, item.team.name, item.title)
    )


def team_schedule(team: Team, *, today: date, days: int = SCHEDULE_DAYS) -> list[ScheduleItem]:
    return schedule_across(Team.objects.filter(pk=team.pk), today=today, days=days)


# --- Notifications -------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_feed_for_token(token: str) -> CalendarFeed | None:
    """The feed this token opens: unknown, revoked and deactivated owners' tokens open none."""
    return (
        CalendarFeed.objects.filter(
            token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )


def active_feed(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def digest_frequency(user) -> str:
    preference = ReminderPreference.objects.filter(user=user).first()
    return preference.frequency if preference else DigestFrequency.DAILY


def feed_occurrences(user, *, today: date) -> QuerySet[Occurrence]:
    """The open occurrences the person's calendar carries: in every team they may view, from
    a little while back (overdue ones) to a year ahead."""
    return _open_occurrences(teams_for(user, "view_team")).filter(
        due_on__gte=today - timedelta(days=FEED_DAYS_BACK),
        due_on__lte=today + timedelta(days=FEED_DAYS_AHEAD),
    )
