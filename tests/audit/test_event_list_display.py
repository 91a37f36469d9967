"""The audit trail as people read it: what happened, about what (linked when they may open
it), and what changed, in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists.models import CredentialKind, Environment, Obligation
from checklists.services.credentials import credential_create
from portal.audit import services as audit
from tests.checklists.assessment_helpers import attestation_of, make_checklist

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_list")


@pytest.fixture
def answer(catalog, team, lead):
    return attestation_of(make_checklist(team, lead), "GOPAY-3.1")


def credential_of(team, by, name="MixPay API key"):
    return credential_create(
        team=team,
        by=by,
        name=name,
        provider=None,
        kind=CredentialKind.API_KEY,
        environment=Environment.PRODUCTION,
        kept_in="vault:kv/payments/mixpay",
    )


def rows_by_sequence(response) -> dict:
    return {row.sequence: row for row in response.context["rows"]}


def test_it_shows_what_happened_and_the_object_as_people_know_them(
    client, auditor, team, answer, reviewer
):
    approved = audit.record(
        "checklists.attestation.approved", actor=reviewer, obj=answer, team=team
    )
    client.force_login(auditor)
    response = client.get(URL)
    body = response.content.decode()
    row = rows_by_sequence(response)[approved.sequence]
    assert row.what == "Answer approved"
    assert row.object_name == "GOPAY-3.1 in Kopi Kita 2026-Q4"
    assert row.object_url == answer.get_absolute_url()
    assert f'<a href="{answer.get_absolute_url()}">GOPAY-3.1 in Kopi Kita 2026-Q4</a>' in body
    assert "Answer approved</a>" in body
    assert "checklists.attestation" not in body


def test_it_names_teams_and_credentials_and_links_them(client, auditor, team, lead):
    credential = credential_of(team, lead)
    client.force_login(auditor)
    rows = client.get(URL).context["rows"]
    by_action = {row.event.action: row for row in rows}
    created = by_action["checklists.credential.created"]
    assert created.what == "Credential added"
    assert created.object_name == "Credential ‘MixPay API key (Production)’"
    assert created.object_url == credential.get_absolute_url()
    team_created = by_action["accounts.team.created"]
    assert team_created.object_name == "Team Kopi Kita"
    assert team_created.object_url == reverse("accounts:team_detail", args=[team.slug])


def test_it_names_a_deleted_object_without_a_link(client, auditor, team, lead):
    credential = credential_of(team, lead, name="Old webhook key")
    Obligation.objects.filter(credential=credential).delete()
    credential.delete()
    client.force_login(auditor)
    response = client.get(URL, {"action": "checklists.credential.created"})
    (row,) = response.context["rows"]
    assert row.object_name == "Credential ‘Old webhook key (Production)’"
    assert row.object_url == ""
    assert "Old webhook key (Production)’</td>" in response.content.decode()


def test_it_links_no_object_the_viewer_may_not_open(client, lead, team, other_team):
    # An event of the lead's team about another team's object (a team the lead cannot open).
    audit.record("accounts.team.changed", obj=other_team, team=team)
    client.force_login(lead)
    response = client.get(URL, {"action": "accounts.team.changed"})
    (row,) = response.context["rows"]
    assert row.object_name == "Team Ojek Cepat"
    assert row.object_url == ""
    assert other_team.get_absolute_url() not in response.content.decode()


def test_it_links_the_object_on_the_event_page_too(client, auditor, team, answer, reviewer):
    event = audit.record("checklists.attestation.approved", actor=reviewer, obj=answer, team=team)
    client.force_login(auditor)
    body = client.get(reverse("audit:event_detail", args=[event.sequence])).content.decode()
    assert "<h1>Answer approved</h1>" in body
    assert f'<a href="{answer.get_absolute_url()}">GOPAY-3.1 in Kopi Kita 2026-Q4</a>' in body


def test_it_reads_an_unknown_action_instead_of_failing(client, auditor, team):
    audit.record("accounts.something_new.turned_on", team=team)
    client.force_login(auditor)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Something new turned on" in response.content.decode()


def test_it_draws_a_two_item_list_as_a_list_and_a_change_as_before_and_after(client, auditor, team):
    audit.record(
        "checklists.checklist.created",
        team=team,
        changes={"providers": ["gopay", "mixpay"], "next_review_due": audit.change(None, "2027")},
    )
    client.force_login(auditor)
    body = client.get(URL).content.decode()
    assert '<span class="field-name">Providers:</span> gopay, mixpay' in body
    assert "gopay → mixpay" not in body
    assert '<span class="field-name">Next review due:</span> — → 2027' in body


def _events_of_every_kind(count, team, lead, answer, credential):
    for i in range(count):
        audit.record(
            "checklists.attestation.changed",
            actor=lead,
            obj=answer,
            team=team,
            changes={"version": audit.change(i, i + 1)},
        )
        audit.record("checklists.credential.updated", actor=lead, obj=credential, team=team)
        audit.record("accounts.team.changed", actor=lead, obj=team, team=team)


def _queries_for(client, user, **query) -> int:
    client.force_login(user)
    client.get(URL, query)  # sessions and permission caches warmed
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, query)
    assert response.status_code == 200
    assert all(row.object_url for row in response.context["rows"][:30])  # links were made
    return len(queries)


@pytest.mark.parametrize("who", ["auditor", "lead"])
def test_it_takes_no_more_queries_for_100_events_than_for_10(
    client, request, who, team, lead, answer
):
    user = request.getfixturevalue(who)
    credential = credential_of(team, lead)
    _events_of_every_kind(4, team, lead, answer, credential)
    few = _queries_for(client, user, team=team.slug)
    _events_of_every_kind(30, team, lead, answer, credential)
    many = _queries_for(client, user, team=team.slug)
    # The first page also holds the set-up's events (other kinds of object): never fewer.
    assert many <= few <= 25
