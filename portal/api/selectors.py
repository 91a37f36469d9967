"""The reads the API answers with, built on the selectors the pages use. Each list costs the
same number of queries whatever its length."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Q, QuerySet

from checklists.models import (
    AnswerStatus,
    Attestation,
    Checklist,
    EvidenceLink,
    ExportStatus,
    Occurrence,
    ReportExport,
    ReportScope,
    ReviewState,
)
from checklists.rules import ProgressState
from checklists.selectors.assessments import (
    attestation_for_page,
    checklist_attestations,
    with_effective_state,
    with_progress_state,
)
from checklists.selectors.team_home import current_checklist
from portal.accounts.models import Team

# What still waits for the team (not with the reviewers, not approved and current).
OPEN_STATES = (
    ProgressState.UNANSWERED,
    ProgressState.DRAFT,
    ProgressState.CHANGES_REQUESTED,
    ProgressState.STALE,
)


def checklists_of(team: Team) -> QuerySet[Checklist]:
    return team.checklists.select_related("team").prefetch_related("providers").order_by("-period")


def progress_by_checklist(checklists: list[Checklist]) -> dict[int, dict[str, int]]:
    """Answered, approved and stale counts of each checklist given: one query."""
    rows = (
        with_effective_state(Attestation.objects.filter(checklist__in=checklists))
        .values("checklist_id")
        .annotate(
            total=Count("pk"),
            answered=Count("pk", filter=~Q(effective_status=AnswerStatus.UNANSWERED)),
            approved=Count(
                "pk",
                filter=Q(effective_review_state=ReviewState.APPROVED, effective_stale=False),
            ),
            stale=Count("pk", filter=Q(effective_stale=True)),
        )
        .order_by()
    )
    empty = {"total": 0, "answered": 0, "approved": 0, "stale": 0}
    found = {row.pop("checklist_id"): row for row in rows}
    return {checklist.pk: found.get(checklist.pk, empty) for checklist in checklists}


def answers_of(
    checklist: Checklist, *, ref: str = "", state: str = "", provider: str = ""
) -> QuerySet[Attestation]:
    """The checklist's answers in catalog order, with their effective state (an answer given
    through another control of its group shows that one's)."""
    rows = checklist_attestations(checklist, state=state, provider=provider)
    if ref:
        rows = rows.filter(control__ref__iexact=ref)
    return rows


def answer_with_evidence(*, team: Team, period: str, ref: str) -> QuerySet[Attestation]:
    """One answer as its page reads it, with its effective state."""
    return with_progress_state(attestation_for_page(team=team, period=period, ref=ref))


def live_evidence_links(attestation: Attestation) -> list[EvidenceLink]:
    """The evidence that counts for the answer: the carrier's when it is answered through
    another control of its group. Withdrawn links are history, not evidence."""
    carrier = attestation.satisfied_through
    links = (
        carrier.evidence_links.select_related("evidence__uploaded_by", "added_by")
        if carrier
        else attestation.evidence_links.all()
    )
    return [link for link in links if link.withdrawn_at is None]


@dataclass(frozen=True)
class Due:
    today: date
    checklist: Checklist | None
    answers: list[Attestation]
    occurrences: list[Occurrence]


def open_occurrences(team: Team) -> QuerySet[Occurrence]:
    return Occurrence.objects.filter(
        obligation__team=team, obligation__retired_at__isnull=True, done_at__isnull=True
    ).select_related("obligation__team", "obligation__owner", "completed_by")


def due_for(team: Team, *, today: date, within_days: int | None = None) -> Due:
    """What waits for the team: the answers of its current checklist that need its work
    (unanswered, draft, sent back, or approved but stale), and its obligations' open
    occurrences. With `within_days`, only what falls due by then: answers with a due date by
    then or gone stale, occurrences due by then (overdue ones included). Three queries."""
    checklist = current_checklist(team)
    occurrences = open_occurrences(team).order_by("due_on", "pk")
    answers: QuerySet[Attestation] = Attestation.objects.none()
    if checklist is not None:
        answers = checklist_attestations(checklist).filter(
            progress_state__in=OPEN_STATES, satisfied_through__isnull=True
        )
    if within_days is not None:
        until = today + timedelta(days=within_days)
        occurrences = occurrences.filter(due_on__lte=until)
        answers = answers.filter(Q(due_date__lte=until) | Q(progress_state=ProgressState.STALE))
    answers = answers.order_by(
        F("due_date").asc(nulls_last=True), "control__source__slug", "control__position"
    )
    return Due(
        today=today,
        checklist=checklist,
        answers=list(answers) if checklist is not None else [],
        occurrences=list(occurrences),
    )


def occurrence_of(team: Team, pk: int) -> QuerySet[Occurrence]:
    return (
        Occurrence.objects.filter(pk=pk, obligation__team=team)
        .select_related("obligation__team", "obligation__owner", "completed_by", "confirmed_by")
        .prefetch_related("evidence__uploaded_by")
    )


def signed_reports(team: Team) -> QuerySet[ReportExport]:
    """The team's signed reports (finished exports), newest first."""
    return (
        ReportExport.objects.filter(team=team, scope=ReportScope.TEAM, status=ExportStatus.DONE)
        .select_related("team", "requested_by")
        .order_by("-finished_at", "-pk")
    )
