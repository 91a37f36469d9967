"""OSCAL downloads: the control catalog, and a team's assessment results for a quarter."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from checklists.models import Checklist
from checklists.oscal import services
from checklists.oscal.catalog import catalog_document
from checklists.oscal.documents import MEDIA_TYPE, OscalDocument
from portal.accounts.permissions import get_team_or_404


def _attachment(document: OscalDocument) -> HttpResponse:
    response = HttpResponse(document.data, content_type=MEDIA_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=document.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def oscal_catalog(request: HttpRequest) -> HttpResponse:
    return _attachment(catalog_document())


@login_required
@require_GET
def oscal_assessment_results(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    checklist = get_object_or_404(
        Checklist.objects.select_related("team").prefetch_related("providers"),
        team=team,
        period=period,
    )
    return _attachment(services.assessment_results_export(checklist=checklist, by=request.user))
