"""The reviewers' queue, review decisions, and each person's to-do list."""

from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from checklists import rules
from checklists.forms import QueueFilterForm
from checklists.selectors import assessments as selectors
from checklists.services import reviews
from checklists.views.common import (
    apply_form,
    attestation_or_404,
    attestation_page,
    review_form_for,
)
from portal.accounts.permissions import may_review_any_team, teams_for

QUEUE_PAGE_SIZE = 50


@login_required
@require_GET
def todo(request: HttpRequest) -> HttpResponse:
    lists = selectors.todo_for(request.user)
    context = {name: {"items": items[:50], "count": items.count()} for name, items in lists.items()}
    # A lead also sees what nobody owns in the teams they lead: a count and a link, not rows.
    context["unowned"] = selectors.unowned_in_led_teams(request.user)
    return render(request, "checklists/todo.html", context)


def _reviewable_teams(request: HttpRequest):
    if not may_review_any_team(request.user):
        raise Http404("Not a reviewer")
    return teams_for(request.user, "review_team")


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    teams = _reviewable_teams(request)
    form = QueueFilterForm(request.GET or None, teams=teams.order_by("name"))
    filters = form.cleaned_data if form.is_valid() else {}
    queue = selectors.review_queue(
        request.user, **{k: v for k, v in filters.items() if v not in (None, "")}
    )
    # Count and page the bare queue; only the page's rows get their details.
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list.values_list("pk", flat=True))
    page.object_list = list(selectors.with_queue_details(queue.filter(pk__in=shown)))
    for attestation in page.object_list:
        attestation.needs_comment = rules.approval_needs_comment(
            status=attestation.status, evidence_count=attestation.evidence_count
        )
    # The pages' links carry the filters: page 2 of a filtered queue stays filtered.
    query = urlencode({name: request.GET[name] for name in form.fields if request.GET.get(name)})
    return render(
        request,
        "checklists/review_queue.html",
        {"form": form, "page": page, "page_query": f"{query}&" if query else ""},
    )


def answer_label(attestation) -> str:
    """Team, period and control: the same control of two teams never reads the same."""
    checklist = attestation.checklist
    return f"{checklist.team.name} {checklist.period} {attestation.control.ref}"


def _decide(request: HttpRequest, slug: str, period: str, ref: str, service, done: str):
    attestation = attestation_or_404(request, slug, period, ref, "review_team")
    form = review_form_for(attestation, request.POST)
    if apply_form(form, partial(service, attestation=attestation, by=request.user)) is None:
        return attestation_page(request, attestation, review_form=form, status=400)
    messages.success(request, done.format(answer=answer_label(attestation)))
    return redirect("checklists:review_queue")


@login_required
@require_POST
def review_approve(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    return _decide(request, slug, period, ref, reviews.review_approve, "{answer} approved.")


@login_required
@require_POST
def review_request_changes(request: HttpRequest, slug: str, period: str, ref: str) -> HttpResponse:
    return _decide(
        request, slug, period, ref, reviews.review_request_changes, "Changes requested on {answer}."
    )


@login_required
@require_POST
def review_bulk_approve(request: HttpRequest) -> HttpResponse:
    """First POST shows what will be approved, and what is left out because approving it needs a
    comment; the confirming POST approves the rest."""
    _reviewable_teams(request)
    chosen: dict[int, int] = {}
    for value in request.POST.getlist("item"):
        pk, _, version = value.partition(":")
        if pk.isdigit() and version.isdigit():
            chosen[int(pk)] = int(version)
    attestations = list(
        selectors.with_queue_details(selectors.review_queue(request.user).filter(pk__in=chosen))
    )
    if not attestations:
        messages.error(request, "Select at least one answer awaiting review.")
        return redirect("checklists:review_queue")
    one_click, left_out = [], []
    for attestation in attestations:
        attestation.version = chosen[attestation.pk]  # approve only the version the reviewer saw
        why = rules.why_approval_needs_comment(
            status=attestation.status, evidence_count=attestation.evidence_count
        )
        if why:
            left_out.append((attestation, why))
        else:
            one_click.append(attestation)
    if request.POST.get("confirm") != "yes" or not one_click:
        return render(
            request,
            "checklists/review_bulk_confirm.html",
            {"attestations": one_click, "left_out": left_out},
        )
    approved, refused = reviews.review_bulk_approve(attestations=one_click, by=request.user)
    if approved:
        messages.success(
            request,
            f"Approved {len(approved)}: {', '.join(answer_label(a) for a in approved)}.",
        )
    for attestation, why in [*refused, *left_out]:
        why = why.removeprefix(f"{attestation.control.ref}: ")  # the label names it already
        messages.error(request, f"Not approved, {answer_label(attestation)}: {why}")
    return redirect("checklists:review_queue")
