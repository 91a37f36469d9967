"""The nightly obligations run: note once each open occurrence that went overdue.

Each team is noted in a transaction of its own, its audit events appended last with one
`record_many`, so the audit chain's head is held only for as long as one team's events take
to insert, and every other audited write waits at most that long. Teams with nothing to note
are never locked: one query finds the teams that have something.
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checklists.models import Occurrence
from checklists.services.common import plain
from portal.audit import services as audit

ACTOR_LABEL = "nightly run"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NightlyCounts:
    teams: int = 0
    noted: int = 0
    failed: int = 0  # teams whose transaction failed; the next run tries them again


def _overdue_unnoted(today: date) -> Q:
    return Q(
        done_at__isnull=True,
        overdue_noted_at__isnull=True,
        due_on__lt=today,
        obligation__retired_at__isnull=True,
    )


def obligations_nightly(*, today: date | None = None) -> NightlyCounts:
    """Note every open occurrence due before `today` (default: the portal's today) that is
    not noted yet, team by team. Running it again notes nothing; a team that fails is
    logged and left for the next run, and the others go on."""
    today = today or timezone.localdate()
    team_ids = list(
        Occurrence.objects.filter(_overdue_unnoted(today))
        .values_list("obligation__team_id", flat=True)
        .order_by("obligation__team_id")
        .distinct()
    )
    teams = noted = failed = 0
    for team_id in team_ids:
        try:
            count = occurrences_note_overdue(team_id=team_id, today=today)
        except Exception:  # one team's failure must not hold back the others
            logger.exception("nightly obligations run failed for team %s", team_id)
            failed += 1
            continue
        teams += count > 0
        noted += count
    return NightlyCounts(teams=teams, noted=noted, failed=failed)


def occurrences_note_overdue(*, team_id: int, today: date) -> int:
    """One team's part of the nightly run, in its own transaction; how many it noted."""
    with transaction.atomic():
        occurrences = list(
            Occurrence.objects.select_for_update(of=("self",), no_key=True)
            .filter(_overdue_unnoted(today), obligation__team_id=team_id)
            .select_related("obligation__team")
            .order_by("due_on", "pk")
        )
        if not occurrences:  # another run noted them first
            return 0
        now = timezone.now()
        Occurrence.objects.filter(pk__in=[o.pk for o in occurrences]).update(overdue_noted_at=now)
        audit.record_many(
            audit.Entry(
                "checklists.occurrence.overdue",
                actor_label=ACTOR_LABEL,
                obj=occurrence,
                team=occurrence.obligation.team,
                changes={
                    "obligation": occurrence.obligation.title,
                    "due_on": plain(occurrence.due_on),
                },
            )
            for occurrence in occurrences
        )
    return len(occurrences)
