"""A completed access review's signed record, for those who may export the team's reports
(its leads, reviewers and auditors)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from checklists.models import AccessReview, CampaignState
from checklists.reports.access_review_pdf import access_review_export
from portal.accounts.permissions import get_team_or_404


def _completed_review_or_404(request: HttpRequest, slug: str, pk: int) -> AccessReview:
    """The team's campaign, if the user may export the team's reports and it is completed:
    an open campaign has no record to sign yet."""
    team = get_team_or_404(request.user, slug, "export_team")
    review = get_object_or_404(AccessReview.objects.select_related("team"), team=team, pk=pk)
    if review.state != CampaignState.COMPLETED:
        raise Http404("The access review is not completed: it has no signed record yet.")
    return review


@login_required
@require_GET
def access_review_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review = _completed_review_or_404(request, slug, pk)
    signed = access_review_export(review=review, by=request.user)
    response = HttpResponse(signed.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=signed.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
