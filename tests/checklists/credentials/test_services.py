"""The credential, contact and incident services: rotation duties, four eyes, the leak
runbook, contact verification, and the secret refusal on every free-text field."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from checklists import runbooks
from checklists.models import ObligationKind, Occurrence
from checklists.models.credentials import Credential
from checklists.models.incidents import (
    Incident,
    IncidentContact,
    IncidentEntry,
    TimelineKind,
)
from checklists.services import credentials as services
from checklists.services import incidents as incident_services
from checklists.services import obligations
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.credentials.conftest import (
    GITHUB,
    STRIPE,
    make_contact,
    make_credential,
    provider,
)

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=timezone.get_current_timezone())):
        yield


def rotation(credential):
    return credential.obligations.get(kind=ObligationKind.KEY_ROTATION)


def open_occurrence(obligation):
    return obligation.occurrences.get(done_at__isnull=True)


def other_team_of(team):
    from portal.accounts import services as accounts

    return accounts.team_create(name="Warung Online", slug="warung-online")


# --- Credentials -----------------------------------------------------------------------------


def test_it_creates_the_rotation_obligation_one_interval_after_the_last_rotation(
    catalog, team, member
):
    make_checklist(team, member, period="2026-Q2", providers=("wechat",))
    credential = make_credential(
        team, member, last_rotated_on=date(2026, 5, 1), owner=member, rotation_interval_days=60
    )
    obligation = rotation(credential)
    assert obligation.title == "Rotate WeChat App Key (Production)"
    assert (obligation.cadence, obligation.interval_days) == ("days", 60)
    assert obligation.owner == member
    assert open_occurrence(obligation).due_on == date(2026, 6, 30)
    # The active key-rotation controls of the provider's guides, in the team's checklists.
    assert [c.ref for c in obligation.controls.all()] == ["WECHAT-BP.3"]
    elsewhere = make_credential(other_team_of(team), member, owner=None)
    assert list(rotation(elsewhere).controls.all()) == []


def test_a_never_rotated_credential_is_due_one_interval_after_its_creation(catalog, team, lead):
    credential = make_credential(team, lead, provider_slug="gopay", kind="client-token")
    obligation = rotation(credential)
    assert open_occurrence(obligation).due_on == date(2026, 4, 10)
    assert list(obligation.controls.all()) == []  # GoPay's guide has no rotation control


def test_it_refuses_bad_input_and_writes_nothing(catalog, team, lead, outsider):
    cases = [
        ({"name": " "}, "Give the credential a name."),
        ({"kept_in": ""}, "Say where the secret is kept"),
        ({"rotation_interval_days": 0}, "Give the rotation interval in days"),
        ({"created_on": date(2026, 7, 1)}, "cannot be in the future"),
        ({"last_rotated_on": date(2025, 1, 1)}, "cannot be before the credential was created"),
        ({"owner": outsider}, "The owner must be a member of the team."),
        ({"in_logs": "maybe"}, "Has it ever been written to logs?"),
    ]
    for fields, message in cases:
        with pytest.raises(ValidationError, match=message):
            make_credential(team, lead, **fields)
    make_credential(team, lead)
    with pytest.raises(ValidationError, match="already has a credential named"):
        make_credential(team, lead)
    assert Credential.objects.count() == 1


@pytest.mark.parametrize("field", ["name", "kept_in", "notes"])
def test_credential_create_refuses_a_secret_in_every_text_field(catalog, team, lead, field):
    with pytest.raises(ValidationError, match="looks like it holds a GitHub token"):
        make_credential(team, lead, **{field: f"see {GITHUB}"})
    assert not Credential.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="checklists.credential").exists()


@pytest.mark.parametrize("field", ["name", "kept_in", "notes"])
def test_credential_update_refuses_a_secret_in_every_text_field(catalog, team, lead, field):
    credential = make_credential(team, lead, notes="Used by checkout")
    values = {
        "name": credential.name,
        "kind": credential.kind,
        "environment": credential.environment,
        "kept_in": credential.kept_in,
        "rotation_interval_days": 30,
        "notes": credential.notes,
    }
    with pytest.raises(ValidationError, match="Stripe live secret key"):
        services.credential_update(
            credential=credential, by=lead, **{**values, field: f"x {STRIPE}"}
        )
    credential.refresh_from_db()
    assert (credential.name, credential.notes, credential.rotation_interval_days) == (
        "WeChat App Key",
        "Used by checkout",
        90,
    )
    assert rotation(credential).interval_days == 90


def test_an_update_carries_the_interval_owner_and_name_to_the_obligation(
    catalog, team, lead, member
):
    credential = make_credential(team, lead)
    services.credential_update(
        credential=credential,
        by=lead,
        name="WeChat App Key (payments)",
        kind="app-key",
        environment="staging",
        kept_in="WECHAT_APP_KEY",
        owner=member,
        rotation_interval_days=30,
        in_repository="yes",
    )
    obligation = rotation(credential)
    assert (obligation.interval_days, obligation.owner, obligation.title) == (
        30,
        member,
        "Rotate WeChat App Key (payments) (Staging)",
    )
    credential.refresh_from_db()
    assert credential.in_repository == "yes"
    event = AuditEvent.objects.get(action="checklists.credential.updated")
    assert event.changes["rotation_interval_days"] == {"from": 90, "to": 30}


def test_retiring_needs_a_reason_and_retires_the_obligation(catalog, team, lead):
    credential = make_credential(team, lead)
    with pytest.raises(ValidationError, match="Say why"):
        services.credential_retire(credential=credential, by=lead, reason=" ")
    with pytest.raises(ValidationError, match="GitHub token"):
        services.credential_retire(credential=credential, by=lead, reason=GITHUB)
    services.credential_retire(credential=credential, by=lead, reason="Replaced by OAuth")
    credential.refresh_from_db()
    assert credential.retired_at is not None
    assert rotation(credential).retired_at is not None
    with pytest.raises(ValidationError, match="retired"):
        services.credential_retire(credential=credential, by=lead, reason="again")


def test_a_rotation_takes_four_eyes(catalog, team, lead, member):
    credential = make_credential(team, member, last_rotated_on=date(2026, 5, 1))
    occurrence = open_occurrence(rotation(credential))
    obligations.occurrence_complete(
        occurrence=occurrence, by=member, note="New key in the vault, old one deactivated"
    )
    credential.refresh_from_db()
    assert credential.last_rotated_on == date(2026, 5, 1)  # not until confirmed

    with pytest.raises(ValidationError, match="another person must confirm"):
        obligations.occurrence_confirm(occurrence=occurrence, by=member)
    obligations.occurrence_confirm(occurrence=occurrence, by=lead)

    credential.refresh_from_db()
    assert credential.last_rotated_on == TODAY
    assert open_occurrence(rotation(credential)).due_on == TODAY + timedelta(days=90)
    [done] = services.rotation_history(credential)
    assert (done.completed_by, done.confirmed_by) == (member, lead)


# --- Leaks -----------------------------------------------------------------------------------


def test_reporting_a_leak_opens_the_runbook_and_brings_the_rotation_forward(catalog, team, member):
    make_checklist(team, member, period="2026-Q2", providers=("wechat",))
    credential = make_credential(team, member, last_rotated_on=date(2026, 5, 1))
    incident = services.credential_report_leak(
        credential=credential, by=member, summary="Key found in a public gist since May."
    )
    assert (incident.severity, incident.status) == ("high", "open")
    assert (incident.provider.slug, incident.credential) == ("wechat", credential)
    assert [c.ref for c in incident.controls.all()] == ["WECHAT-BP.3"]
    steps = list(incident.steps.order_by("position"))
    assert [s.title for s in steps] == [step.title for step in runbooks.KEY_LEAK]
    assert [s.position for s in steps] == [1, 2, 3, 4, 5]
    assert all("WeChat App Key leak remediation" in s.guidance for s in steps)
    [entry] = incident.timeline.all()
    assert entry.kind == TimelineKind.OPENED and "public gist" in entry.text

    occurrence = open_occurrence(rotation(credential))
    assert occurrence.due_on == TODAY
    assert occurrence.due_change_reason == f"Leak reported: incident #{incident.pk}"
    assert AuditEvent.objects.filter(action="checklists.incident.opened").count() == 1


def test_a_leak_leaves_an_overdue_rotation_where_it_is(catalog, team, member):
    credential = make_credential(team, member)  # due 2026-04-10, overdue
    services.credential_report_leak(credential=credential, by=member, summary="In the logs.")
    occurrence = open_occurrence(rotation(credential))
    assert (occurrence.due_on, occurrence.due_change_reason) == (date(2026, 4, 10), "")


def test_a_leak_report_refuses_a_secret_and_writes_nothing(catalog, team, member):
    credential = make_credential(team, member, last_rotated_on=date(2026, 5, 1))
    for summary in ("", f"The key {GITHUB} leaked"):
        with pytest.raises(ValidationError):
            services.credential_report_leak(credential=credential, by=member, summary=summary)
    assert not Incident.objects.exists()
    assert open_occurrence(rotation(credential)).due_on == date(2026, 7, 30)


def test_steps_are_done_once_and_the_provider_informed_once(catalog, team, lead, member):
    credential = make_credential(team, member)
    incident = services.credential_report_leak(credential=credential, by=member, summary="Leak")
    step = incident.steps.get(position=1)
    incident_services.incident_step_done(step=step, by=member, note="No foreign calls")
    with pytest.raises(ValidationError, match="already marked done"):
        incident_services.incident_step_done(step=step, by=lead, note="")
    step.refresh_from_db()
    assert (step.done_by, step.note) == (member, "No foreign calls")

    with pytest.raises(ValidationError, match="cannot be in the future"):
        incident_services.incident_record_informed(
            incident=incident, by=member, informed_at=timezone.now() + timedelta(hours=1)
        )
    told = timezone.now() - timedelta(minutes=30)
    incident_services.incident_record_informed(incident=incident, by=member, informed_at=told)
    with pytest.raises(ValidationError, match="already recorded as informed"):
        incident_services.incident_record_informed(
            incident=incident, by=lead, informed_at=timezone.now()
        )
    incident.refresh_from_db()
    assert incident.provider_informed_at == told
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == [TimelineKind.OPENED, TimelineKind.STEP, TimelineKind.INFORMED]


def test_the_status_moves_forward_back_from_resolved_with_a_reason_and_closed_is_final(
    catalog, team, lead
):
    incident = incident_services.incident_create(
        team=team, by=lead, title="Webhook flood", severity="medium"
    )
    with pytest.raises(ValidationError, match="Resolve the incident before closing"):
        incident_services.incident_set_status(incident=incident, by=lead, status="closed")
    incident_services.incident_set_status(incident=incident, by=lead, status="contained")
    with pytest.raises(ValidationError, match="cannot go back"):
        incident_services.incident_set_status(incident=incident, by=lead, status="open")
    incident = incident_services.incident_set_status(incident=incident, by=lead, status="resolved")
    assert incident.resolved_at is not None
    with pytest.raises(ValidationError, match="a reason is required"):
        incident_services.incident_set_status(incident=incident, by=lead, status="open")
    incident = incident_services.incident_set_status(
        incident=incident, by=lead, status="open", reason="It started again"
    )
    assert incident.resolved_at is None
    incident_services.incident_set_status(incident=incident, by=lead, status="resolved")
    incident = incident_services.incident_set_status(incident=incident, by=lead, status="closed")
    assert incident.closed_at is not None
    with pytest.raises(ValidationError, match="closed"):
        incident_services.incident_set_status(
            incident=incident, by=lead, status="open", reason="again"
        )
    with pytest.raises(ValidationError, match="closed"):
        incident_services.incident_note(incident=incident, by=lead, text="late note")
    assert AuditEvent.objects.filter(action="checklists.incident.status_changed").count() == 5
    assert incident.timeline.filter(kind=TimelineKind.STATUS).count() == 5


def test_incident_text_fields_refuse_secrets(catalog, team, lead):
    for field in ("title", "summary"):
        values = {"title": "Leak", "summary": "", field: f"token {GITHUB}"}
        with pytest.raises(ValidationError, match="GitHub token"):
            incident_services.incident_create(team=team, by=lead, severity="high", **values)
    assert not Incident.objects.exists()
    credential = make_credential(team, lead)
    incident = services.credential_report_leak(credential=credential, by=lead, summary="Leak")
    step = incident.steps.first()
    calls = [
        lambda: incident_services.incident_note(incident=incident, by=lead, text=GITHUB),
        lambda: incident_services.incident_set_status(
            incident=incident, by=lead, status="contained", reason=GITHUB
        ),
        lambda: incident_services.incident_step_done(step=step, by=lead, note=GITHUB),
        lambda: incident_services.incident_record_informed(
            incident=incident, by=lead, informed_at=timezone.now(), note=GITHUB
        ),
    ]
    for call in calls:
        with pytest.raises(ValidationError, match="GitHub token"):
            call()
    assert IncidentEntry.objects.filter(incident=incident).count() == 1
    incident.refresh_from_db()
    assert (incident.status, incident.provider_informed_at) == ("open", None)


def test_an_incident_refuses_another_teams_credential_and_foreign_controls(
    catalog, team, other_team, lead, outsider
):
    theirs = make_credential(other_team, outsider)
    with pytest.raises(ValidationError, match="must be one of the team's"):
        incident_services.incident_create(
            team=team, by=lead, title="x", severity="low", credential=theirs
        )
    make_checklist(team, lead, providers=("gopay",))
    from checklists.models import Control

    with pytest.raises(ValidationError, match="WECHAT-BP.3 is not in the team's checklists"):
        incident_services.incident_create(
            team=team,
            by=lead,
            title="x",
            severity="low",
            controls=[Control.objects.get(ref="WECHAT-BP.3")],
        )
    assert not Incident.objects.exists()


# --- Contacts --------------------------------------------------------------------------------


def test_the_first_contact_starts_the_verification_duty(catalog, team, member):
    make_checklist(team, member, period="2026-Q2", providers=("wechat",))
    make_contact(team, member)
    make_contact(team, member, position=2, channel="phone", address="+86 755 8601 3388")
    [obligation] = team.obligations.filter(kind=ObligationKind.CONTACT_VERIFICATION)
    assert obligation.title == "Verify WeChat incident contacts"
    assert obligation.provider == provider("wechat")
    assert open_occurrence(obligation).due_on == TODAY + timedelta(days=90)
    refs = {c.ref for c in obligation.controls.all()}
    assert "WECHAT-REVOKE.1" in refs and all(
        c.category == "incident-response" for c in obligation.controls.all()
    )


def test_contact_positions_and_addresses_are_checked(catalog, team, member):
    make_contact(team, member)
    with pytest.raises(ValidationError, match="Position 1 for WeChat is already"):
        make_contact(team, member, name="Other")
    with pytest.raises(ValidationError, match="Give an e-mail address"):
        make_contact(team, member, position=2, address="not-an-address")
    with pytest.raises(ValidationError, match="Give a phone number"):
        make_contact(team, member, position=2, channel="phone", address="call me")
    make_contact(team, member, position=2, channel="chat", address="@wechat-security on Slack")
    assert IncidentContact.objects.count() == 2


@pytest.mark.parametrize("field", ["name", "address", "notes"])
def test_contact_text_fields_refuse_secrets(catalog, team, member, field):
    with pytest.raises(ValidationError, match="GitHub token"):
        make_contact(team, member, channel="chat", **{field: f"x {GITHUB}"})
    contact = make_contact(team, member)
    values = {"position": 1, "name": "Desk", "channel": "chat", "address": "@desk", "notes": ""}
    with pytest.raises(ValidationError, match="GitHub token"):
        incident_services.contact_update(
            contact=contact, by=member, **{**values, field: f"x {GITHUB}"}
        )
    contact.refresh_from_db()
    assert contact.name == "Merchant support desk"


def test_verifying_completes_the_occurrence_and_stamps_the_contacts(catalog, team, lead, member):
    make_contact(team, member)
    make_contact(team, member, position=2, channel="chat", address="@desk")
    make_contact(team, member, provider_slug="gopay")
    with pytest.raises(ValidationError, match="GitHub token"):
        incident_services.contacts_verify(
            team=team, provider=provider("wechat"), by=lead, note=GITHUB
        )
    with pytest.raises(ValidationError, match="a note is required"):
        incident_services.contacts_verify(team=team, provider=provider("wechat"), by=lead, note="")
    incident_services.contacts_verify(
        team=team, provider=provider("wechat"), by=lead, note="Called their desk"
    )
    obligation = team.obligations.get(provider__slug="wechat")
    [done] = Occurrence.objects.filter(obligation=obligation, done_at__isnull=False)
    assert (done.completed_by, done.note, done.completed_on) == (lead, "Called their desk", TODAY)
    assert open_occurrence(obligation).due_on == TODAY + timedelta(days=90)
    stamped = IncidentContact.objects.filter(team=team, provider__slug="wechat")
    assert {(c.last_verified_on, c.last_verified_by) for c in stamped} == {(TODAY, lead)}
    gopay = IncidentContact.objects.get(provider__slug="gopay")
    assert gopay.last_verified_on is None
