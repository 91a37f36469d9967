from datetime import date

import pytest
from django.core.exceptions import ValidationError

from checklists.periods import Quarter


def test_it_parses_and_prints_a_quarter():
    quarter = Quarter.parse("2026-Q4")
    assert (quarter.year, quarter.quarter) == (2026, 4)
    assert str(quarter) == "2026-Q4"


@pytest.mark.parametrize(
    "text",
    ["2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "2026-q1", " 2026-Q1", "1999-Q4", "", None, 2026],
)
def test_it_refuses_what_is_not_a_quarter_with_a_clear_message(text):
    with pytest.raises(ValidationError, match="is not a quarter such as 2026-Q4"):
        Quarter.parse(text)


def test_next_and_previous_wrap_the_year():
    assert Quarter.parse("2026-Q4").next() == Quarter(2027, 1)
    assert Quarter.parse("2027-Q1").previous() == Quarter(2026, 4)
    assert Quarter.parse("2026-Q3").previous() == Quarter(2026, 2)


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2028-Q1", date(2028, 1, 1), date(2028, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_it_knows_its_date_range(period, first, last):
    quarter = Quarter.parse(period)
    assert (quarter.first_day, quarter.last_day) == (first, last)
    assert Quarter.containing(first) == quarter == Quarter.containing(last)


def test_quarters_sort_in_time():
    assert sorted(map(Quarter.parse, ["2027-Q1", "2026-Q4", "2026-Q2"])) == [
        Quarter(2026, 2),
        Quarter(2026, 4),
        Quarter(2027, 1),
    ]
