"""Evidence previews on the answer page: text shown in the page, images from their own URL."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from checklists.evidence.errors import BlobUnreadable
from checklists.models import Evidence
from checklists.services import evidence as evidence_services
from portal.accounts.permissions import get_team_or_404

# The image is shown by <img> only: nothing in it may run, load or be framed elsewhere.
IMAGE_POLICY = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'self'"


def mark_previewable(links) -> None:
    """Give each evidence link the kind of preview its file has ("image", "text" or None)."""
    for link in links:
        link.preview_kind = evidence_services.preview_kind(link.evidence)


def preview_of(request: HttpRequest, links, evidence_id: int | None) -> dict | None:
    """The preview the person asked for, of evidence listed on this answer (or None)."""
    if evidence_id is None:
        return None
    link = next((link for link in links if link.evidence.pk == evidence_id), None)
    if link is None or link.preview_kind is None:
        return None
    evidence = link.evidence
    preview = {"evidence": evidence, "kind": link.preview_kind}
    if link.preview_kind == "text":
        try:
            text = evidence_services.evidence_preview_text(evidence=evidence, by=request.user)
        except BlobUnreadable:  # recorded in the audit trail by the service
            preview["unreadable"] = True
        else:
            preview |= {"text": text.text, "truncated": text.truncated}
    return preview


@login_required
@require_GET
def evidence_preview(request: HttpRequest, slug: str, evidence_id: int) -> HttpResponse:
    """An image evidence, decrypted, to be shown inline; anything else is a 404."""
    team = get_team_or_404(request.user, slug)
    evidence = get_object_or_404(Evidence, pk=evidence_id, team=team, kind="file")
    if evidence_services.preview_kind(evidence) != "image":
        raise Http404("No image preview")
    try:
        content_type, chunks = evidence_services.evidence_preview_image(
            evidence=evidence, by=request.user
        )
    except BlobUnreadable:  # recorded in the audit trail by the service
        raise Http404("Evidence unreadable") from None
    except ValidationError:  # the bytes are not an image that may be shown
        raise Http404("No image preview") from None
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Length"] = str(evidence.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = IMAGE_POLICY
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
