"""The audit trail's filters: team, person, what happened, dates and object name, applied in
the database, kept across pages and in the export."""

import csv
import io

import pytest
from django.urls import reverse

from portal.audit import services as audit

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_list")


@pytest.fixture
def trail(team, other_team, lead, outsider, reviewer):
    """A review and an answer in each team, and a sign-in that belongs to no team."""
    return {
        "approved": audit.record(
            "checklists.attestation.approved", actor=reviewer, obj=team, team=team
        ),
        "changed": audit.record("checklists.attestation.changed", actor=lead, obj=team, team=team),
        "theirs": audit.record(
            "checklists.attestation.changes_requested",
            actor=reviewer,
            obj=other_team,
            team=other_team,
        ),
        "their_answer": audit.record(
            "checklists.attestation.changed", actor=outsider, obj=other_team, team=other_team
        ),
        "signed_in": audit.record("accounts.login.succeeded", actor=lead),
        "nightly": audit.record("checklists.reminders.sent", team=team),
    }


def sequences(client, user, **query) -> set[int]:
    client.force_login(user)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert not response.context["form"].errors
    return {event.sequence for event in response.context["events"]}


def seq(trail, *names) -> set[int]:
    return {trail[name].sequence for name in names}


def test_it_filters_by_team(client, auditor, other_team, trail):
    found = sequences(client, auditor, team=other_team.slug)
    assert seq(trail, "theirs", "their_answer") <= found
    assert not found & seq(trail, "approved", "changed", "signed_in")


def test_it_filters_by_person(client, auditor, trail):
    assert sequences(client, auditor, actor="reviewer") == seq(trail, "approved", "theirs")


def test_it_filters_the_events_no_person_caused(client, auditor, trail):
    found = sequences(client, auditor, actor="(system)")
    assert trail["nightly"].sequence in found
    assert not found & seq(trail, "approved", "changed", "signed_in")


def test_it_filters_by_what_happened(client, auditor, trail):
    assert sequences(client, auditor, what="reviews") == seq(trail, "approved", "theirs")
    signed_in = sequences(client, auditor, what="accounts")
    assert trail["signed_in"].sequence in signed_in
    assert not signed_in & seq(trail, "approved", "changed", "nightly")


def test_it_searches_the_objects_name(client, auditor, trail):
    assert sequences(client, auditor, q="ojek", what="answers") == seq(trail, "their_answer")


def test_it_combines_the_filters(client, auditor, team, trail):
    found = sequences(client, auditor, team=team.slug, what="reviews", actor="reviewer")
    assert found == seq(trail, "approved")
    today = trail["approved"].created_at.date().isoformat()
    assert sequences(
        client, auditor, team=team.slug, what="reviews", date_from=today, date_to=today
    ) == seq(trail, "approved")
    assert sequences(client, auditor, team=team.slug, what="reviews", date_to="2020-01-01") == set()


def test_it_keeps_the_filters_on_the_next_page(client, auditor, team, other_team, reviewer):
    for _ in range(55):
        audit.record("checklists.attestation.approved", actor=reviewer, obj=team, team=team)
        audit.record("checklists.attestation.changed", actor=reviewer, obj=team, team=team)
    audit.record("checklists.attestation.approved", actor=reviewer, team=other_team)
    client.force_login(auditor)
    first = client.get(URL, {"team": team.slug, "what": "reviews"})
    older = first.context["older_query"]
    assert "what=reviews" in older and f"team={team.slug}" in older
    assert f'href="?{older.replace("&", "&amp;")}"' in first.content.decode()
    second = client.get(f"{URL}?{older}")
    events = [*first.context["events"], *second.context["events"]]
    assert len(events) == 55
    assert {(e.action, e.team_id) for e in events} == {("checklists.attestation.approved", team.pk)}
    assert second.context["form"]["what"].value() == "reviews"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"team": "no-such-team"}, "team", "Choose one of the teams in the list."),
        ({"actor": "nobody-here"}, "actor", "Choose one of the people in the list."),
        ({"what": "everything"}, "what", "Choose one of the kinds of event in the list."),
        ({"date_from": "2026-13-45"}, "date_from", "Enter a date such as 2026-03-31."),
        (
            {"date_from": "2026-02-02", "date_to": "2026-02-01"},
            "date_to",
            "The end date is before the start date.",
        ),
    ],
)
def test_it_explains_a_bad_filter_next_to_it(client, auditor, trail, query, field, message):
    client.force_login(auditor)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    body = response.content.decode()
    assert f'<p class="error" id="id_{field}_error">{message}</p>' in body
    assert response.context["events"] == []
    if field.startswith("date"):
        assert f'value="{query[field]}"' in body  # what was typed stays in the field


def test_it_ignores_a_bad_page_marker(client, auditor, trail):
    client.force_login(auditor)
    response = client.get(URL, {"before": "not-a-number", "what": "reviews"})
    assert response.status_code == 200
    assert {e.sequence for e in response.context["events"]} == seq(trail, "approved", "theirs")


def test_it_exports_the_same_filtered_events_in_words(client, auditor, team, trail):
    client.force_login(auditor)
    response = client.post(
        reverse("audit:event_export"), {"team": team.slug, "what": "reviews", "actor": "reviewer"}
    )
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["sequence"], r["what_happened"], r["object_name"]) for r in rows] == [
        (str(trail["approved"].sequence), "Answer approved", "Team Kopi Kita")
    ]


def test_it_exports_changes_with_the_one_describer(client, auditor, team):
    audit.record(
        "checklists.checklist.created",
        team=team,
        changes={"providers": ["gopay", "mixpay"], "owner": audit.change(None, "kopi-dev")},
    )
    client.force_login(auditor)
    response = client.post(reverse("audit:event_export"), {"what": "answers"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[-1]["changes_readable"] == "Owner: — → kopi-dev; Providers: gopay, mixpay"


def test_a_lead_may_not_filter_by_another_teams_people_or_team(client, lead, other_team, trail):
    client.force_login(lead)
    response = client.get(URL, {"actor": "outsider"})
    assert response.context["form"].errors["actor"]
    response = client.get(URL, {"team": other_team.slug})
    assert response.context["form"].errors["team"]
    assert response.context["events"] == []
