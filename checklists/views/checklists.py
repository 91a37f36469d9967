"""A team's checklists and the answers in them."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from checklists.forms import (
    AttestationForm,
    ChecklistCreateForm,
    EvidenceLinkForm,
    EvidenceUploadForm,
    ReviewForm,
    VersionForm,
)
from checklists.models import Attestation, Checklist, Evidence, EvidenceLink
from checklists.selectors import assessments as selectors
from checklists.services import attestations as services
from checklists.services.checklists import checklist_create
from checklists.views.common import apply_form, attestation_or_404, back_to
from portal.accounts.permissions import get_team_or_404, has_team_perm


@login_required
@require_GET
def checklist_list(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    checklists = list(team.checklists.prefetch_related("providers").order_by("-period"))
    can_attest = has_team_perm(request.user, "attest_team", team)
    return render(
        request,
        "checklists/checklist_list.html",
        {
            "team": team,
            "checklists": checklists,
            "form": ChecklistCreateForm(taken_periods={c.period for c in checklists})
            if can_attest
            else None,
        },
    )


@login_required
@require_POST
def checklist_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "attest_team")
    checklist = apply_form(
        request,
        ChecklistCreateForm(request.POST),
        partial(checklist_create, team=team, by=request.user),
        lambda checklist: f"Checklist {checklist.period} created.",
    )
    if checklist is None:
        return redirect("checklists:checklist_list", slug=team.slug)
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
    return _attestation_page(request, attestation_or_404(request, slug, period, ref, "view_team"))


def _attestation_page(
    request: HttpRequest, attestation: Attestation, *, answer_form=None, status: int = 200
) -> HttpResponse:
    team = attestation.checklist.team
    can_attest = (
        has_team_perm(request.user, "attest_team", team) and not attestation.satisfied_through_id
    )
    can_review = has_team_perm(request.user, "review_team", team)
    version = {"expected_version": attestation.version}
    if can_attest and answer_form is None:
        answer_form = AttestationForm(
            team=team,
            initial={
                "status": attestation.status,
                "statement": attestation.statement,
                "justification": attestation.justification,
                "owner": attestation.owner_id,
                "due_date": attestation.due_date,
                **version,
            },
        )
    return render(
        request,
        "checklists/attestation_detail.html",
        {
            "team": team,
            "attestation": attestation,
            "control": attestation.control,
            "can_attest": can_attest,
            "can_review": can_review,
            "answer_form": answer_form if can_attest else None,
            "upload_form": EvidenceUploadForm(initial=version) if can_attest else None,
            "link_form": EvidenceLinkForm(initial=version) if can_attest else None,
            "review_form": ReviewForm(initial=version) if can_review else None,
            "i_edited": can_review and request.user.pk in services.editors_of(attestation),
        },
        status=status,
    )


@login_required
@require_POST
def attestation_save(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    form = AttestationForm(request.POST, team=attestation.checklist.team)
    saved = apply_form(
        request,
        form,
        partial(services.attestation_save, attestation=attestation, by=request.user),
        lambda _: "Answer saved.",
    )
    if saved is None:  # show the page again with what was typed, not the saved answer
        return _attestation_page(request, attestation, answer_form=form, status=400)
    return back_to(attestation)


@login_required
@require_POST
def attestation_submit(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    apply_form(
        request,
        VersionForm(request.POST),
        partial(services.attestation_submit, attestation=attestation, by=request.user),
        lambda _: "Submitted for review.",
    )
    return back_to(attestation)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    apply_form(
        request,
        EvidenceUploadForm(request.POST, request.FILES),
        partial(services.evidence_add_file, attestation=attestation, by=request.user),
        lambda evidence: f"{evidence.original_name} uploaded (SHA-256 {evidence.sha256}).",
    )
    return back_to(attestation)


@login_required
@require_POST
def evidence_link(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = attestation_or_404(request, slug, period, ref, "attest_team")
    apply_form(
        request,
        EvidenceLinkForm(request.POST),
        partial(services.evidence_add_link, attestation=attestation, by=request.user),
        lambda _: "Link added.",
    )
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
    apply_form(
        request,
        VersionForm(request.POST),
        partial(services.evidence_withdraw, attestation=attestation, link=link, by=request.user),
        lambda _: f"{link.evidence} removed from this answer.",
    )
    return back_to(attestation)


@login_required
@require_GET
def evidence_download(request: HttpRequest, slug: str, evidence_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    evidence = get_object_or_404(Evidence, pk=evidence_id, team=team, kind="file")
    response = StreamingHttpResponse(
        services.evidence_open(evidence=evidence, by=request.user),
        content_type=evidence.content_type,
    )
    response["Content-Length"] = str(evidence.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
