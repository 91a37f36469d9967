"""Shared set-up for the reminder and nightly tests: a frozen clock and obligations due on
chosen days."""

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from checklists.models import ObligationKind, Occurrence
from checklists.schedule import Rule
from checklists.services.obligations import obligation_create

WEDNESDAY = date(2026, 12, 9)
MONDAY = date(2026, 12, 7)


@contextmanager
def on(day: date):
    """The portal's clock stopped at 06:00 UTC on `day`, when the digest goes out."""
    with time_machine.travel(datetime.combine(day, time(6), tzinfo=UTC), tick=False):
        yield


def due_in(days: int, *, team, by, owner=None, title=None, today=WEDNESDAY, **kwargs) -> Occurrence:
    """An obligation whose open occurrence falls due `days` after `today` (negative: overdue)."""
    obligation = obligation_create(
        team=team,
        kind=kwargs.pop("kind", ObligationKind.CUSTOM),
        title=title or f"Duty due in {days} days",
        rule=Rule("days", 90),
        by=by,
        owner=owner,
        starts_on=today + timedelta(days=days),
        **kwargs,
    )
    return obligation.occurrences.get(done_at__isnull=True)


@pytest.fixture
def wednesday(db):
    with on(WEDNESDAY):
        yield WEDNESDAY
