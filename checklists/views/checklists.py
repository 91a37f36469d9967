"""A team's checklists and the answers in them."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from checklists.evidence.errors import BlobUnreadable
from checklists.forms import ChecklistCreateForm, EvidenceLinkForm, EvidenceUploadForm, VersionForm
from checklists.forms.checklist_filters import ChecklistFilterForm
from checklists.forms.owner_assignment import MATCHING, OwnerAssignForm
from checklists.models import Attestation, Category, Checklist, Evidence, EvidenceLink, ReviewState
from checklists.selectors import assessments as selectors
from checklists.services import answers, owners
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
from portal.accounts.permissions import assignable_owners, get_team_or_404, has_team_perm


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


CHECKLIST_PAGE_SIZE = 100


def _checklist_detail_page(
    request: HttpRequest, team, checklist, *, assign_form=None, status: int = 200
) -> HttpResponse:
    progress = selectors.checklist_progress(checklist)
    members = list(assignable_owners(team))
    filter_form = ChecklistFilterForm(
        request.GET,
        checklist=checklist,
        categories=[row["name"] for row in progress["category"]],
        members=members,
        user=request.user,
    )
    rows = selectors.checklist_attestations(checklist, **filter_form.filters())
    page = Paginator(rows, CHECKLIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = filter_form.query()
    may_assign = has_team_perm(request.user, "manage_team", team)
    if may_assign and assign_form is None:
        assign_form = OwnerAssignForm(checklist=checklist, members=members)
    if assign_form is not None:
        assign_form.describe_matching(page.paginator.count, filtered=bool(query))
    # "All matching" is worked out again from the same filters, carried in the action's address.
    assign_url = reverse("checklists:checklist_assign_owner", args=[team.slug, checklist.period])
    return render(
        request,
        "checklists/checklist_detail.html",
        {
            "team": team,
            "checklist": checklist,
            "progress": progress,
            "totals": selectors.checklist_totals(progress),
            "filter_form": filter_form,
            "page": page,
            "groups": selectors.grouped(page, selectors.asvs_chapters()),
            "page_query": f"{query}&" if query else "",
            "assign_form": assign_form if may_assign else None,
            "assign_url": f"{assign_url}?{query}" if query else assign_url,
            "selected": assign_form.selected_ids() if assign_form is not None else set(),
        },
        status=status,
    )


def _checklist_or_404(request: HttpRequest, slug: str, period: str):
    team = get_team_or_404(request.user, slug)
    checklist = get_object_or_404(
        Checklist.objects.select_related("team").prefetch_related("providers"),
        team=team,
        period=period,
    )
    return team, checklist


@login_required
@require_GET
def checklist_detail(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    return _checklist_detail_page(request, *_checklist_or_404(request, slug, period))


@login_required
@require_POST
def checklist_assign_owner(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    """Give the ticked controls, or all matching the page's filters (kept in the address),
    one owner. The page comes back with the same filters."""
    team, checklist = _checklist_or_404(request, slug, period)
    form = OwnerAssignForm(request.POST, checklist=checklist, members=assignable_owners(team))

    def assign(*, attestations, scope, owner):
        if scope == MATCHING:
            filters = ChecklistFilterForm(
                request.GET,
                checklist=checklist,
                categories=Category.values,
                members=assignable_owners(team),
                user=request.user,
            ).filters()
            ids = selectors.checklist_attestations(checklist, **filters).values_list(
                "pk", flat=True
            )
        else:
            ids = [attestation.pk for attestation in attestations]
        return owners.attestations_assign_owner(
            checklist=checklist, ids=list(ids), owner=owner, by=request.user
        )

    result = apply_form(form, assign)
    if result is None:
        if not has_team_perm(request.user, "manage_team", team):  # the page has no form for them
            announce_errors(request, form)
        return _checklist_detail_page(request, team, checklist, assign_form=form, status=400)
    messages.success(request, _assigned_message(result, form.cleaned_data["owner"]))
    query = request.GET.urlencode()
    return redirect(checklist.get_absolute_url() + (f"?{query}" if query else ""))


def _assigned_message(result: owners.OwnerAssignment, owner) -> str:
    count = len(result.changed)
    controls = f"{count} control{pluralize(count)}"
    if not count:
        done = "Nothing changed: every chosen control already had that owner."
    elif owner:
        done = f"{owner.get_username()} now owns {count} more control{pluralize(count)}."
    else:
        done = f"Owner cleared on {controls}."
    if count and result.unchanged:
        done += f" {result.unchanged} already had that owner."
    if result.through_group:
        done += (
            f" {', '.join(result.through_group)} {pluralize(len(result.through_group), 'is,are')}"
            " answered through another control of its group, whose answer holds the owner."
        )
    return done


@login_required
@require_GET
def attestation_detail(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    preview = request.GET.get("preview", "")
    return attestation_page(
        request,
        attestation_or_404(request, slug, period, ref, "view_team"),
        preview_id=int(preview) if preview.isdigit() else None,
    )


APPROVAL_WITHDRAWN = "Its approval was withdrawn: the answer needs review again."


def _approval_note(before_state: str, after_state: str) -> str:
    """What a change did to the review, as the services moved it (see
    rules.review_state_after_change): said, not re-decided here."""
    if before_state == ReviewState.APPROVED and after_state != before_state:
        return f" {APPROVAL_WITHDRAWN}"
    if before_state == ReviewState.SUBMITTED and after_state == ReviewState.DRAFT:
        return " Unanswered, it has left the review queue."
    return ""


def _saved_message(attestation: Attestation, before_state: str) -> str:
    return "Answer saved." + _approval_note(before_state, attestation.review_state)


def _evidence_note(attestation: Attestation) -> str:
    """After an evidence change: whether it withdrew the answer's approval."""
    if attestation.review_state != ReviewState.APPROVED:
        return ""
    now = Attestation.objects.values_list("review_state", flat=True).get(pk=attestation.pk)
    return _approval_note(attestation.review_state, now)


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
    note = _evidence_note(attestation)
    messages.success(
        request, f"{evidence.original_name} uploaded (SHA-256 {evidence.sha256}).{note}"
    )
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
    messages.success(request, f"Link added.{_evidence_note(attestation)}")
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
        messages.success(
            request, f"{link.evidence} removed from this answer.{_evidence_note(attestation)}"
        )
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
