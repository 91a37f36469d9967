"""Quarters: the periods checklists (and, next, reports and obligations) are kept for."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

QUARTER_RE = re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$")
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    @classmethod
    def parse(cls, text: object) -> "Quarter":
        """`2026-Q4` as a Quarter; anything else is a ValidationError that says what is wanted."""
        match = QUARTER_RE.match(text) if isinstance(text, str) else None
        if match is None or not FIRST_YEAR <= int(match["year"]) <= LAST_YEAR:
            raise ValidationError(
                f"{text!r} is not a quarter such as 2026-Q4 (a year from {FIRST_YEAR} to "
                f"{LAST_YEAR}, then -Q1 to -Q4).",
                code="invalid_period",
            )
        return cls(int(match["year"]), int(match["quarter"]))

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> "Quarter":
        return cls.containing(timezone.localdate())

    def next(self) -> "Quarter":
        return (
            Quarter(self.year + 1, 1) if self.quarter == 4 else Quarter(self.year, self.quarter + 1)
        )

    def previous(self) -> "Quarter":
        return (
            Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)
        )

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"
