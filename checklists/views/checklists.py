"""A team's checklists and the answers in them."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from checklists.evidence.errors import BlobUnreadable
from checklists.forms import ChecklistCreateForm, EvidenceLinkForm, EvidenceUploadForm, VersionForm
from checklists.models import Attestation, Checklist, Evidence, EvidenceLink, ReviewState
from checklists.selectors import assessments as selectors
from checklists.services import answers
from checklists.services import evidence as evidence_services
from checklists.services.checklists import checklist_create
from checklists.views.common import (
    announce_errors,
    answer_form_for,
    apply_form,
    attestation_or_404,
    attestation_page,
    back_to,
)
from portal.accounts.permissions import get_team_or_404, has_team_perm


def _checklist_list_page(
    request: HttpRequest, team, *, form=None, status: int = 200
) -> HttpResponse:
    checklists = list(team.checklists.prefetch_related("providers").order_by("-period"))
    if form is None and has_team_perm(request.user, "attest_team", team):
        form = ChecklistCreateForm(taken_periods={c.period for c in checklists})
    return render(
        request,
        "checklists/checklist_list.html",
        {"team": team, "checklists": checklists, "form": form},
        status=status,
    )


@login_required
@require_GET
def checklist_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _checklist_list_page(request, get_team_or_404(request.user, slug))


@login_required
@require_POST
def checklist_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "attest_team")
    form = ChecklistCreateForm(request.POST)
    checklist = apply_form(form, partial(checklist_create, team=team, by=request.user))
    if checklist is None:
        return _checklist_list_page(request, team, form=form, status=400)
    messages.success(request, f"Checklist {checklist.period} created.")
    return redirect(checklist.get_absolute_url())


@login_required
@require_GET
def checklist_detail(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    checklist = get_object_or_404(
        Checklist.objects.prefetch_related("providers"), team=team, period=period
    )
    progress = selectors.checklist_progress(checklist)
    return render(
        request,
        "checklists/checklist_detail.html",
        {
            "team": team,
            "checklist": checklist,
            "progress": progress,
            "totals": selectors.checklist_totals(progress),
            "attestations": selectors.checklist_attestations(checklist),
        },
    )


@login_required
@require_GET
def attestation_detail(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    return attestation_page(request, attestation_or_404(request, slug, period, ref, "view_team"))


def _saved_message(attestation: Attestation, before_state: str) -> str:
    if before_state == ReviewState.APPROVED and attestation.review_state != before_state:
        return "Answer saved. It was approved: the change sends it back to the reviewers."
    if before_state == ReviewState.SUBMITTED and attestation.review_state == ReviewState.DRAFT:
        return "Answer saved. Unanswered, it has left the review queue."
    return "Answer saved."


@login_required
@require_POST
def attestation_save(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    form = answer_form_for(request, attestation, request.POST)
    saved = apply_form(
        form, partial(answers.attestation_save, attestation=attestation, by=request.user)
    )
    if saved is None:  # show the page again with what was typed, not the saved answer
        return attestation_page(request, attestation, answer_form=form, status=400)
    messages.success(request, _saved_message(saved, attestation.review_state))
    return back_to(attestation)


@login_required
@require_POST
def attestation_submit(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    """Save what the form holds and send it to the reviewers, in one step."""
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    form = answer_form_for(request, attestation, request.POST)

    def submit(*, expected_version: int, **answer):
        return answers.attestation_submit(
            attestation=attestation,
            by=request.user,
            expected_version=expected_version,
            answer=answer,
        )

    if apply_form(form, submit) is None:
        return attestation_page(request, attestation, answer_form=form, status=400)
    messages.success(request, "Submitted for review.")
    return back_to(attestation)


@login_required
@require_POST
def attestation_answer_separately(
    request: HttpRequest, slug: str, period: str, ref: str
) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    form = VersionForm(request.POST)
    released = apply_form(
        form, partial(answers.group_answer_separately, attestation=attestation, by=request.user)
    )
    if released is None:
        announce_errors(request, form)
    else:
        messages.success(
            request, f"{', '.join(released)} now need their own answers in this checklist."
        )
    return back_to(attestation)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    form = EvidenceUploadForm(request.POST, request.FILES)
    evidence = apply_form(
        form, partial(evidence_services.evidence_add_file, attestation=attestation, by=request.user)
    )
    if evidence is None:
        return attestation_page(request, attestation, upload_form=form, status=400)
    messages.success(request, f"{evidence.original_name} uploaded (SHA-256 {evidence.sha256}).")
    return back_to(attestation)


@login_required
@require_POST
def evidence_link(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    form = EvidenceLinkForm(request.POST)
    evidence = apply_form(
        form, partial(evidence_services.evidence_add_link, attestation=attestation, by=request.user)
    )
    if evidence is None:
        return attestation_page(request, attestation, link_form=form, status=400)
    messages.success(request, "Link added.")
    return back_to(attestation)


@login_required
@require_POST
def evidence_withdraw(
    request: HttpRequest, slug: str, period: str, ref: str, link_id: int
) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    link = get_object_or_404(
        EvidenceLink.objects.select_related("evidence"), pk=link_id, attestation=attestation
    )
    form = VersionForm(request.POST)
    withdrawn = apply_form(
        form,
        partial(
            evidence_services.evidence_withdraw, attestation=attestation, link=link, by=request.user
        ),
    )
    if withdrawn is None:
        announce_errors(request, form)
    else:
        messages.success(request, f"{link.evidence} removed from this answer.")
    return back_to(attestation)


@login_required
@require_GET
def evidence_download(request: HttpRequest, slug: str, evidence_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    evidence = get_object_or_404(Evidence, pk=evidence_id, team=team, kind="file")
    try:
        chunks = evidence_services.evidence_open(evidence=evidence, by=request.user)
    except BlobUnreadable:  # recorded in the audit trail by the service
        return render(
            request,
            "checklists/evidence_unreadable.html",
            {"team": team, "evidence": evidence},
            status=500,
        )
    response = StreamingHttpResponse(chunks, content_type=evidence.content_type)
    response["Content-Length"] = str(evidence.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
