"""When obligations fall due: the rule arithmetic and an occurrence's status, as pure functions.

A rule is every N days, or quarterly or yearly on a given day. A day the month lacks (the 31st
of a 30-day month, 29 February outside leap years) means the month's last day.

The next occurrence is scheduled from the day the duty was done: N days after it, or the
first quarterly or yearly date after it. A duty done early never lands the next occurrence
on the date just kept: a calendar rule's next date also comes after the one it replaces.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.db.models import Q

from checklists.models.obligations import Cadence

DUE_SOON_DAYS = 14
MAX_INTERVAL_DAYS = 3660
MONTH_NAMES = list(calendar.month_name)
# The most days each month can have (February in a leap year).
_LONGEST = [0, *(calendar.monthrange(2028, month)[1] for month in range(1, 13))]


def _on(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Rule:
    cadence: str
    interval_days: int | None = None
    month: int | None = None
    day: int | None = None

    @classmethod
    def of(cls, obligation) -> "Rule":
        return cls(obligation.cadence, obligation.interval_days, obligation.month, obligation.day)

    def check(self) -> tuple[str, str] | None:
        """What is wrong with the rule and the field it is about ("cadence", "interval_days",
        "month" or "day"); None if the rule is whole."""
        if self.cadence == Cadence.EVERY_N_DAYS:
            if not self.interval_days or not 1 <= self.interval_days <= MAX_INTERVAL_DAYS:
                return "interval_days", f"Give the interval in days, from 1 to {MAX_INTERVAL_DAYS}."
            if self.month or self.day:
                return "cadence", "An every-N-days rule takes no month or day."
            return None
        if self.cadence not in (Cadence.QUARTERLY, Cadence.YEARLY):
            return "cadence", "Choose every N days, quarterly or yearly."
        if self.interval_days:
            return "cadence", "A quarterly or yearly rule takes a month and a day, not an interval."
        months = 3 if self.cadence == Cadence.QUARTERLY else 12
        if not self.month or not 1 <= self.month <= months:
            which = "of the quarter (1 to 3)" if months == 3 else "(1 to 12)"
            return "month", f"Give the month {which}."
        if not self.day or not 1 <= self.day <= 31:
            return "day", "Give the day of the month (1 to 31)."
        if self.cadence == Cadence.YEARLY and self.day > _LONGEST[self.month]:
            return "day", f"{MONTH_NAMES[self.month]} has at most {_LONGEST[self.month]} days."
        return None

    def problem(self) -> str | None:
        """What is wrong with the rule, for the person who typed it; None if it is whole."""
        found = self.check()
        return found[1] if found else None

    def _dates_from(self, start: date):
        """This rule's calendar dates from the period containing `start` onwards."""
        if self.cadence == Cadence.QUARTERLY:
            year, quarter = start.year, (start.month - 1) // 3
            while True:
                yield _on(year, 3 * quarter + self.month, self.day)
                year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
        else:
            year = start.year
            while True:
                yield _on(year, self.month, self.day)
                year += 1

    def first_on_or_after(self, start: date) -> date:
        if self.cadence == Cadence.EVERY_N_DAYS:
            return start
        return next(d for d in self._dates_from(start) if d >= start)

    def next_after(self, *, done_on: date, scheduled_on: date) -> date:
        if self.cadence == Cadence.EVERY_N_DAYS:
            return done_on + timedelta(days=self.interval_days)
        after = max(done_on, scheduled_on)
        return next(d for d in self._dates_from(after) if d > after)

    def describe(self) -> str:
        """The rule in words, e.g. "every 90 days", "every year, on 29 February (28 February
        in other years)"."""
        if self.cadence == Cadence.EVERY_N_DAYS:
            return "every day" if self.interval_days == 1 else f"every {self.interval_days} days"
        if self.cadence == Cadence.QUARTERLY:
            ordinal = {1: "first", 2: "second", 3: "third"}[self.month]
            shortest = min(_LONGEST[month] for month in range(self.month, 13, 3))
            last = " (or that month's last day)" if self.day > shortest else ""
            return f"every quarter, on day {self.day} of its {ordinal} month{last}"
        words = f"every year, on {self.day} {MONTH_NAMES[self.month]}"
        if self.month == 2 and self.day == 29:
            words += " (28 February in other years)"
        return words


class Status(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due-soon"
    UPCOMING = "upcoming"
    AWAITING_CONFIRMATION = "awaiting-confirmation"
    DONE = "done"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.OVERDUE: "Overdue",
    Status.DUE_SOON: "Due soon",
    Status.UPCOMING: "Upcoming",
    Status.AWAITING_CONFIRMATION: "Awaiting confirmation",
    Status.DONE: "Done",
}


def status(*, due_on: date, today: date, completed: bool, done: bool) -> Status:
    """An occurrence's status, from its dates alone."""
    if done:
        return Status.DONE
    if completed:
        return Status.AWAITING_CONFIRMATION
    if due_on < today:
        return Status.OVERDUE
    if due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return Status.DUE_SOON
    return Status.UPCOMING


def status_of(occurrence, today: date) -> Status:
    """`status` of an occurrence row."""
    return status(
        due_on=occurrence.due_on,
        today=today,
        completed=occurrence.completed_at is not None,
        done=occurrence.done_at is not None,
    )


def status_q(wanted: Status, today: date, prefix: str = "") -> Q:
    """The same statuses as a filter on occurrences (or, with a prefix, on related rows).

    No negation: across a relation (`prefix="occurrences__"`) Django reads a negated lookup
    as "no related row matches", which is another question."""
    p = prefix
    open_ = Q(**{f"{p}done_at__isnull": True})
    not_completed = Q(**{f"{p}completed_at__isnull": True})
    soon = today + timedelta(days=DUE_SOON_DAYS)
    return {
        Status.DONE: Q(**{f"{p}done_at__isnull": False}),
        Status.AWAITING_CONFIRMATION: open_ & Q(**{f"{p}completed_at__isnull": False}),
        Status.OVERDUE: open_ & not_completed & Q(**{f"{p}due_on__lt": today}),
        Status.DUE_SOON: open_
        & not_completed
        & Q(**{f"{p}due_on__gte": today, f"{p}due_on__lte": soon}),
        Status.UPCOMING: open_ & not_completed & Q(**{f"{p}due_on__gt": soon}),
    }[wanted]
