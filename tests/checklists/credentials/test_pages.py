"""The credential, contact and incident pages: forms that keep what was typed, the leak
page, every URL for every role, and query counts that do not grow with the rows."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists.models.credentials import Credential
from checklists.models.incidents import Incident, IncidentContact
from checklists.services import credentials as services
from checklists.services import incidents as incident_services
from tests.checklists.credentials.conftest import GITHUB, make_contact, make_credential, provider
from tests.conftest import make_user

CREDENTIAL_POST = {
    "name": "GoPay client token",
    "provider": "gopay",
    "kind": "client-token",
    "environment": "production",
    "kept_in": "GOPAY_CLIENT_TOKEN",
    "owner": "",
    "rotation_interval_days": "90",
    "created_on": "2026-01-10",
    "last_rotated_on": "",
    "in_front_end": "no",
    "in_repository": "yes",
    "in_logs": "unknown",
    "returned_to_clients": "unknown",
    "notes": "Used by the checkout service",
}


def _error_of(response, field: str) -> str:
    html = response.content.decode()
    marker = f'id="id_{field}_error">'
    assert marker in html, f"no error next to {field}"
    return html.split(marker, 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize("field", ["name", "kept_in", "notes"])
def test_a_secret_is_refused_next_to_its_field_and_the_form_kept(
    catalog, team, member, client, field
):
    client.force_login(member)
    data = {**CREDENTIAL_POST, field: f"{CREDENTIAL_POST[field]} {GITHUB}"}
    response = client.post(reverse("checklists:credential_new", args=[team.slug]), data)
    assert response.status_code == 400
    assert "looks like it holds a GitHub token" in _error_of(response, field)
    html = response.content.decode()
    for other in ("name", "kept_in", "notes"):
        if other != field:
            assert CREDENTIAL_POST[other] in html
    assert "There is no field for the secret itself" in html
    assert not Credential.objects.exists()


@pytest.mark.parametrize("field", ["name", "address", "notes"])
def test_the_contact_form_refuses_a_secret_next_to_the_field(catalog, team, member, client, field):
    client.force_login(member)
    data = {
        "provider": "gopay",
        "position": "1",
        "name": "GoPay desk",
        "channel": "chat",
        "address": "@gopay-security",
        "notes": "Weekdays",
    }
    data[field] = f"{data[field]} {GITHUB}"
    response = client.post(reverse("checklists:contact_new", args=[team.slug]), data)
    assert response.status_code == 400
    assert "GitHub token" in _error_of(response, field)
    assert not IncidentContact.objects.exists()


@pytest.mark.parametrize("field", ["title", "summary"])
def test_the_incident_form_refuses_a_secret_next_to_the_field(catalog, team, member, client, field):
    client.force_login(member)
    data = {"title": "Webhook flood", "summary": "Since 9:00", "severity": "high"}
    data[field] = f"{data[field]} {GITHUB}"
    response = client.post(reverse("checklists:incident_new", args=[team.slug]), data)
    assert response.status_code == 400
    assert "GitHub token" in _error_of(response, field)
    assert not Incident.objects.exists()


def test_the_leak_note_and_step_forms_refuse_a_secret_next_to_the_field(
    catalog, team, member, client
):
    credential = make_credential(team, member)
    client.force_login(member)
    response = client.post(
        reverse("checklists:credential_report_leak", args=[team.slug, credential.pk]),
        {"summary": f"Leaked {GITHUB}"},
    )
    assert response.status_code == 400
    assert "GitHub token" in _error_of(response, "summary")
    incident = services.credential_report_leak(credential=credential, by=member, summary="x")
    step = incident.steps.first()
    args = [team.slug, incident.pk]
    for url, data, field in [
        (reverse("checklists:incident_note", args=args), {"text": GITHUB}, "text"),
        (
            reverse("checklists:incident_step_done", args=[*args, step.pk]),
            {f"step-{step.pk}-note": GITHUB},
            f"step-{step.pk}-note",
        ),
        (
            reverse("checklists:incident_status", args=args),
            {"status": "contained", "reason": GITHUB},
            "reason",
        ),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400
        assert "GitHub token" in _error_of(response, field)
    assert incident.timeline.count() == 1


def test_another_teams_credential_in_the_incident_form_is_a_form_error(
    catalog, team, other_team, member, outsider, client
):
    theirs = make_credential(other_team, outsider)
    client.force_login(member)
    response = client.post(
        reverse("checklists:incident_new", args=[team.slug]),
        {"title": "Leak", "severity": "high", "credential": str(theirs.pk)},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in _error_of(response, "credential")
    assert not Incident.objects.exists()


def test_a_leak_report_leads_to_the_incident_page_with_whom_to_tell(
    catalog, team, lead, member, client
):
    make_contact(team, lead, provider_slug="gopay", name="GoPay risk desk")
    make_contact(
        team,
        lead,
        provider_slug="gopay",
        position=2,
        name="Account manager",
        channel="phone",
        address="+62 21 5555 0100",
    )
    gopay = provider("gopay")
    gopay.incident_instructions = "Report token leaks at once."
    gopay.save()
    credential = make_credential(
        team, member, provider_slug="gopay", kind="client-token", last_rotated_on=date.today()
    )
    client.force_login(member)
    response = client.post(
        reverse("checklists:credential_report_leak", args=[team.slug, credential.pk]),
        {"summary": "Token seen in the miniapp bundle"},
        follow=True,
    )
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == incident.get_absolute_url()
    html = response.content.decode()
    assert html.index("GoPay risk desk") < html.index("Account manager")
    assert "Report token leaks at once." in html
    assert "Record that the provider was informed" in html
    assert "Check whether someone else used the key" in html
    rotation = credential.obligations.get().occurrences.get(done_at__isnull=True)
    assert rotation.due_on == timezone.localdate()

    informed = timezone.localtime() - timedelta(minutes=5)
    response = client.post(
        reverse("checklists:incident_informed", args=[team.slug, incident.pk]),
        {"informed_at": informed.strftime("%Y-%m-%dT%H:%M"), "note": "Mailed the desk"},
        follow=True,
    )
    assert "Record that the provider was informed" not in response.content.decode()
    response = client.post(
        reverse("checklists:incident_informed", args=[team.slug, incident.pk]),
        {"informed_at": informed.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 400
    assert "already recorded as informed" in response.content.decode()


def test_the_credential_page_links_the_rotation_and_warns_of_exposure(
    catalog, team, member, client
):
    credential = make_credential(team, member, in_repository="yes")
    client.force_login(member)
    response = client.get(credential.get_absolute_url())
    html = response.content.decode()
    occurrence = credential.obligations.get().occurrences.get()
    assert occurrence.get_absolute_url() in html
    assert "Record a rotation" in html
    assert "Has it ever been committed to a code repository?" in html
    assert "Possibly exposed" in html
    listing = client.get(reverse("checklists:credential_list", args=[team.slug])).content
    assert b"Overdue" in listing and b"Exposed:" in listing


def test_contacts_are_verified_from_the_list(catalog, team, member, client):
    make_contact(team, member)
    client.force_login(member)
    response = client.post(
        reverse("checklists:contacts_verify", args=[team.slug, "wechat"]),
        {"wechat-note": "Checked with their support"},
        follow=True,
    )
    assert response.status_code == 200
    contact = IncidentContact.objects.get()
    assert contact.last_verified_on == timezone.localdate()
    assert f"{timezone.localdate():%Y-%m-%d} by member" in response.content.decode()


# --- Every URL for every role ------------------------------------------------------------

ROLES = ("anonymous", "nobody", "outsider", "member", "lead", "reviewer", "auditor")
VIEWERS = {"member", "lead", "reviewer", "auditor"}
ATTESTERS = {"member", "lead"}
LEADS = {"lead"}


@pytest.fixture
def world(catalog, team, other_team, lead, member, outsider, reviewer, auditor, nobody):
    credential = make_credential(team, lead)
    contact = make_contact(team, lead)
    incident = services.credential_report_leak(credential=credential, by=lead, summary="x")
    return {
        "users": {
            "nobody": nobody,
            "outsider": outsider,
            "member": member,
            "lead": lead,
            "reviewer": reviewer,
            "auditor": auditor,
        },
        "team": team,
        "credential": credential,
        "contact": contact,
        "incident": incident,
        "step": incident.steps.first(),
    }


def _cases(world):
    t = world["team"].slug
    c, i = world["credential"].pk, world["incident"].pk
    return [
        ("credential_list", "get", [t], VIEWERS),
        ("credential_new", "get", [t], ATTESTERS),
        ("credential_new", "post", [t], ATTESTERS),
        ("credential_detail", "get", [t, c], VIEWERS),
        ("credential_edit", "get", [t, c], ATTESTERS),
        ("credential_edit", "post", [t, c], ATTESTERS),
        ("credential_retire", "post", [t, c], LEADS),
        ("credential_report_leak", "post", [t, c], ATTESTERS),
        ("contact_list", "get", [t], VIEWERS),
        ("contact_new", "get", [t], ATTESTERS),
        ("contact_new", "post", [t], ATTESTERS),
        ("contact_edit", "get", [t, world["contact"].pk], ATTESTERS),
        ("contact_edit", "post", [t, world["contact"].pk], ATTESTERS),
        ("contact_delete", "get", [t, world["contact"].pk], ATTESTERS),
        ("contacts_verify", "post", [t, "wechat"], ATTESTERS),
        ("incident_list", "get", [t], VIEWERS),
        ("incident_new", "get", [t], ATTESTERS),
        ("incident_new", "post", [t], ATTESTERS),
        ("incident_detail", "get", [t, i], VIEWERS),
        ("incident_note", "post", [t, i], ATTESTERS),
        ("incident_status", "post", [t, i], ATTESTERS),
        ("incident_step_done", "post", [t, i, world["step"].pk], ATTESTERS),
        ("incident_informed", "post", [t, i], ATTESTERS),
        # Last: it removes the contact.
        ("contact_delete", "post", [t, world["contact"].pk], ATTESTERS),
    ]


# The URLs this walk covers (for the walk over every checklist URL to leave out).
CREDENTIAL_URLS = {
    "credential_list",
    "credential_new",
    "credential_detail",
    "credential_edit",
    "credential_retire",
    "credential_report_leak",
    "contact_list",
    "contact_new",
    "contact_edit",
    "contact_delete",
    "contacts_verify",
    "incident_list",
    "incident_new",
    "incident_detail",
    "incident_note",
    "incident_status",
    "incident_step_done",
    "incident_informed",
}


def test_the_walk_covers_every_url_of_the_area(world):
    assert {name for name, *_ in _cases(world)} == CREDENTIAL_URLS


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role(world, client, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    for name, method, args, allowed in _cases(world):
        url = reverse(f"checklists:{name}", args=args)
        # POSTs carry nothing valid (except the delete), so nothing changes for those allowed.
        response = getattr(client, method)(url, {})
        where = f"{role} {method.upper()} {name}"
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response["Location"], where
        elif role in allowed:
            assert response.status_code in (200, 302, 400), where
        else:
            assert response.status_code == 404, where
    if role in VIEWERS:
        page = client.get(world["incident"].get_absolute_url()).content.decode()
        assert ("Mark done" in page) == (role in ATTESTERS)


def test_another_teams_objects_are_not_found(world, client, other_team, outsider):
    client.force_login(world["users"]["lead"])
    theirs = make_credential(other_team, outsider, name="Theirs")
    their_incident = incident_services.incident_create(
        team=other_team, by=outsider, title="Theirs", severity="low"
    )
    t = world["team"].slug
    for name, args in [
        ("credential_detail", [t, theirs.pk]),
        ("credential_edit", [t, theirs.pk]),
        ("incident_detail", [t, their_incident.pk]),
    ]:
        assert client.get(reverse(f"checklists:{name}", args=args)).status_code == 404
    response = client.post(
        reverse("checklists:credential_report_leak", args=[t, theirs.pk]), {"summary": "x"}
    )
    assert response.status_code == 404
    assert not theirs.incidents.exists()


# --- Query counts ----------------------------------------------------------------------------


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_lists_cost_the_same_for_1_or_10_rows(
    catalog, team, lead, client, django_assert_max_num_queries
):
    client.force_login(lead)
    gopay = provider("gopay")
    urls = [
        reverse(f"checklists:{name}", args=[team.slug])
        for name in ("credential_list", "incident_list", "contact_list")
    ]

    def add(n: int):
        credential = make_credential(team, lead, name=f"Key {n}", provider_slug="gopay")
        services.credential_report_leak(credential=credential, by=lead, summary="leak")
        make_contact(team, lead, provider_slug="gopay", position=n, name=f"Desk {n}")

    add(1)
    one = [_queries(client, url) for url in urls]
    for n in range(2, 11):
        add(n)
    IncidentContact.objects.filter(provider=gopay).update(last_verified_by=make_user("v"))
    for url, count in zip(urls, one, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)
    incident = Incident.objects.first()
    first = _queries(client, incident.get_absolute_url())
    for n in range(3):
        incident_services.incident_note(incident=incident, by=lead, text=f"note {n}")
    with django_assert_max_num_queries(first):
        client.get(incident.get_absolute_url())
