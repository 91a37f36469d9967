"""Incident contacts (whom to tell, and checking they are current) and incidents (what
happened: a timeline, runbook steps, status, when the provider was told).

An incident's timeline is append-only: every change adds an entry and an audit event.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from checklists import incident_rules as rules
from checklists.models import Control, Obligation, ObligationKind, Occurrence, Provider
from checklists.models.catalog import Category
from checklists.models.credentials import Credential
from checklists.models.incidents import (
    Incident,
    IncidentContact,
    IncidentEntry,
    IncidentSeverity,
    IncidentStatus,
    IncidentStep,
    TimelineKind,
)
from checklists.runbooks import RunbookStep
from checklists.schedule import Rule
from checklists.services import obligations
from checklists.services.common import refuse, refuse_secrets
from portal.accounts.models import Team
from portal.audit import services as audit

CONTACT_VERIFICATION_DAYS = 90

# --- Incident contacts ---------------------------------------------------------------------


def _position_problem(team: Team, provider: Provider, position: int, exclude=None) -> str | None:
    taken = IncidentContact.objects.filter(team=team, provider=provider, position=position)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    holder = taken.first()
    if holder is not None:
        return (
            f"Position {position} for {provider.name} is already {holder.name}; "
            "choose another position."
        )
    return None


def _contact_problems(*, position, name: str, channel: str, address: str) -> list[str]:
    return [
        problem
        for problem in (
            None if position and position >= 1 else "Give the position: 1 is told first.",
            None if name.strip() else "Give the contact's name.",
            rules.contact_address_problem(channel, address),
        )
        if problem
    ]


def _verification_obligation(team: Team, provider: Provider) -> Obligation | None:
    return Obligation.objects.filter(
        team=team, provider=provider, kind=ObligationKind.CONTACT_VERIFICATION
    ).first()


def contact_create(
    *,
    team: Team,
    by,
    provider: Provider,
    position: int,
    name: str,
    channel: str,
    address: str,
    notes: str = "",
) -> IncidentContact:
    """A contact; the provider's first one also starts the team's duty to verify them."""
    refuse(*_contact_problems(position=position, name=name, channel=channel, address=address))
    refuse_secrets(name=name, address=address, notes=notes)
    with transaction.atomic():
        # The team row serialises contact changes of the team (positions stay unique).
        Team.objects.select_for_update(no_key=True).get(pk=team.pk)
        refuse(_position_problem(team, provider, position))
        contact = IncidentContact.objects.create(
            team=team,
            provider=provider,
            position=position,
            name=name.strip(),
            channel=channel,
            address=address.strip(),
            notes=notes,
        )
        if _verification_obligation(team, provider) is None:
            obligations.obligation_create(
                team=team,
                kind=ObligationKind.CONTACT_VERIFICATION,
                provider=provider,
                title=f"Verify {provider.name} incident contacts",
                rule=Rule("days", CONTACT_VERIFICATION_DAYS),
                # Of the provider's incident-response controls, those of the team's
                # checklists (an obligation links only those).
                controls=team_controls(team).filter(
                    source__provider=provider,
                    category=Category.INCIDENT_RESPONSE,
                    retired=False,
                ),
                starts_on=timezone.localdate() + timedelta(days=CONTACT_VERIFICATION_DAYS),
                by=by,
            )
        audit.record(
            "checklists.incident_contact.added",
            actor=by,
            obj=contact,
            team=team,
            changes={
                "provider": provider.slug,
                "position": position,
                "name": contact.name,
                "channel": channel,
                "address": contact.address,
            },
        )
    return contact


def contact_update(
    *,
    contact: IncidentContact,
    by,
    position: int,
    name: str,
    channel: str,
    address: str,
    notes: str = "",
) -> IncidentContact:
    refuse(*_contact_problems(position=position, name=name, channel=channel, address=address))
    refuse_secrets(name=name, address=address, notes=notes)
    with transaction.atomic():
        Team.objects.select_for_update(no_key=True).get(pk=contact.team_id)
        contact = IncidentContact.objects.select_related("team", "provider").get(pk=contact.pk)
        refuse(_position_problem(contact.team, contact.provider, position, exclude=contact))
        fields = ("position", "name", "channel", "address", "notes")
        before = {field: getattr(contact, field) for field in fields}
        contact.position = position
        contact.name = name.strip()
        contact.channel = channel
        contact.address = address.strip()
        contact.notes = notes
        contact.save()
        changes = audit.diff(before, {field: getattr(contact, field) for field in fields})
        if changes:
            audit.record(
                "checklists.incident_contact.updated",
                actor=by,
                obj=contact,
                team=contact.team,
                changes=changes,
            )
    return contact


def contact_delete(*, contact: IncidentContact, by) -> None:
    with transaction.atomic():
        contact = (
            IncidentContact.objects.select_for_update(of=("self",), no_key=True)
            .select_related("team", "provider")
            .get(pk=contact.pk)
        )
        gone = {
            "provider": contact.provider.slug,
            "position": contact.position,
            "name": contact.name,
            "channel": contact.channel,
            "address": contact.address,
        }
        # Recorded before the row goes, so the event still names it.
        audit.record(
            "checklists.incident_contact.deleted",
            actor=by,
            obj=contact,
            team=contact.team,
            changes=gone,
        )
        contact.delete()


def contacts_verify(*, team: Team, provider: Provider, by, note: str) -> list[IncidentContact]:
    """Someone checked that the provider's contacts are current: the verification duty's open
    occurrence is completed with the note, and each contact is stamped."""
    refuse(None if note.strip() else "Say how the contacts were checked: a note is required.")
    refuse_secrets(note=note)
    today = timezone.localdate()
    with transaction.atomic():
        contacts = list(
            IncidentContact.objects.select_for_update(of=("self",), no_key=True).filter(
                team=team, provider=provider
            )
        )
        refuse(None if contacts else f"The team has no {provider.name} contacts to verify.")
        obligation = _verification_obligation(team, provider)
        refuse(
            None
            if obligation is not None and obligation.retired_at is None
            else f"The team no longer keeps a duty to verify its {provider.name} contacts."
        )
        occurrence = obligation.occurrences.filter(done_at__isnull=True).first()
        obligations.occurrence_complete(occurrence=occurrence, by=by, note=note)
        IncidentContact.objects.filter(pk__in=[c.pk for c in contacts]).update(
            last_verified_on=today, last_verified_by=by
        )
        audit.record(
            "checklists.incident_contact.verified",
            actor=by,
            obj=obligation,
            team=team,
            changes={"provider": provider.slug, "contacts": [c.name for c in contacts]},
            reason=note,
        )
    for contact in contacts:
        contact.last_verified_on, contact.last_verified_by = today, by
    return contacts


def contact_groups(team: Team, *, today) -> list[dict]:
    """The team's contacts by provider, in order, with whether verifying them is overdue."""
    contacts = IncidentContact.objects.filter(team=team).select_related(
        "provider", "last_verified_by"
    )
    open_occurrences = {
        occurrence.obligation.provider_id: occurrence
        for occurrence in Occurrence.objects.filter(
            obligation__team=team,
            obligation__kind=ObligationKind.CONTACT_VERIFICATION,
            obligation__retired_at__isnull=True,
            done_at__isnull=True,
        ).select_related("obligation")
    }
    groups: dict[int, dict] = {}
    for contact in contacts.order_by("provider__name", "position"):
        group = groups.setdefault(
            contact.provider_id,
            {
                "provider": contact.provider,
                "contacts": [],
                "occurrence": open_occurrences.get(contact.provider_id),
            },
        )
        group["contacts"].append(contact)
    for group in groups.values():
        occurrence = group["occurrence"]
        group["verification_due_on"] = occurrence.due_on if occurrence else None
        group["verification_overdue"] = bool(occurrence and occurrence.due_on < today)
    return list(groups.values())


# --- Incidents -----------------------------------------------------------------------------


def team_controls(team: Team):
    """The controls an incident may name: those of the team's checklists."""
    return Control.objects.filter(attestations__checklist__team=team).distinct()


def _lock(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",), no_key=True)
        .select_related("team")
        .get(pk=incident.pk)
    )


def _entry(incident: Incident, kind: str, text: str, by) -> IncidentEntry:
    return IncidentEntry.objects.create(incident=incident, kind=kind, text=text, by=by)


def incident_problems(*, team: Team, title: str, severity: str, credential) -> list[str]:
    return [
        problem
        for problem in (
            None if title.strip() else "Give the incident a title.",
            None if severity in IncidentSeverity.values else "Choose the severity.",
            None
            if credential is None or credential.team_id == team.pk
            else "The credential must be one of the team's.",
        )
        if problem
    ]


def open_incident(
    *,
    team: Team,
    by,
    title: str,
    summary: str,
    severity: str,
    provider: Provider | None,
    credential: Credential | None,
    controls: Sequence[Control],
    steps: Iterable[RunbookStep] = (),
    opened_text: str,
) -> tuple[Incident, audit.Entry]:
    """Rows of a new incident, inside the caller's transaction; the caller records the entry
    (last in its transaction)."""
    incident = Incident.objects.create(
        team=team,
        title=title.strip(),
        summary=summary,
        severity=severity,
        provider=provider,
        credential=credential,
        opened_by=by,
    )
    incident.controls.set(controls)
    IncidentStep.objects.bulk_create(
        IncidentStep(incident=incident, position=n, title=step.title, guidance=step.guidance)
        for n, step in enumerate(steps, start=1)
    )
    _entry(incident, TimelineKind.OPENED, opened_text, by)
    entry = audit.Entry(
        "checklists.incident.opened",
        actor=by,
        obj=incident,
        team=team,
        changes={
            "title": incident.title,
            "severity": severity,
            "provider": provider.slug if provider else None,
            "credential": str(credential) if credential else None,
            "controls": sorted(control.ref for control in controls),
            "steps": [step.title for step in steps],
        },
    )
    return incident, entry


def incident_create(
    *,
    team: Team,
    by,
    title: str,
    summary: str = "",
    severity: str,
    provider: Provider | None = None,
    credential: Credential | None = None,
    controls: Iterable[Control] = (),
) -> Incident:
    controls = list(controls)
    refuse(*incident_problems(team=team, title=title, severity=severity, credential=credential))
    refuse_secrets(title=title, summary=summary)
    allowed = set(team_controls(team).filter(pk__in=[c.pk for c in controls]))
    refuse(
        *(
            f"{control.ref} is not in the team's checklists."
            for control in controls
            if control not in allowed
        )
    )
    with transaction.atomic():
        incident, entry = open_incident(
            team=team,
            by=by,
            title=title,
            summary=summary,
            severity=severity,
            provider=provider,
            credential=credential,
            controls=controls,
            opened_text=f"Incident opened: {title.strip()}.",
        )
        audit.record_many([entry])
    return incident


def incident_note(*, incident: Incident, by, text: str) -> IncidentEntry:
    refuse(None if text.strip() else "Write the note.")
    refuse_secrets(note=text)
    with transaction.atomic():
        incident = _lock(incident)
        refuse(rules.why_incident_closed(incident.status))
        entry = _entry(incident, TimelineKind.NOTE, text.strip(), by)
        audit.record(
            "checklists.incident.note_added",
            actor=by,
            obj=incident,
            team=incident.team,
            changes={"entry": entry.pk},
        )
    return entry


def incident_set_status(*, incident: Incident, by, status: str, reason: str = "") -> Incident:
    refuse_secrets(reason=reason)
    with transaction.atomic():
        incident = _lock(incident)
        refuse(rules.status_change_problem(current=incident.status, new=status, reason=reason))
        before = incident.status
        now = timezone.now()
        incident.status = status
        if status == IncidentStatus.RESOLVED:
            incident.resolved_at = now
        elif status == IncidentStatus.CLOSED:
            incident.closed_at = now
        elif status == IncidentStatus.OPEN:
            incident.resolved_at = None
        incident.save(update_fields=["status", "resolved_at", "closed_at"])
        text = (
            f"Status changed from {IncidentStatus(before).label.lower()} to "
            f"{IncidentStatus(status).label.lower()}."
        )
        _entry(incident, TimelineKind.STATUS, f"{text} {reason.strip()}".strip(), by)
        audit.record(
            "checklists.incident.status_changed",
            actor=by,
            obj=incident,
            team=incident.team,
            changes={"status": audit.change(before, status)},
            reason=reason.strip(),
        )
    return incident


def incident_step_done(*, step: IncidentStep, by, note: str = "") -> IncidentStep:
    refuse_secrets(note=note)
    with transaction.atomic():
        incident = _lock(step.incident)
        step = IncidentStep.objects.select_for_update(of=("self",), no_key=True).get(pk=step.pk)
        refuse(
            rules.why_incident_closed(incident.status),
            rules.step_done_problem(done_at=step.done_at),
        )
        step.done_by = by
        step.done_at = timezone.now()
        step.note = note.strip()
        step.save(update_fields=["done_by", "done_at", "note"])
        text = f"Step {step.position} done: {step.title}."
        _entry(incident, TimelineKind.STEP, f"{text} {step.note}".strip(), by)
        audit.record(
            "checklists.incident.step_done",
            actor=by,
            obj=incident,
            team=incident.team,
            changes={"step": step.position, "title": step.title},
            reason=step.note,
        )
    return step


def incident_record_informed(
    *, incident: Incident, by, informed_at: datetime | None, note: str = ""
) -> Incident:
    """When the provider was told; recorded once."""
    refuse_secrets(note=note)
    with transaction.atomic():
        incident = _lock(incident)
        refuse(
            rules.why_incident_closed(incident.status),
            rules.informed_problem(
                informed_at=informed_at,
                already=incident.provider_informed_at,
                now=timezone.now(),
            ),
        )
        incident.provider_informed_at = informed_at
        incident.save(update_fields=["provider_informed_at"])
        local = timezone.localtime(informed_at)
        who = incident.provider.name if incident.provider_id else "The provider"
        text = f"{who} informed on {local:%Y-%m-%d %H:%M}."
        _entry(incident, TimelineKind.INFORMED, f"{text} {note.strip()}".strip(), by)
        audit.record(
            "checklists.incident.provider_informed",
            actor=by,
            obj=incident,
            team=incident.team,
            changes={"provider_informed_at": informed_at.isoformat()},
            reason=note.strip(),
        )
    return incident


def incident_rows(team: Team):
    """The team's incidents, open ones first, for the list."""
    return sorted(
        Incident.objects.filter(team=team).select_related(
            "team", "provider", "credential", "opened_by"
        ),
        key=lambda incident: (
            incident.status == IncidentStatus.CLOSED,
            incident.status == IncidentStatus.RESOLVED,
            -incident.opened_at.timestamp(),
        ),
    )


def incident_for_page(team: Team, pk: int):
    return (
        Incident.objects.filter(team=team, pk=pk)
        .select_related("provider", "credential", "opened_by", "team")
        .prefetch_related(
            Prefetch("steps", queryset=IncidentStep.objects.select_related("done_by")),
            Prefetch("timeline", queryset=IncidentEntry.objects.select_related("by")),
            "controls",
        )
    )


def provider_contacts(incident: Incident) -> list[IncidentContact]:
    if not incident.provider_id:
        return []
    return list(
        IncidentContact.objects.filter(team=incident.team, provider=incident.provider).order_by(
            "position"
        )
    )


def next_position(team: Team, provider: Provider | None) -> int:
    if provider is None:
        return 1
    top = IncidentContact.objects.filter(team=team, provider=provider).aggregate(Max("position"))
    return (top["position__max"] or 0) + 1
