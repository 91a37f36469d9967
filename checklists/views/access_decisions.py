"""An access-review campaign: its accounts, diff first, each decided; bulk keep; actions
confirmed done; completion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklists import access_rules as rules
from checklists.forms.access_decisions import ActionDoneForm, BulkKeepForm, DecisionForm
from checklists.models.access_reviews import AccessEntry, AccessReview, CampaignState
from checklists.services import access_decisions as services
from checklists.views.common import apply_form
from portal.accounts.models import Team
from portal.accounts.permissions import get_team_or_404, has_team_perm


def _may_decide(user, team: Team) -> bool:
    """Security reviewers and the team's leads decide."""
    return has_team_perm(user, "review_team", team) or has_team_perm(user, "manage_team", team)


def _may_complete(user, team: Team) -> bool:
    return _may_decide(user, team)


def _review_or_404(request: HttpRequest, slug: str, pk: int, perm: str = "view_team"):
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(
        services.with_progress(AccessReview.objects.select_related("team", "imported_by")),
        team=team,
        pk=pk,
    )


def _deciding_review_or_404(request: HttpRequest, slug: str, pk: int) -> AccessReview:
    review = _review_or_404(request, slug, pk)
    if not _may_decide(request.user, review.team):
        raise Http404("Not a decider")
    return review


def _entry_or_404(review: AccessReview, entry_pk: int) -> AccessEntry:
    return get_object_or_404(
        AccessEntry.objects.select_related("review"), review=review, pk=entry_pk
    )


def _list_url(team: Team) -> str | None:
    try:
        return reverse("checklists:access_review_list", args=[team.slug])
    except NoReverseMatch:
        return None


def _decision_form(entry: AccessEntry, data=None) -> DecisionForm:
    return DecisionForm(
        data,
        prefix=f"entry-{entry.pk}",
        initial={"decision": entry.decision, "new_role": entry.new_role, "reason": entry.reason},
    )


def _row(entry, *, user, open_state: bool, may_decide: bool, may_act: bool, bound) -> dict:
    refusal = (
        rules.why_not_decidable(state=entry.review.state, decider=user, entry=entry)
        if may_decide
        else None
    )
    can_decide = may_decide and refusal is None
    can_mark_done = (
        may_act
        and rules.why_no_action(
            state=entry.review.state,
            decision=entry.decision,
            change=entry.change,
            done=entry.action_done_at is not None,
        )
        is None
    )
    decision_form = bound.get(("decide", entry.pk))
    done_form = bound.get(("done", entry.pk))
    return {
        "entry": entry,
        "flags": [rules.FLAG_LABELS[name] for name in rules.flags_of(entry)],
        "needs_action": rules.needs_action(decision=entry.decision, change=entry.change),
        "history": entry.decisions.all(),
        "decide_form": (decision_form or _decision_form(entry)) if can_decide else None,
        "decide_refusal": refusal if may_decide and open_state else None,
        "done_form": (done_form or ActionDoneForm(prefix=f"done-{entry.pk}"))
        if can_mark_done
        else None,
    }


def _detail_page(
    request: HttpRequest,
    review: AccessReview,
    *,
    bound: dict | None = None,
    complete_errors=(),
    status: int = 200,
) -> HttpResponse:
    user = request.user
    team = review.team
    entries = services.campaign_entries(review)
    for entry in entries:
        entry.review = review
    open_state = review.state in rules.DECIDABLE_STATES
    may_decide = _may_decide(user, team)
    may_act = has_team_perm(user, "manage_team", team)
    rows = [
        _row(
            entry,
            user=user,
            open_state=open_state,
            may_decide=may_decide,
            may_act=may_act,
            bound=bound or {},
        )
        for entry in entries
    ]
    sections = [
        {
            "change": change,
            "title": title,
            "rows": [row for row in rows if row["entry"].change == change],
        }
        for change, title in services.SECTIONS
    ]
    keepable = [
        entry
        for entry in entries
        if rules.keepable_in_bulk(entry, email=user.email or "", username=user.get_username())
    ]
    complete_refusal = (
        rules.why_not_completable(
            state=review.state,
            undecided=review.entry_count - review.decided_count,
            actions_open=review.action_count - review.actions_done_count,
            completer_id=user.pk,
            importer_id=review.imported_by_id,
            decider_ids={entry.decided_by_id for entry in entries},
        )
        if _may_complete(user, team) and review.state != CampaignState.COMPLETED
        else None
    )
    return render(
        request,
        "checklists/access_reviews/campaign_detail.html",
        {
            "team": team,
            "review": review,
            "list_url": _list_url(team),
            "sections": [section for section in sections if section["rows"]],
            "state_label": CampaignState(review.state).label,
            "can_bulk_keep": may_decide and open_state and bool(keepable),
            "bulk_keep_count": len(keepable),
            "may_complete": _may_complete(user, team) and review.state != CampaignState.COMPLETED,
            "can_complete": _may_complete(user, team)
            and review.state != CampaignState.COMPLETED
            and complete_refusal is None,
            "complete_refusal": complete_refusal,
            "complete_errors": list(complete_errors),
            "result_sha256": services.result_sha256(review.result) if review.result else None,
            "can_prepare": may_act and review.state == CampaignState.DRAFT,
        },
        status=status,
    )


@login_required
@require_GET
def access_review_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _detail_page(request, _review_or_404(request, slug, pk))


@login_required
@require_POST
def access_entry_decide(request: HttpRequest, slug: str, pk: int, entry_pk: int) -> HttpResponse:
    review = _deciding_review_or_404(request, slug, pk)
    entry = _entry_or_404(review, entry_pk)
    form = _decision_form(entry, request.POST)
    decided = apply_form(
        form,
        lambda **typed: services.entry_decide(entry=entry, by=request.user, **typed),
    )
    if decided is None:
        return _detail_page(request, review, bound={("decide", entry.pk): form}, status=400)
    messages.success(
        request, f"{decided.account}: {decided.get_decision_display().lower()} recorded."
    )
    return redirect(f"{review.get_absolute_url()}#entry-{decided.pk}")


@login_required
@require_POST
def access_entry_action_done(
    request: HttpRequest, slug: str, pk: int, entry_pk: int
) -> HttpResponse:
    review = _review_or_404(request, slug, pk, "manage_team")
    entry = _entry_or_404(review, entry_pk)
    form = ActionDoneForm(request.POST, prefix=f"done-{entry.pk}")
    done = apply_form(
        form, lambda note: services.entry_action_done(entry=entry, by=request.user, note=note)
    )
    if done is None:
        return _detail_page(request, review, bound={("done", entry.pk): form}, status=400)
    messages.success(request, f"{done.account}: confirmed done on the system.")
    return redirect(f"{review.get_absolute_url()}#entry-{done.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def access_review_bulk_keep(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review = _deciding_review_or_404(request, slug, pk)
    entries = list(services.bulk_keepable(review, request.user))
    if request.method == "GET":
        form = BulkKeepForm(entries=entries, initial={"entry_ids": [e.pk for e in entries]})
        return _bulk_page(request, review, form, entries)
    form = BulkKeepForm(request.POST, entries=entries)
    kept = apply_form(
        form,
        lambda entry_ids: services.entries_keep_bulk(
            review=review, by=request.user, entry_ids=entry_ids
        ),
    )
    if kept is None:
        return _bulk_page(request, review, form, entries, status=400)
    messages.success(request, f"{len(kept)} account{'' if len(kept) == 1 else 's'} kept.")
    return redirect(review.get_absolute_url())


def _bulk_page(request, review, form, entries, status: int = 200) -> HttpResponse:
    return render(
        request,
        "checklists/access_reviews/bulk_keep_confirm.html",
        {
            "team": review.team,
            "review": review,
            "form": form,
            "entries": entries,
            "open": review.state in rules.DECIDABLE_STATES,
        },
        status=status,
    )


@login_required
@require_POST
def access_review_complete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review = _review_or_404(request, slug, pk)
    if not _may_complete(request.user, review.team):
        raise Http404("Not a decider")
    try:
        completed = services.access_review_complete(review=review, by=request.user)
    except ValidationError as error:
        return _detail_page(request, review, complete_errors=error.messages, status=400)
    messages.success(
        request,
        f"Access review of {completed.system} for {completed.period} completed; the "
        f"obligation “{completed.obligation.title}” is done for this time.",
    )
    return redirect(completed.get_absolute_url())
