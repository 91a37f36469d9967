"""The credential inventory: list, add, change, retire, and report a leak."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklists import incident_rules
from checklists.forms.credentials import CredentialForm, LeakForm, RetireForm
from checklists.models.credentials import EXPOSURE_QUESTIONS, Credential
from checklists.services import credentials as services
from checklists.views.common import apply_form
from portal.accounts.permissions import get_team_or_404, has_team_perm


def _credential_or_404(request: HttpRequest, slug: str, pk: int, perm: str) -> Credential:
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(
        Credential.objects.select_related("team", "provider", "owner", "created_by"),
        team=team,
        pk=pk,
    )


@login_required
@require_GET
def credential_list(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    return render(
        request,
        "checklists/credentials/credential_list.html",
        {
            "team": team,
            "rows": services.credential_rows(team, timezone.localdate()),
            "retired": team.credentials.filter(retired_at__isnull=False)
            .select_related("team")
            .order_by("name"),
            "can_create": has_team_perm(request.user, "attest_team", team),
        },
    )


def _form_page(request, team, form, credential=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "checklists/credentials/credential_form.html",
        {"team": team, "form": form, "credential": credential},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def credential_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "attest_team")
    if request.method == "GET":
        return _form_page(request, team, CredentialForm(team=team))
    form = CredentialForm(request.POST, team=team)
    credential = apply_form(form, partial(services.credential_create, team=team, by=request.user))
    if credential is None:
        return _form_page(request, team, form, status=400)
    messages.success(request, f"{credential} added, with its rotation duty.")
    return redirect(credential.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def credential_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    credential = _credential_or_404(request, slug, pk, "attest_team")
    team = credential.team
    if credential.retired_at is not None:
        messages.error(request, incident_rules.why_retired(credential.retired_at))
        return redirect(credential.get_absolute_url())
    if request.method == "GET":
        initial = {
            field: getattr(credential, field)
            for field in (
                "name",
                "kind",
                "environment",
                "kept_in",
                "rotation_interval_days",
                "notes",
                *EXPOSURE_QUESTIONS,
            )
        }
        initial["owner"] = credential.owner_id
        form = CredentialForm(team=team, editing=True, initial=initial)
        return _form_page(request, team, form, credential)
    form = CredentialForm(request.POST, team=team, editing=True)
    saved = apply_form(
        form, partial(services.credential_update, credential=credential, by=request.user)
    )
    if saved is None:
        return _form_page(request, team, form, credential, status=400)
    messages.success(request, f"{saved} saved.")
    return redirect(saved.get_absolute_url())


def _detail_page(
    request: HttpRequest,
    credential: Credential,
    *,
    retire_form=None,
    leak_form=None,
    status: int = 200,
) -> HttpResponse:
    team = credential.team
    user = request.user
    today = timezone.localdate()
    [credential] = services.with_rotation(Credential.objects.filter(pk=credential.pk))
    live = credential.retired_at is None
    can_attest = live and has_team_perm(user, "attest_team", team)
    can_manage = live and has_team_perm(user, "manage_team", team)
    state = services.due_status(credential.due, today)
    return render(
        request,
        "checklists/credentials/credential_detail.html",
        {
            "team": team,
            "credential": credential,
            "occurrence": credential.due,
            "status": state,
            "exposures": [
                (question, getattr(credential, f"get_{field}_display")())
                for field, question in EXPOSURE_QUESTIONS.items()
            ],
            "warnings": incident_rules.exposure_warnings(credential),
            "history": services.rotation_history(credential),
            "incidents": credential.incidents.select_related("team").order_by("-opened_at"),
            "can_edit": can_attest,
            "leak_form": (leak_form or LeakForm()) if can_attest else None,
            "retire_form": (retire_form or RetireForm()) if can_manage else None,
        },
        status=status,
    )


@login_required
@require_GET
def credential_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _detail_page(request, _credential_or_404(request, slug, pk, "view_team"))


@login_required
@require_POST
def credential_retire(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    credential = _credential_or_404(request, slug, pk, "manage_team")
    form = RetireForm(request.POST)
    retired = apply_form(
        form,
        lambda reason: services.credential_retire(
            credential=credential, by=request.user, reason=reason
        ),
    )
    if retired is None:
        return _detail_page(request, credential, retire_form=form, status=400)
    messages.success(request, f"{retired} retired; its rotation duty has ended.")
    return redirect("checklists:credential_list", credential.team.slug)


@login_required
@require_POST
def credential_report_leak(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    credential = _credential_or_404(request, slug, pk, "attest_team")
    form = LeakForm(request.POST)
    incident = apply_form(
        form,
        lambda summary: services.credential_report_leak(
            credential=credential, by=request.user, summary=summary
        ),
    )
    if incident is None:
        return _detail_page(request, credential, leak_form=form, status=400)
    messages.warning(
        request,
        f"Incident #{incident.pk} opened and the credential's rotation is due now. "
        "Tell the provider now, then work through the steps.",
    )
    return redirect(incident.get_absolute_url())
