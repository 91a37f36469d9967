"""The rule arithmetic: pure functions, no database."""

from datetime import date, timedelta

import pytest

from checklists.schedule import MAX_INTERVAL_DAYS, Rule

D = date


def days(n: int) -> Rule:
    return Rule("days", n)


def quarterly(month: int, day: int) -> Rule:
    return Rule("quarterly", None, month, day)


def yearly(month: int, day: int) -> Rule:
    return Rule("yearly", None, month, day)


# --- Every N days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done_on", "interval", "expected"),
    [
        (D(2028, 2, 29), 365, D(2029, 2, 28)),  # from a leap day, a year of days
        (D(2027, 2, 28), 1, D(2027, 3, 1)),  # no 29 February in 2027
        (D(2028, 2, 28), 1, D(2028, 2, 29)),  # a leap day in 2028
        (D(2028, 2, 28), 365, D(2029, 2, 27)),  # 365 days across a leap day
        (D(2026, 1, 31), 30, D(2026, 3, 2)),  # across a short February
        (D(2026, 4, 30), 1, D(2026, 5, 1)),  # a month end
        (D(2026, 12, 31), 1, D(2027, 1, 1)),  # a year end
        (D(2026, 12, 20), 30, D(2027, 1, 19)),  # across a year end
        (D(2026, 11, 15), 90, D(2027, 2, 13)),
    ],
)
def test_every_n_days_counts_days_from_the_day_it_was_done(done_on, interval, expected):
    rule = days(interval)
    assert rule.next_after(done_on=done_on, scheduled_on=done_on) == expected
    assert expected - done_on == timedelta(days=interval)


@pytest.mark.parametrize("offset", [-20, -1, 0, 1, 45])
def test_every_n_days_counts_from_the_day_done_whether_early_or_late(offset):
    scheduled = D(2027, 3, 10)
    done_on = scheduled + timedelta(days=offset)
    assert days(30).next_after(done_on=done_on, scheduled_on=scheduled) == done_on + timedelta(30)


@pytest.mark.parametrize("start", [D(2026, 1, 31), D(2028, 2, 29), D(2026, 12, 31)])
def test_every_n_days_is_first_due_on_its_start(start):
    assert days(90).first_on_or_after(start) == start


# --- Quarterly ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        # day 31 in a 30-day month: the month's last day
        (quarterly(1, 31), D(2026, 2, 1), D(2026, 4, 30)),
        (quarterly(1, 31), D(2026, 5, 1), D(2026, 7, 31)),
        (quarterly(3, 31), D(2026, 4, 1), D(2026, 6, 30)),
        (quarterly(3, 31), D(2026, 7, 1), D(2026, 9, 30)),
        (quarterly(3, 31), D(2026, 10, 1), D(2026, 12, 31)),
        # February, outside and in a leap year
        (quarterly(2, 31), D(2026, 1, 1), D(2026, 2, 28)),
        (quarterly(2, 31), D(2028, 1, 1), D(2028, 2, 29)),
        (quarterly(2, 29), D(2027, 1, 10), D(2027, 2, 28)),
        (quarterly(2, 29), D(2028, 1, 10), D(2028, 2, 29)),
        (quarterly(2, 30), D(2027, 12, 1), D(2028, 2, 29)),
        # on the date itself, and the day after it
        (quarterly(2, 31), D(2026, 8, 31), D(2026, 8, 31)),
        (quarterly(2, 31), D(2026, 9, 1), D(2026, 11, 30)),
        # across a year end
        (quarterly(1, 15), D(2026, 12, 20), D(2027, 1, 15)),
        (quarterly(3, 31), D(2026, 12, 31), D(2026, 12, 31)),
    ],
)
def test_quarterly_first_on_or_after(rule, start, expected):
    assert rule.first_on_or_after(start) == expected


@pytest.mark.parametrize(
    ("rule", "scheduled", "done_on", "expected"),
    [
        # early: the next date still comes after the one it replaces
        (quarterly(2, 31), D(2026, 5, 31), D(2026, 5, 10), D(2026, 8, 31)),
        (quarterly(2, 31), D(2026, 5, 31), D(2026, 3, 20), D(2026, 8, 31)),
        (quarterly(1, 1), D(2027, 1, 1), D(2026, 12, 30), D(2027, 4, 1)),
        # exactly on the date
        (quarterly(2, 31), D(2026, 5, 31), D(2026, 5, 31), D(2026, 8, 31)),
        (quarterly(3, 31), D(2026, 12, 31), D(2026, 12, 31), D(2027, 3, 31)),
        # late, and so late the following date has passed too
        (quarterly(2, 31), D(2026, 5, 31), D(2026, 6, 10), D(2026, 8, 31)),
        (quarterly(2, 31), D(2026, 5, 31), D(2026, 9, 2), D(2026, 11, 30)),
        (quarterly(2, 31), D(2026, 5, 31), D(2026, 8, 31), D(2026, 11, 30)),
        # February in leap and other years
        (quarterly(2, 29), D(2027, 11, 29), D(2027, 11, 29), D(2028, 2, 29)),
        (quarterly(2, 29), D(2028, 11, 29), D(2028, 11, 29), D(2029, 2, 28)),
        (quarterly(2, 31), D(2027, 11, 30), D(2027, 11, 30), D(2028, 2, 29)),
    ],
)
def test_quarterly_next_after(rule, scheduled, done_on, expected):
    following = rule.next_after(done_on=done_on, scheduled_on=scheduled)
    assert following == expected
    assert following > scheduled and following > done_on


@pytest.mark.parametrize(
    "rule", [quarterly(1, 31), quarterly(2, 29), yearly(2, 29), yearly(12, 31)]
)
def test_a_calendar_rules_next_date_is_one_of_its_dates_after_both_days(rule):
    """Done any day from two months early to four months late: the next date is the rule's
    first date after both the day it was done and the date it replaces."""
    scheduled = rule.first_on_or_after(D(2027, 6, 1))
    for offset in range(-60, 120):
        done_on = scheduled + timedelta(days=offset)
        following = rule.next_after(done_on=done_on, scheduled_on=scheduled)
        later = max(done_on, scheduled)
        assert following > later
        assert following == rule.first_on_or_after(later + timedelta(days=1))


# --- Yearly ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (D(2026, 3, 1), D(2027, 2, 28)),
        (D(2027, 2, 28), D(2027, 2, 28)),
        (D(2027, 3, 1), D(2028, 2, 29)),
        (D(2028, 2, 29), D(2028, 2, 29)),
        (D(2028, 3, 1), D(2029, 2, 28)),
    ],
)
def test_yearly_on_29_february_is_the_28th_outside_leap_years(start, expected):
    assert yearly(2, 29).first_on_or_after(start) == expected


@pytest.mark.parametrize(
    ("scheduled", "done_on", "expected"),
    [
        (D(2027, 2, 28), D(2027, 2, 28), D(2028, 2, 29)),
        (D(2028, 2, 29), D(2028, 2, 29), D(2029, 2, 28)),
        (D(2027, 2, 28), D(2027, 1, 10), D(2028, 2, 29)),  # early
        (D(2027, 2, 28), D(2027, 3, 5), D(2028, 2, 29)),  # late
        (D(2028, 2, 29), D(2028, 2, 28), D(2029, 2, 28)),  # a day early in the leap year
    ],
)
def test_yearly_on_29_february_next_after(scheduled, done_on, expected):
    assert yearly(2, 29).next_after(done_on=done_on, scheduled_on=scheduled) == expected


def test_yearly_across_a_year_end():
    rule = yearly(12, 31)
    assert rule.first_on_or_after(D(2027, 1, 1)) == D(2027, 12, 31)
    assert rule.next_after(done_on=D(2026, 12, 31), scheduled_on=D(2026, 12, 31)) == D(2027, 12, 31)
    assert rule.next_after(done_on=D(2027, 1, 3), scheduled_on=D(2026, 12, 31)) == D(2027, 12, 31)


# --- Bad rules and words -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        (
            Rule("days"),
            "interval_days",
            f"Give the interval in days, from 1 to {MAX_INTERVAL_DAYS}.",
        ),
        (days(0), "interval_days", f"Give the interval in days, from 1 to {MAX_INTERVAL_DAYS}."),
        (
            days(MAX_INTERVAL_DAYS + 1),
            "interval_days",
            "Give the interval in days, from 1 to 3660.",
        ),
        (Rule("days", 30, 1), "cadence", "An every-N-days rule takes no month or day."),
        (Rule("days", 30, None, 5), "cadence", "An every-N-days rule takes no month or day."),
        (Rule("weekly", 7), "cadence", "Choose every N days, quarterly or yearly."),
        (Rule(""), "cadence", "Choose every N days, quarterly or yearly."),
        (
            Rule("quarterly", 90, 1, 1),
            "cadence",
            "A quarterly or yearly rule takes a month and a day, not an interval.",
        ),
        (quarterly(4, 1), "month", "Give the month of the quarter (1 to 3)."),
        (Rule("quarterly", None, None, 1), "month", "Give the month of the quarter (1 to 3)."),
        (yearly(13, 1), "month", "Give the month (1 to 12)."),
        (yearly(0, 1), "month", "Give the month (1 to 12)."),
        (yearly(1, 0), "day", "Give the day of the month (1 to 31)."),
        (yearly(1, 32), "day", "Give the day of the month (1 to 31)."),
        (quarterly(1, None), "day", "Give the day of the month (1 to 31)."),
        (yearly(4, 31), "day", "April has at most 30 days."),
        (yearly(2, 30), "day", "February has at most 29 days."),
    ],
)
def test_a_bad_rule_says_what_is_wrong_and_where(rule, field, message):
    assert rule.problem() == message
    assert rule.check() == (field, message)


@pytest.mark.parametrize(
    "rule",
    [days(1), days(MAX_INTERVAL_DAYS), quarterly(3, 31), quarterly(2, 31), yearly(2, 29)],
)
def test_a_whole_rule_has_no_problem(rule):
    assert rule.problem() is None and rule.check() is None


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (days(90), "every 90 days"),
        (days(1), "every day"),
        (quarterly(1, 15), "every quarter, on day 15 of its first month"),
        (
            quarterly(1, 31),
            "every quarter, on day 31 of its first month (or that month's last day)",
        ),
        (quarterly(2, 28), "every quarter, on day 28 of its second month"),
        (quarterly(3, 30), "every quarter, on day 30 of its third month"),
        (yearly(2, 29), "every year, on 29 February (28 February in other years)"),
        (yearly(12, 31), "every year, on 31 December"),
    ],
)
def test_describe(rule, words):
    assert rule.describe() == words
