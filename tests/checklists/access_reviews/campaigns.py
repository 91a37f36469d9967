"""Factories for access-review campaigns in review, made straight with the ORM."""

from datetime import date, timedelta

from django.utils import timezone

from checklists.models import ObligationKind
from checklists.models.access_reviews import AccessEntry, AccessReview, CampaignState
from checklists.schedule import Rule
from checklists.services.obligations import obligation_create

ROSTER_SHA256 = "ab" * 32
GITHUB = "ghp_" + "R8kz2mQ4vN6pX1tY3wA5bC7dE9fG0hJ2kL4m"


def access_obligation(team, by, *, starts_on: date | None = None, title: str | None = None):
    return obligation_create(
        team=team,
        kind=ObligationKind.ACCESS_REVIEW,
        title=title or "Review access to the merchant platform",
        rule=Rule("days", 90),
        by=by,
        starts_on=starts_on or timezone.localdate() + timedelta(days=30),
    )


def campaign(
    team,
    *,
    by,
    imported_by=None,
    system: str = "CodePay merchant platform",
    period: str = "2026-Q4",
    state: str = CampaignState.IN_REVIEW,
    obligation=None,
) -> AccessReview:
    """A campaign in review, its roster imported by `imported_by` (default: `by`)."""
    now = timezone.now()
    return AccessReview.objects.create(
        team=team,
        system=system,
        period=period,
        state=state,
        roster_name="codepay-users.csv",
        roster_sha256=ROSTER_SHA256,
        imported_by=imported_by or by,
        imported_at=now,
        started_at=now,
        started_by=by,
        obligation=obligation or access_obligation(team, by),
        created_by=by,
    )


def entry(review: AccessReview, account: str, **fields) -> AccessEntry:
    defaults = {
        "person": account.title(),
        "email": f"{account}@merchant.example",
        "role": "cashier",
        "mfa": True,
        "last_login": timezone.localdate() - timedelta(days=3),
        "change": "unchanged",
    }
    return AccessEntry.objects.create(review=review, account=account, **{**defaults, **fields})


def entries(review: AccessReview, count: int, *, prefix: str = "cashier", **fields):
    return [entry(review, f"{prefix}{number:03}", **fields) for number in range(count)]
