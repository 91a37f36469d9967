"""Rosters as a system exports them, and campaigns in the states the tests need."""

from datetime import UTC, date, datetime

import time_machine
from django.utils import timezone

from checklists.models.access_reviews import AccessReview, CampaignState
from checklists.services import access_reviews as services

TODAY = date(2026, 12, 15)
SYSTEM = "CodePay merchant platform"
PERIOD = "2026-Q4"
GITHUB = "ghp_" + "R8kz2mQ4vN6pX1tY3wA5bC7dE9fG0hJ2kL4m"
HEADER = "account,person,email,role,privileged,mfa,last_login,created"

# Four accounts: a named member with MFA, a named administrator, a shared "ops" account with
# no person, and a contractor who is not a member of the team.
GOOD_ROWS = [
    "siti.rahma,Siti Rahma,member@example.com,Finance viewer,no,yes,2026-12-01,2024-03-01",
    "budi.s,Budi Santoso,lead@example.com,Administrator,yes,yes,2026-12-10,",
    "ops,,,Refund operator,yes,no,,2022-01-10",
    "rudi.h,Rudi Hartono,rudi@contractor.example,Support agent,no,yes,2026-11-30,",
]


def on(day: date = TODAY):
    """Freeze the clock at noon on `day`."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False)


def csv_bytes(*rows: str, header: str = HEADER, bom: bool = False, ending: str = "\n") -> bytes:
    text = ending.join([header, *rows]) + ending
    return (("\ufeff" if bom else "") + text).encode()


def row(
    account: str,
    *,
    person: str = "Siti Rahma",
    email: str = "member@example.com",
    role: str = "Finance viewer",
    privileged: str = "no",
    mfa: str = "yes",
    last_login: str = "2026-12-01",
    created: str = "",
) -> str:
    return ",".join((account, person, email, role, privileged, mfa, last_login, created))


def many(count: int) -> bytes:
    return csv_bytes(*(row(f"operator.{number}") for number in range(count)))


def make_review(team, by, *, system: str = SYSTEM, period: str = PERIOD) -> AccessReview:
    return services.access_review_create(team=team, system=system, period=period, by=by)


def imported(team, by, *rows: str, system: str = SYSTEM, period: str = PERIOD) -> AccessReview:
    review = make_review(team, by, system=system, period=period)
    services.roster_import(review=review, data=csv_bytes(*rows), name="roster.csv", by=by)
    return review


def complete(review: AccessReview, by) -> AccessReview:
    """Mark a campaign completed, as the completion would leave it."""
    now = timezone.now()
    AccessReview.objects.filter(pk=review.pk).update(
        state=CampaignState.COMPLETED,
        started_at=now,
        started_by=by,
        completed_at=now,
        completed_by=by,
    )
    review.refresh_from_db()
    return review
