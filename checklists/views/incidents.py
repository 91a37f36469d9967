"""Incident contacts (whom to tell) and incidents (what happened, step by step)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklists import incident_rules
from checklists.forms.incidents import (
    ContactForm,
    IncidentForm,
    InformedForm,
    NoteForm,
    StatusForm,
    StepDoneForm,
    VerifyForm,
)
from checklists.models import Provider
from checklists.models.incidents import Incident, IncidentContact
from checklists.services import incidents as services
from checklists.views.common import announce_errors, apply_form
from portal.accounts.permissions import get_team_or_404, has_team_perm

# --- Contacts ------------------------------------------------------------------------------


def _contact_or_404(request: HttpRequest, slug: str, pk: int) -> IncidentContact:
    team = get_team_or_404(request.user, slug, "attest_team")
    return get_object_or_404(
        IncidentContact.objects.select_related("team", "provider"), team=team, pk=pk
    )


def _contact_list_page(request, team, *, verify_form=None, verify_provider=None, status=200):
    can_edit = has_team_perm(request.user, "attest_team", team)
    groups = services.contact_groups(team, today=timezone.localdate())
    for group in groups:
        refused_here = verify_provider is not None and group["provider"].pk == verify_provider.pk
        group["verify_form"] = (
            (verify_form if refused_here else VerifyForm(prefix=group["provider"].slug))
            if can_edit
            else None
        )
    return render(
        request,
        "checklists/incidents/contact_list.html",
        {"team": team, "groups": groups, "can_edit": can_edit},
        status=status,
    )


@login_required
@require_GET
def contact_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _contact_list_page(request, get_team_or_404(request.user, slug))


def _contact_form_page(request, team, form, contact=None, status=200) -> HttpResponse:
    return render(
        request,
        "checklists/incidents/contact_form.html",
        {"team": team, "form": form, "contact": contact},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "attest_team")
    if request.method == "GET":
        provider = Provider.objects.filter(slug=request.GET.get("provider", "")).first()
        initial = {"position": services.next_position(team, provider)}
        if provider is not None:
            initial["provider"] = provider.slug
        return _contact_form_page(request, team, ContactForm(team=team, initial=initial))
    form = ContactForm(request.POST, team=team)
    contact = apply_form(form, partial(services.contact_create, team=team, by=request.user))
    if contact is None:
        return _contact_form_page(request, team, form, status=400)
    messages.success(request, f"{contact.name} added to the {contact.provider.name} contacts.")
    return redirect("checklists:contact_list", team.slug)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    contact = _contact_or_404(request, slug, pk)
    team = contact.team
    if request.method == "GET":
        initial = {
            field: getattr(contact, field)
            for field in ("position", "name", "channel", "address", "notes")
        }
        form = ContactForm(team=team, contact=contact, initial=initial)
        return _contact_form_page(request, team, form, contact)
    form = ContactForm(request.POST, team=team, contact=contact)
    saved = apply_form(form, partial(services.contact_update, contact=contact, by=request.user))
    if saved is None:
        return _contact_form_page(request, team, form, contact, status=400)
    messages.success(request, f"{saved.name} saved.")
    return redirect("checklists:contact_list", team.slug)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    contact = _contact_or_404(request, slug, pk)
    if request.method == "GET":
        return render(
            request,
            "checklists/incidents/contact_delete.html",
            {"team": contact.team, "contact": contact},
        )
    services.contact_delete(contact=contact, by=request.user)
    messages.success(request, f"{contact.name} removed from the {contact.provider.name} contacts.")
    return redirect("checklists:contact_list", contact.team.slug)


@login_required
@require_POST
def contacts_verify(request: HttpRequest, slug: str, provider: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "attest_team")
    provider = get_object_or_404(Provider, slug=provider)
    form = VerifyForm(request.POST, prefix=provider.slug)
    done = apply_form(
        form,
        lambda note: services.contacts_verify(
            team=team, provider=provider, by=request.user, note=note
        ),
    )
    if done is None:
        return _contact_list_page(
            request, team, verify_form=form, verify_provider=provider, status=400
        )
    messages.success(request, f"The {provider.name} contacts are recorded as verified today.")
    return redirect("checklists:contact_list", team.slug)


# --- Incidents -----------------------------------------------------------------------------


@login_required
@require_GET
def incident_list(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    return render(
        request,
        "checklists/incidents/incident_list.html",
        {
            "team": team,
            "incidents": services.incident_rows(team),
            "can_create": has_team_perm(request.user, "attest_team", team),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "attest_team")
    form = IncidentForm(request.POST or None, team=team)
    if request.method == "POST":
        incident = apply_form(form, partial(services.incident_create, team=team, by=request.user))
        if incident is not None:
            messages.success(request, f"Incident #{incident.pk} opened.")
            return redirect(incident.get_absolute_url())
    return render(
        request,
        "checklists/incidents/incident_form.html",
        {"team": team, "form": form},
        status=400 if form.is_bound else 200,
    )


def _incident_or_404(request: HttpRequest, slug: str, pk: int, perm: str) -> Incident:
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(services.incident_for_page(team, pk))


def _incident_page(
    request: HttpRequest,
    incident: Incident,
    *,
    refused: str | None = None,
    form=None,
    step_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The incident page. A refused form (`refused` names it) is shown again with its errors,
    or, where the page no longer offers it (a step already done), as messages."""
    team = incident.team
    can_act = (
        has_team_perm(request.user, "attest_team", team)
        and incident_rules.why_incident_closed(incident.status) is None
    )
    steps = list(incident.steps.all())
    shown = False
    for step in steps:
        step.form = None
        if can_act and step.done_at is None:
            if refused == "step_form" and step.pk == step_pk:
                step.form, shown = form, True
            else:
                step.form = StepDoneForm(prefix=f"step-{step.pk}")
    forms = {
        "note_form": NoteForm() if can_act else None,
        "status_form": StatusForm(initial={"status": incident.status}) if can_act else None,
        "informed_form": InformedForm()
        if can_act and incident.provider_informed_at is None
        else None,
    }
    if refused in forms and forms[refused] is not None:
        forms[refused], shown = form, True
    if refused and not shown:
        announce_errors(request, form)
    return render(
        request,
        "checklists/incidents/incident_detail.html",
        {
            "team": team,
            "incident": incident,
            "steps": steps,
            "timeline": incident.timeline.all(),
            "controls": incident.controls.all(),
            "contacts": services.provider_contacts(incident),
            "can_act": can_act,
            **forms,
        },
        status=status,
    )


@login_required
@require_GET
def incident_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _incident_page(request, _incident_or_404(request, slug, pk, "view_team"))


def _act(request, slug, pk, form_class, name, action, **page) -> HttpResponse:
    incident = _incident_or_404(request, slug, pk, "attest_team")
    form = form_class(request.POST, prefix=page.pop("prefix", None))
    if apply_form(form, partial(action, incident=incident, by=request.user)) is None:
        refreshed = _incident_or_404(request, slug, pk, "view_team")
        return _incident_page(request, refreshed, refused=name, form=form, status=400, **page)
    return redirect(incident.get_absolute_url())


@login_required
@require_POST
def incident_note(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(request, slug, pk, NoteForm, "note_form", services.incident_note)


@login_required
@require_POST
def incident_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(request, slug, pk, StatusForm, "status_form", services.incident_set_status)


@login_required
@require_POST
def incident_informed(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(request, slug, pk, InformedForm, "informed_form", services.incident_record_informed)


@login_required
@require_POST
def incident_step_done(request: HttpRequest, slug: str, pk: int, step_pk: int) -> HttpResponse:
    incident = _incident_or_404(request, slug, pk, "attest_team")
    step = get_object_or_404(incident.steps.all(), pk=step_pk)

    def done(*, incident, by, note):
        return services.incident_step_done(step=step, by=by, note=note)

    return _act(
        request,
        slug,
        pk,
        StepDoneForm,
        "step_form",
        done,
        prefix=f"step-{step.pk}",
        step_pk=step.pk,
    )
