"""Where every team stands, for reviewers and auditors: each figure is one aggregate query.

"Approved" means approved and not stale, read through an equivalent answer where there is
one (`with_effective_state`), as the signed reports count it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from checklists.models import Attestation, Checklist, ObligationKind, Occurrence, ReviewState
from checklists.periods import Quarter
from checklists.schedule import Status, status_q
from checklists.selectors.assessments import (
    ASVS,
    NO_OWNER,
    no_owner_q,
    owned_by_q,
    with_effective_state,
)
from portal.accounts.models import Team

ASVS_NAME = "OWASP ASVS"
QUEUE_AGES = (7, 30)  # days waiting the queue's figures single out
ACCESS_AND_ROTATION = (ObligationKind.ACCESS_REVIEW, ObligationKind.KEY_ROTATION)
APPROVED = Q(effective_review_state=ReviewState.APPROVED, effective_stale=False)


@dataclass(frozen=True)
class PostureFilters:
    """What the dashboard narrows to: a provider's slug (or `ASVS`), a control severity, and
    an owner of answers (a user, `NO_OWNER`, or None for anyone)."""

    provider: str = ""
    severity: str = ""
    owner: object = None


def _narrowed(attestations: QuerySet[Attestation], filters: PostureFilters) -> QuerySet:
    if filters.provider == ASVS:
        attestations = attestations.filter(control__source__provider__isnull=True)
    elif filters.provider:
        attestations = attestations.filter(control__source__provider__slug=filters.provider)
    if filters.severity:
        attestations = attestations.filter(control__severity=filters.severity)
    if filters.owner == NO_OWNER:
        attestations = attestations.filter(no_owner_q())
    elif filters.owner is not None:
        attestations = attestations.filter(owned_by_q(filters.owner))
    return attestations


def _answers(teams: QuerySet[Team], periods: list[str], filters: PostureFilters) -> QuerySet:
    return with_effective_state(
        _narrowed(
            Attestation.objects.filter(checklist__team__in=teams, checklist__period__in=periods),
            filters,
        )
    )


def _share(approved: int, total: int) -> float | None:
    return approved / total if total else None


# The provider × team heat map -------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    provider_slug: str
    provider_name: str
    total: int
    approved: int

    @property
    def share(self) -> float | None:
        return _share(self.approved, self.total)


@dataclass(frozen=True)
class HeatRow:
    team: Team
    cells: list[HeatCell | None]  # one per column; None where the team has no such control
    total: int
    approved: int

    @property
    def share(self) -> float | None:
        return _share(self.approved, self.total)


@dataclass(frozen=True)
class HeatMap:
    period: str
    columns: list[tuple[str, str]]  # (provider slug or ASVS, name)
    rows: list[HeatRow]
    without_checklist: list[Team]


def heat_map(teams: QuerySet[Team], *, period: Quarter, filters: PostureFilters) -> HeatMap:
    """Each team's share of approved controls per provider in `period`: two queries."""
    label = str(period)
    counted = (
        _answers(teams, [label], filters)
        .values("checklist__team_id", "control__source__provider__slug")
        .annotate(
            provider_name=Coalesce("control__source__provider__name", Value(ASVS_NAME)),
            total=Count("pk"),
            approved=Count("pk", filter=APPROVED),
        )
        .order_by()
    )
    cells: dict[tuple[int, str], HeatCell] = {}
    names: dict[str, str] = {}
    for row in counted:  # one row per team and provider, not per answer
        slug = row["control__source__provider__slug"] or ASVS
        names[slug] = row["provider_name"]
        cells[row["checklist__team_id"], slug] = HeatCell(
            slug, row["provider_name"], row["total"], row["approved"]
        )
    columns = sorted(names.items(), key=lambda item: (item[0] == ASVS, item[1].lower()))
    listed = teams.annotate(
        has_checklist=Exists(Checklist.objects.filter(team=OuterRef("pk"), period=label))
    ).order_by("name")
    rows, without = [], []
    for team in listed:
        if not team.has_checklist:
            without.append(team)
            continue
        row_cells = [cells.get((team.pk, slug)) for slug, _ in columns]
        present = [cell for cell in row_cells if cell]
        rows.append(
            HeatRow(
                team=team,
                cells=row_cells,
                total=sum(cell.total for cell in present),
                approved=sum(cell.approved for cell in present),
            )
        )
    return HeatMap(period=label, columns=columns, rows=rows, without_checklist=without)


# The review queue --------------------------------------------------------------------------


def queue_filters(filters: PostureFilters) -> PostureFilters:
    """The part of `filters` the review queue supports."""
    return PostureFilters(
        provider="" if filters.provider == ASVS else filters.provider, severity=filters.severity
    )


@dataclass(frozen=True)
class QueueAge:
    waiting: int
    oldest_submitted_at: datetime | None
    older_than: dict[int, int]  # days → answers waiting longer


def review_queue_age(teams: QuerySet[Team], *, now: datetime, filters: PostureFilters) -> QueueAge:
    """Submitted answers waiting for a reviewer, as the queue counts them: its provider and
    severity filters apply; it filters neither by owner nor to the ASVS baseline, so those
    filters do not apply here, and each figure matches the queue it links to."""
    queue = _narrowed(
        Attestation.objects.filter(review_state=ReviewState.SUBMITTED, checklist__team__in=teams),
        queue_filters(filters),
    )
    ages = {
        f"over_{days}": Count("pk", filter=Q(submitted_at__lte=now - timedelta(days=days)))
        for days in QUEUE_AGES
    }
    figures = queue.aggregate(waiting=Count("pk"), oldest=Min("submitted_at"), **ages)
    return QueueAge(
        waiting=figures["waiting"],
        oldest_submitted_at=figures["oldest"],
        older_than={days: figures[f"over_{days}"] for days in QUEUE_AGES},
    )


# Teams that need attention -----------------------------------------------------------------


def _overdue_occurrences(teams: QuerySet[Team], today: date) -> QuerySet[Occurrence]:
    return Occurrence.objects.filter(
        status_q(Status.OVERDUE, today),
        obligation__team__in=teams,
        obligation__retired_at__isnull=True,
    )


def _count_per_team(rows: QuerySet, team_field: str) -> Subquery:
    counted = (
        rows.filter(**{team_field: OuterRef("pk")})
        .order_by()
        .values(team_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def teams_needing_attention(
    teams: QuerySet[Team],
    *,
    period: Quarter,
    today: date,
    filters: PostureFilters,
    limit: int = 10,
) -> list[Team]:
    """Teams with overdue obligations or stale answers in `period`, most overdue first, each
    annotated with `overdue` and `stale`: one query."""
    stale = _answers(Team.objects.all(), [str(period)], filters).filter(effective_stale=True)
    return list(
        teams.annotate(
            overdue=_count_per_team(
                _overdue_occurrences(Team.objects.all(), today), "obligation__team"
            ),
            stale=_count_per_team(stale, "checklist__team"),
        )
        .filter(Q(overdue__gt=0) | Q(stale__gt=0))
        .order_by("-overdue", "-stale", "name")[:limit]
    )


@dataclass(frozen=True)
class OverdueDuties:
    by_kind: list[tuple[str, str, int]]  # (kind, label, overdue count), every kind listed
    oldest: list[Occurrence]  # the longest overdue, with obligation and team


def overdue_access_and_rotation(
    teams: QuerySet[Team], *, today: date, limit: int = 10
) -> OverdueDuties:
    """Overdue access reviews and key rotations: a count per kind and the longest overdue."""
    overdue = _overdue_occurrences(teams, today).filter(obligation__kind__in=ACCESS_AND_ROTATION)
    counts = dict(
        overdue.order_by()
        .values("obligation__kind")
        .annotate(n=Count("pk"))
        .values_list("obligation__kind", "n")
    )
    oldest = list(overdue.select_related("obligation__team").order_by("due_on", "pk")[:limit])
    return OverdueDuties(
        by_kind=[
            (kind.value, kind.label, counts.get(kind.value, 0)) for kind in ACCESS_AND_ROTATION
        ],
        oldest=oldest,
    )


# The trend ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    period: str
    total: int
    approved: int

    @property
    def share(self) -> float | None:
        return _share(self.approved, self.total)


def approved_trend(
    teams: QuerySet[Team], *, until: Quarter, filters: PostureFilters, periods: int = 4
) -> list[TrendPoint]:
    """The approved share of each of the last `periods` quarters' checklists, oldest first:
    one query grouped by period. Staleness is as of today, as every figure here."""
    quarters = [until]
    while len(quarters) < periods:
        quarters.insert(0, quarters[0].previous())
    labels = [str(quarter) for quarter in quarters]
    counted = {
        row["checklist__period"]: row
        for row in _answers(teams, labels, filters)
        .values("checklist__period")
        .annotate(total=Count("pk"), approved=Count("pk", filter=APPROVED))
        .order_by()
    }
    return [
        TrendPoint(
            label,
            counted.get(label, {}).get("total", 0),
            counted.get(label, {}).get("approved", 0),
        )
        for label in labels
    ]


def answer_owners(teams: QuerySet[Team]) -> QuerySet:
    """The people who may own answers in `teams`: their members, by username."""
    return (
        get_user_model()
        .objects.filter(memberships__team__in=teams, is_active=True)
        .distinct()
        .order_by("username")
    )
