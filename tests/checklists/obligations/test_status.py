"""An occurrence's status over time, and `status` and `status_q` telling the same story."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from checklists import schedule
from checklists.models import Obligation, ObligationKind, Occurrence
from checklists.schedule import DUE_SOON_DAYS, Status, status_of
from checklists.services import obligations as services
from tests.checklists.obligations.helpers import frozen, make_obligation, open_occurrence

DUE = date(2027, 3, 31)


def _status(occurrence) -> Status:
    occurrence.refresh_from_db()
    return status_of(occurrence, timezone.localdate())


def test_a_rotation_moves_from_upcoming_to_done(team, lead, member):
    with frozen(date(2027, 1, 4)):
        rotation = make_obligation(
            team, lead, kind=ObligationKind.KEY_ROTATION, starts_on=DUE, title="Rotate the key"
        )
        occurrence = open_occurrence(rotation)
        assert occurrence.due_on == DUE
        assert _status(occurrence) == Status.UPCOMING
    with frozen(DUE - timedelta(days=DUE_SOON_DAYS + 1)):
        assert _status(occurrence) == Status.UPCOMING
    with frozen(DUE - timedelta(days=DUE_SOON_DAYS)):  # 14 days before
        assert _status(occurrence) == Status.DUE_SOON
    with frozen(DUE):
        assert _status(occurrence) == Status.DUE_SOON
    with frozen(DUE + timedelta(days=1)):  # the day after it was due
        assert _status(occurrence) == Status.OVERDUE
        services.occurrence_complete(occurrence=occurrence, by=member, note="Rotated in the vault.")
        assert _status(occurrence) == Status.AWAITING_CONFIRMATION
        services.occurrence_confirm(occurrence=occurrence, by=lead)
        assert _status(occurrence) == Status.DONE
        following = open_occurrence(rotation)
        assert following.due_on == DUE + timedelta(days=1 + 30)
        assert _status(following) == Status.UPCOMING


def test_a_non_rotation_skips_confirmation(team, lead, member):
    with frozen(DUE):
        obligation = make_obligation(team, lead, starts_on=DUE)
        occurrence = open_occurrence(obligation)
        services.occurrence_complete(occurrence=occurrence, by=member, note="Reviewed.")
        assert _status(occurrence) == Status.DONE


@pytest.mark.parametrize(
    ("completed", "done", "due_offset", "expected"),
    [
        (False, False, 15, Status.UPCOMING),
        (False, False, 14, Status.DUE_SOON),
        (False, False, 0, Status.DUE_SOON),
        (False, False, -1, Status.OVERDUE),
        (True, False, -30, Status.AWAITING_CONFIRMATION),
        (True, False, 30, Status.AWAITING_CONFIRMATION),
        (True, True, -30, Status.DONE),
        (True, True, 30, Status.DONE),
    ],
)
def test_status_from_dates(completed, done, due_offset, expected):
    today = date(2027, 6, 15)
    due = today + timedelta(days=due_offset)
    assert schedule.status(due_on=due, today=today, completed=completed, done=done) == expected


def test_status_and_status_q_agree_on_real_rows(team, lead, member):
    """Open occurrences due from 20 days ago to 20 days ahead, the same completed and awaiting
    a second person, and done ones: every row is in exactly the status `status` gives it,
    whichever form asks."""
    today = date(2027, 6, 15)
    with frozen(today):
        for offset in range(-20, 21):
            starts_on = today + timedelta(days=offset)
            make_obligation(team, lead, starts_on=starts_on, title=f"Duty {offset}")
            rotation = make_obligation(
                team,
                lead,
                kind=ObligationKind.KEY_ROTATION,
                starts_on=starts_on,
                title=f"Rotation {offset}",
            )
            services.occurrence_complete(
                occurrence=open_occurrence(rotation), by=member, note="Rotated."
            )
            if offset % 5 == 0:
                services.occurrence_confirm(occurrence=open_occurrence(rotation), by=lead)
        rows = list(Occurrence.objects.all())
        by_python = {status: set() for status in Status}
        for row in rows:
            by_python[status_of(row, today)].add(row.pk)
        seen = set()
        for status in Status:
            by_sql = set(
                Occurrence.objects.filter(schedule.status_q(status, today)).values_list(
                    "pk", flat=True
                )
            )
            assert by_sql == by_python[status], status
            assert not by_sql & seen
            seen |= by_sql
            # The prefixed form, on the obligations that hold such an occurrence.
            holders = set(
                Obligation.objects.filter(
                    schedule.status_q(status, today, prefix="occurrences__")
                ).values_list("pk", flat=True)
            )
            assert holders == {row.obligation_id for row in rows if row.pk in by_python[status]}
        assert seen == {row.pk for row in rows}
        assert all(by_python[status] for status in Status)  # every status was exercised
