"""A team's checklists and the answers in them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
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
)
from checklists.models import Attestation, Checklist, Evidence, EvidenceLink
from checklists.selectors import assessments as selectors
from checklists.services import attestations as services
from checklists.services.checklists import checklist_create as create_checklist
from portal.accounts.permissions import get_team_or_404, has_team_perm


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = (
            form.fields[field].label or field.replace("_", " ").capitalize()
            if field != "__all__"
            else ""
        )
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@login_required
@require_GET
def checklist_list(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    checklists = team.checklists.prefetch_related("providers").order_by("-period")
    can_attest = has_team_perm(request.user, "attest_team", team)
    return render(
        request,
        "checklists/checklist_list.html",
        {
            "team": team,
            "checklists": checklists,
            "form": ChecklistCreateForm() if can_attest else None,
        },
    )


@login_required
@require_POST
def checklist_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "attest_team")
    form = ChecklistCreateForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("checklists:checklist_list", slug=team.slug)
    period = form.cleaned_data["period"]
    copy_from = (
        team.checklists.filter(period__lt=period).order_by("-period").first()
        if form.cleaned_data["copy_previous"]
        else None
    )
    if form.cleaned_data["copy_previous"] and copy_from is None:
        messages.error(request, f"{team} has no checklist before {period} to start from.")
        return redirect("checklists:checklist_list", slug=team.slug)
    try:
        checklist = create_checklist(
            team=team,
            period=period,
            providers=list(form.cleaned_data["providers"]),
            asvs_level=form.cleaned_data["asvs_level"],
            by=request.user,
            copy_from=copy_from,
        )
    except ValidationError as error:
        _errors(request, error)
        return redirect("checklists:checklist_list", slug=team.slug)
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


def _attestation(request: HttpRequest, slug: str, period: str, ref: str, perm: str) -> Attestation:
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(selectors.attestation_for_page(team=team, period=period, ref=ref))


@login_required
@require_GET
def attestation_detail(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = _attestation(request, slug, period, ref, "view_team")
    team = attestation.checklist.team
    can_attest = (
        has_team_perm(request.user, "attest_team", team) and not attestation.satisfied_through_id
    )
    can_review = has_team_perm(request.user, "review_team", team)
    version = {"version": attestation.version}
    return render(
        request,
        "checklists/attestation_detail.html",
        {
            "team": team,
            "attestation": attestation,
            "control": attestation.control,
            "can_attest": can_attest,
            "can_review": can_review,
            "answer_form": AttestationForm(
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
            if can_attest
            else None,
            "upload_form": EvidenceUploadForm(initial=version) if can_attest else None,
            "link_form": EvidenceLinkForm(initial=version) if can_attest else None,
            "review_form": ReviewForm(initial=version) if can_review else None,
            "i_edited": can_review and request.user.pk in services.editors_of(attestation),
        },
    )


def _back(attestation: Attestation) -> HttpResponse:
    return redirect(attestation.get_absolute_url())


@login_required
@require_POST
def attestation_save(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = _attestation(request, slug, period, ref, "attest_team")
    form = AttestationForm(request.POST, team=attestation.checklist.team)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(attestation)
    data = form.cleaned_data
    try:
        services.attestation_save(
            attestation=attestation,
            by=request.user,
            status=data["status"],
            statement=data["statement"],
            justification=data["justification"],
            owner=data["owner"],
            due_date=data["due_date"],
            expected_version=data["version"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, "Answer saved.")
    return _back(attestation)


@login_required
@require_POST
def attestation_submit(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = _attestation(request, slug, period, ref, "attest_team")
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("The form was incomplete; reload the page and try again.")
        services.attestation_submit(
            attestation=attestation, by=request.user, expected_version=form.cleaned_data["version"]
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, "Submitted for review.")
    return _back(attestation)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = _attestation(request, slug, period, ref, "attest_team")
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(attestation)
    data = form.cleaned_data
    try:
        evidence = services.evidence_add_file(
            attestation=attestation,
            upload=data["file"],
            description=data["description"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            by=request.user,
            expected_version=data["version"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, f"{evidence.original_name} uploaded (SHA-256 {evidence.sha256}).")
    return _back(attestation)


@login_required
@require_POST
def evidence_link(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    attestation = _attestation(request, slug, period, ref, "attest_team")
    form = EvidenceLinkForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(attestation)
    data = form.cleaned_data
    try:
        services.evidence_add_link(
            attestation=attestation,
            url=data["url"],
            description=data["description"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            by=request.user,
            expected_version=data["version"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, "Link added.")
    return _back(attestation)


@login_required
@require_POST
def evidence_withdraw(
    request: HttpRequest, slug: str, period: str, ref: str, link_id: int
) -> HttpResponse:
    attestation = _attestation(request, slug, period, ref, "attest_team")
    link = get_object_or_404(
        EvidenceLink.objects.select_related("evidence"), pk=link_id, attestation=attestation
    )
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("The form was incomplete; reload the page and try again.")
        services.evidence_withdraw(
            attestation=attestation,
            link=link,
            by=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, f"{link.evidence} removed from this answer.")
    return _back(attestation)


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
