"""Handing out OSCAL files: every export of a team's assessment results is recorded in the
audit trail (the catalog holds nothing of any team and is not)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from checklists.models import Checklist
from checklists.oscal.assessment_results import assessment_results_document
from checklists.oscal.documents import OscalDocument
from checklists.periods import Quarter
from portal.accounts.models import Team
from portal.audit import services as audit

RESULTS_EXPORTED = "checklists.oscal.results_exported"
COMMAND_LINE = "the export_oscal command"


def team_checklist(*, team: Team, period: str) -> Checklist:
    """The team's checklist for the quarter, or a ValidationError saying why there is none."""
    quarter = Quarter.parse(period)
    checklist = (
        Checklist.objects.select_related("team")
        .prefetch_related("providers")
        .filter(team=team, period=str(quarter))
        .first()
    )
    if checklist is None:
        raise ValidationError(f"{team.name} has no checklist for {quarter}.")
    return checklist


def assessment_results_export(
    *, checklist: Checklist, by=None, today: date | None = None
) -> OscalDocument:
    """The checklist's OSCAL assessment results, recorded as exported by `by` (None: the
    command line)."""
    document = assessment_results_document(checklist, today=today)
    with transaction.atomic():
        audit.record(
            RESULTS_EXPORTED,
            actor=by,
            actor_label="" if by else COMMAND_LINE,
            obj=checklist,
            team=checklist.team,
            changes={
                "period": checklist.period,
                "sha256": document.sha256,
                "size": document.size,
            },
        )
    return document


def assessment_results_for_report(*, team: Team, quarter: Quarter) -> OscalDocument:
    """The results a team's signed report carries: the same bytes a download gives the same
    day while nothing changes (not recorded on their own: the report's events cover them)."""
    return assessment_results_document(team_checklist(team=team, period=str(quarter)))
