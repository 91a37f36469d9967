"""A team's home page, and the one line of posture per team on the page to pick a team.

Every figure is counted by the database; the page costs the same number of queries whatever
the size of the team's checklist, schedule or report history.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from checklists.models import (
    AnswerStatus,
    Attestation,
    Category,
    Checklist,
    ExportStatus,
    ReportExport,
    ReviewState,
)
from checklists.schedule import status
from checklists.selectors.assessments import (
    checklist_progress,
    checklist_totals,
    no_owner_q,
    todo_for,
    with_effective_state,
)
from checklists.selectors.schedule import ScheduleItem, team_schedule
from portal.accounts.models import Team

DUE_DAYS = 30
TODO_ROWS = 5
KIND_ANSWER_DUE = "Answer due"


def current_checklist(team: Team) -> Checklist | None:
    """The team's checklist of the latest period: the one its people work on."""
    return Checklist.objects.filter(team=team).select_related("team").order_by("-period").first()


def progress_rows(rows: list[dict], *, labels: dict[str, str] | None = None) -> list[dict]:
    """`checklist_progress` rows as the chart's rows: each answer in exactly one segment (a
    stale approval is stale, not approved; both are answered), under its display label."""
    labels = labels or {}
    return [
        {
            "key": row["name"],
            "label": labels.get(row["name"], row["name"]),
            "total": row["total"],
            "approved": row["approved"],
            "stale": row["stale"],
            "answered": row["answered"] - row["approved"] - row["stale"],
            "unanswered": row["total"] - row["answered"],
        }
        for row in rows
    ]


def unowned_count(checklist: Checklist) -> int:
    return checklist.attestations.filter(no_owner_q()).count()


@dataclass(frozen=True)
class TeamTodo:
    changes_requested: list[Attestation] = field(default_factory=list)
    unanswered: list[Attestation] = field(default_factory=list)
    due_soon: list[Attestation] = field(default_factory=list)
    more: bool = False

    @property
    def empty(self) -> bool:
        return not (self.changes_requested or self.unanswered or self.due_soon)


def team_todo(user, team: Team, *, rows: int = TODO_ROWS) -> TeamTodo:
    """The first few items of the person's to-do that belong to this team: three queries."""
    todo = todo_for(user)
    found = {}
    more = False
    for key in ("changes_requested", "unanswered", "due_soon"):
        items = list(todo[key].filter(checklist__team=team)[: rows + 1])
        more = more or len(items) > rows
        found[key] = items[:rows]
    return TeamTodo(**found, more=more)


def _answers_due(checklist: Checklist, *, today: date, until: date) -> list[ScheduleItem]:
    """Answers of the checklist with a due date by `until` (overdue ones too) that still wait
    for the team: not approved and not with the reviewers."""
    answers = (
        checklist.attestations.filter(
            due_date__isnull=False, due_date__lte=until, satisfied_through__isnull=True
        )
        .exclude(review_state__in=(ReviewState.APPROVED, ReviewState.SUBMITTED))
        .select_related("checklist__team", "control", "owner")
    )
    items = []
    for answer in answers:
        state = status(due_on=answer.due_date, today=today, completed=False, done=False)
        items.append(
            ScheduleItem(
                kind=KIND_ANSWER_DUE,
                title=f"{answer.control.ref} {answer.control.title}",
                team=answer.checklist.team,
                owner=answer.owner,
                due_on=answer.due_date,
                status=state,
                status_label=state.label,
                url=answer.get_absolute_url(),
            )
        )
    return items


def falling_due(
    team: Team, checklist: Checklist | None, *, today: date, days: int = DUE_DAYS
) -> list[ScheduleItem]:
    """What the team must do by `today + days`: the schedule's occurrences and approvals going
    stale, and the current checklist's answers with a due date. Overdue first, then by date."""
    items = team_schedule(team, today=today, days=days)
    if checklist is not None:
        items += _answers_due(checklist, today=today, until=today + timedelta(days=days))
    return sorted(items, key=lambda item: (not item.is_overdue, item.due_on, item.title))


def last_signed_report(team: Team) -> ReportExport | None:
    return (
        ReportExport.objects.filter(team=team, status=ExportStatus.DONE)
        .select_related("team")
        .order_by("-finished_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class TeamHome:
    checklist: Checklist | None
    progress: dict[str, list[dict]]
    totals: dict[str, int]
    unowned: int
    todo: TeamTodo | None
    due: list[ScheduleItem]
    report: ReportExport | None


def team_home(team: Team, user, *, today: date, with_todo: bool) -> TeamHome:
    """Everything the team's home shows; the to-do only for those who work on the answers."""
    checklist = current_checklist(team)
    progress = {"provider": [], "category": []}
    totals = {"total": 0, "answered": 0, "approved": 0, "stale": 0}
    unowned = 0
    if checklist is not None:
        raw = checklist_progress(checklist)
        totals = checklist_totals(raw)
        progress = {
            "provider": progress_rows(raw["provider"]),
            "category": progress_rows(raw["category"], labels=dict(Category.choices)),
        }
        unowned = unowned_count(checklist)
    return TeamHome(
        checklist=checklist,
        progress=progress,
        totals=totals,
        unowned=unowned,
        todo=team_todo(user, team) if with_todo else None,
        due=falling_due(team, checklist, today=today),
        report=last_signed_report(team),
    )


def teams_posture(teams: QuerySet[Team]) -> list[dict]:
    """Each team (by name) with its current checklist's period and how many of its answers are
    given and approved: two queries."""
    latest_period = (
        Checklist.objects.filter(team=OuterRef("checklist__team"))
        .order_by("-period")
        .values("period")[:1]
    )
    counts = {
        row["team_id"]: row
        for row in with_effective_state(
            Attestation.objects.filter(
                checklist__team__in=teams, checklist__period=Subquery(latest_period)
            )
        )
        .values(team_id=F("checklist__team"), period=F("checklist__period"))
        .annotate(
            total=Count("pk"),
            answered=Count("pk", filter=~Q(effective_status=AnswerStatus.UNANSWERED)),
            approved=Count(
                "pk",
                filter=Q(effective_review_state=ReviewState.APPROVED, effective_stale=False),
            ),
        )
        .order_by()
    }
    return [{"team": team, "posture": counts.get(team.pk)} for team in teams.order_by("name")]
