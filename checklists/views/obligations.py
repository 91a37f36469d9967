"""A team's obligations and their occurrences: the list, the obligation, one occurrence, and
the actions on them (complete, confirm, send back, move the due date; create, edit, retire).

Reading needs `view_team` (an outsider gets a 404); completing needs `attest_team`;
confirming or sending back a rotation needs `attest_team` or `review_team` and to be someone
other than the person who completed it; the rest needs `manage_team`. A refused action shows
its page again, with the form as typed and each refusal next to its field (status 400)."""

from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklists import rules
from checklists.forms.obligations import (
    CompleteForm,
    MoveDueForm,
    ObligationEditForm,
    ObligationForm,
    RetireForm,
    SendBackForm,
)
from checklists.models import Obligation, Occurrence
from checklists.schedule import Rule, Status, status_of
from checklists.services import obligations as services
from checklists.views.common import apply_form
from portal.accounts.models import Team
from portal.accounts.permissions import get_team_or_404, has_team_perm

# The list shows what needs doing first.
STATUS_ORDER = {
    Status.OVERDUE: 0,
    Status.DUE_SOON: 1,
    Status.AWAITING_CONFIRMATION: 2,
    Status.UPCOMING: 3,
    Status.DONE: 4,
}


def _day(value) -> str:
    return f"{value:%-d %B %Y}"


def _obligation_or_404(request: HttpRequest, slug: str, pk: int, perm: str) -> Obligation:
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(
        Obligation.objects.select_related("team", "owner", "credential", "provider"),
        team=team,
        pk=pk,
    )


def _occurrence_or_404(
    request: HttpRequest, slug: str, obligation_pk: int, pk: int, perm: str = "view_team"
) -> Occurrence:
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(
        Occurrence.objects.select_related(
            "obligation__team",
            "obligation__owner",
            "completed_by",
            "confirmed_by",
        ),
        obligation__team=team,
        obligation_id=obligation_pk,
        pk=pk,
    )


# --- The list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    obligation: Obligation
    rule: str
    occurrence: Occurrence | None
    status: Status | None


@login_required
@require_GET
def obligation_list(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    today = timezone.localdate()
    active = team.obligations.filter(retired_at__isnull=True).select_related("owner")
    active = active.prefetch_related(
        Prefetch(
            "occurrences",
            queryset=Occurrence.objects.filter(done_at__isnull=True),
            to_attr="open_occurrences",
        )
    )
    rows = []
    for obligation in active:
        occurrence = obligation.open_occurrences[0] if obligation.open_occurrences else None
        rows.append(
            Row(
                obligation,
                Rule.of(obligation).describe(),
                occurrence,
                status_of(occurrence, today) if occurrence else None,
            )
        )
    rows.sort(
        key=lambda row: (
            STATUS_ORDER.get(row.status, 5),
            row.occurrence.due_on if row.occurrence else today,
            row.obligation.title,
        )
    )
    return render(
        request,
        "checklists/obligations/obligation_list.html",
        {
            "team": team,
            "rows": rows,
            "retired": list(team.obligations.filter(retired_at__isnull=False).order_by("title")),
            "can_manage": has_team_perm(request.user, "manage_team", team),
        },
    )


# --- Creating and changing obligations -----------------------------------------------------


def _form_page(request, team, form, *, obligation=None, status=200) -> HttpResponse:
    return render(
        request,
        "checklists/obligations/obligation_form.html",
        {"team": team, "form": form, "obligation": obligation},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def obligation_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    if request.method == "GET":
        return _form_page(request, team, ObligationForm(team=team))
    form = ObligationForm(request.POST, team=team)
    obligation = apply_form(form, partial(services.obligation_create, team=team, by=request.user))
    if obligation is None:
        return _form_page(request, team, form, status=400)
    first = obligation.occurrences.get()
    messages.success(
        request, f"Obligation “{obligation.title}” created; first due {_day(first.due_on)}."
    )
    return redirect(obligation.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def obligation_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    obligation = _obligation_or_404(request, slug, pk, "manage_team")
    team = obligation.team
    if request.method == "GET":
        form = ObligationEditForm(team=team, initial=ObligationForm.initial_for(obligation))
        return _form_page(request, team, form, obligation=obligation)
    form = ObligationEditForm(request.POST, team=team)
    saved = apply_form(
        form, partial(services.obligation_update, obligation=obligation, by=request.user)
    )
    if saved is None:
        return _form_page(request, team, form, obligation=obligation, status=400)
    messages.success(request, "Obligation saved. A new rule applies from the next occurrence.")
    return redirect(saved.get_absolute_url())


@login_required
@require_POST
def obligation_retire(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    obligation = _obligation_or_404(request, slug, pk, "manage_team")
    form = RetireForm(request.POST)
    retired = apply_form(
        form, partial(services.obligation_retire, obligation=obligation, by=request.user)
    )
    if retired is None:
        return _detail_page(request, obligation, retire_form=form, status=400)
    messages.success(request, f"“{obligation.title}” retired: nothing more falls due.")
    return redirect(obligation.get_absolute_url())


# --- The obligation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    occurrence: Occurrence
    late_days: int


def _detail_page(
    request: HttpRequest, obligation: Obligation, *, retire_form=None, status: int = 200
) -> HttpResponse:
    team = obligation.team
    user = request.user
    today = timezone.localdate()
    open_occurrence = obligation.occurrences.filter(done_at__isnull=True).first()
    done = (
        obligation.occurrences.filter(done_at__isnull=False)
        .select_related("completed_by", "confirmed_by")
        .prefetch_related("evidence")
        .order_by("-completed_on", "-pk")
    )
    can_manage = has_team_perm(user, "manage_team", team)
    active = obligation.retired_at is None
    return render(
        request,
        "checklists/obligations/obligation_detail.html",
        {
            "team": team,
            "obligation": obligation,
            "rule": Rule.of(obligation).describe(),
            "needs_confirmation": rules.needs_confirmation(obligation.kind),
            "controls": list(obligation.controls.order_by("ref")),
            "open_occurrence": open_occurrence,
            "open_status": status_of(open_occurrence, today) if open_occurrence else None,
            "open_actions": _actions(user, open_occurrence, obligation) if open_occurrence else {},
            "history": [
                Done(occurrence, (occurrence.completed_on - occurrence.due_on).days)
                for occurrence in done
            ],
            "can_manage": can_manage and active,
            "retire_form": retire_form or (RetireForm() if can_manage and active else None),
        },
        status=status,
    )


def _actions(user, occurrence: Occurrence, obligation: Obligation) -> dict[str, object]:
    """What the person may do with an open occurrence, and why not where it helps them."""
    team = obligation.team
    active = obligation.retired_at is None
    open_ = occurrence.done_at is None
    completed = occurrence.completed_at is not None
    may_attest = has_team_perm(user, "attest_team", team)
    may_confirm = may_attest or has_team_perm(user, "review_team", team)
    confirm_refusal = (
        rules.why_not_confirmable(
            completed_by_id=occurrence.completed_by_id,
            confirmer_id=user.pk,
            done=not open_,
        )
        if may_confirm and completed
        else None
    )
    return {
        "complete": active and may_attest and open_ and not completed,
        "confirm": active and may_confirm and completed and open_ and confirm_refusal is None,
        "confirm_note": confirm_refusal if active and open_ else None,
        "move_due": active and open_ and not completed and has_team_perm(user, "manage_team", team),
    }


@login_required
@require_GET
def obligation_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _detail_page(request, _obligation_or_404(request, slug, pk, "view_team"))


# --- One occurrence ------------------------------------------------------------------------


def _occurrence_page(
    request: HttpRequest,
    occurrence: Occurrence,
    *,
    complete_form=None,
    send_back_form=None,
    move_due_form=None,
    status: int = 200,
) -> HttpResponse:
    obligation = occurrence.obligation
    actions = _actions(request.user, occurrence, obligation)
    return render(
        request,
        "checklists/obligations/occurrence_detail.html",
        {
            "team": obligation.team,
            "obligation": obligation,
            "occurrence": occurrence,
            "status": status_of(occurrence, timezone.localdate()),
            "rule": Rule.of(obligation).describe(),
            "needs_confirmation": rules.needs_confirmation(obligation.kind),
            "evidence": list(occurrence.evidence.all()),
            "late_days": (occurrence.completed_on - occurrence.due_on).days
            if occurrence.completed_on
            else None,
            "actions": actions,
            "retired_note": rules.obligation_retired(retired=obligation.retired_at is not None),
            # A refused form is shown again, with its errors, whatever changed since.
            "complete_form": complete_form or (CompleteForm() if actions["complete"] else None),
            "send_back_form": send_back_form or (SendBackForm() if actions["confirm"] else None),
            "move_due_form": move_due_form
            or (
                MoveDueForm(initial={"due_on": occurrence.due_on}) if actions["move_due"] else None
            ),
        },
        status=status,
    )


@login_required
@require_GET
def occurrence_detail(request: HttpRequest, slug: str, obligation_pk: int, pk: int) -> HttpResponse:
    return _occurrence_page(request, _occurrence_or_404(request, slug, obligation_pk, pk))


@login_required
@require_POST
def occurrence_complete(
    request: HttpRequest, slug: str, obligation_pk: int, pk: int
) -> HttpResponse:
    occurrence = _occurrence_or_404(request, slug, obligation_pk, pk, "attest_team")
    form = CompleteForm(request.POST, request.FILES)
    completed = apply_form(
        form, partial(services.occurrence_complete, occurrence=occurrence, by=request.user)
    )
    if completed is None:
        return _occurrence_page(request, occurrence, complete_form=form, status=400)
    if completed.done_at is None:
        messages.success(request, "Completed; a second person must confirm this rotation.")
        return redirect(completed.get_absolute_url())
    messages.success(request, f"Done. The next occurrence is due {_next_due(occurrence)}.")
    return redirect(occurrence.obligation.get_absolute_url())


def _next_due(occurrence: Occurrence) -> str:
    following = Occurrence.objects.get(obligation_id=occurrence.obligation_id, done_at=None)
    return _day(following.due_on)


def _confirmer_occurrence_or_404(request, slug, obligation_pk, pk) -> Occurrence:
    """Confirming asks for `attest_team` or `review_team` on the team: a 404 otherwise."""
    occurrence = _occurrence_or_404(request, slug, obligation_pk, pk)
    team: Team = occurrence.obligation.team
    if not (
        has_team_perm(request.user, "attest_team", team)
        or has_team_perm(request.user, "review_team", team)
    ):
        raise Http404("No occurrence here.")
    return occurrence


@login_required
@require_POST
def occurrence_confirm(
    request: HttpRequest, slug: str, obligation_pk: int, pk: int
) -> HttpResponse:
    occurrence = _confirmer_occurrence_or_404(request, slug, obligation_pk, pk)
    form = SendBackForm(request.POST)  # the page's one form for both answers; no comment needed

    def confirm(**_typed):
        return services.occurrence_confirm(occurrence=occurrence, by=request.user)

    if apply_form(form, confirm) is None:
        return _occurrence_page(request, occurrence, send_back_form=form, status=400)
    messages.success(
        request, f"Confirmed: the rotation is done. The next one is due {_next_due(occurrence)}."
    )
    return redirect(occurrence.obligation.get_absolute_url())


@login_required
@require_POST
def occurrence_send_back(
    request: HttpRequest, slug: str, obligation_pk: int, pk: int
) -> HttpResponse:
    occurrence = _confirmer_occurrence_or_404(request, slug, obligation_pk, pk)
    form = SendBackForm(request.POST)
    completer = occurrence.completed_by
    sent = apply_form(
        form, partial(services.occurrence_send_back, occurrence=occurrence, by=request.user)
    )
    if sent is None:
        return _occurrence_page(request, occurrence, send_back_form=form, status=400)
    who = completer.get_username() if completer else "the person who completed it"
    messages.success(request, f"Sent back: {who} must complete it again.")
    return redirect(sent.get_absolute_url())


@login_required
@require_POST
def occurrence_move_due(
    request: HttpRequest, slug: str, obligation_pk: int, pk: int
) -> HttpResponse:
    occurrence = _occurrence_or_404(request, slug, obligation_pk, pk, "manage_team")
    form = MoveDueForm(request.POST)
    moved = apply_form(
        form, partial(services.occurrence_move_due, occurrence=occurrence, by=request.user)
    )
    if moved is None:
        return _occurrence_page(request, occurrence, move_due_form=form, status=400)
    messages.success(request, f"The due date is now {_day(moved.due_on)}.")
    return redirect(moved.get_absolute_url())
