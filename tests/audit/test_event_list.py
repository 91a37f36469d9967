import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from tests.audit.conftest import record_many, tampering

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_list")


@pytest.fixture
def trail(team, other_team, lead, outsider):
    """One event in each team and one that belongs to no team."""
    return {
        "team": audit.record("tests.mine.done", actor=lead, obj=team, team=team),
        "other": audit.record("tests.theirs.done", actor=outsider, obj=other_team, team=other_team),
        "teamless": audit.record("tests.login.done", actor_label="someone"),
    }


def actions_seen(client, user, query: str = "") -> set[str]:
    client.force_login(user)
    response = client.get(URL + query)
    assert response.status_code == 200
    return {event.action for event in response.context["events"]}


def test_it_requires_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_it_rejects_post(client, auditor):
    client.force_login(auditor)
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize("who", ["member", "nobody"])
def test_it_is_a_404_for_users_without_audit_access(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404


def test_it_shows_auditors_every_team_and_the_teamless_events(client, auditor, trail):
    seen = actions_seen(client, auditor, "?action=tests.*")
    assert seen == {"tests.mine.done", "tests.theirs.done", "tests.login.done"}


def test_it_shows_admins_everything(client, admin_user, trail):
    seen = actions_seen(client, admin_user, "?action=tests.*")
    assert seen == {"tests.mine.done", "tests.theirs.done", "tests.login.done"}


def test_it_shows_reviewers_every_team_but_not_the_teamless_events(client, reviewer, trail):
    seen = actions_seen(client, reviewer, "?action=tests.*")
    assert seen == {"tests.mine.done", "tests.theirs.done"}


def test_it_shows_a_lead_only_their_own_team(client, lead, trail):
    assert actions_seen(client, lead, "?action=tests.*") == {"tests.mine.done"}
    assert actions_seen(client, lead) >= {"accounts.membership.added", "accounts.team.created"}
    client.force_login(lead)
    response = client.get(URL)
    assert all(event.team_id == trail["team"].team_id for event in response.context["events"])


def test_it_gives_a_lead_nothing_of_another_team_even_when_asked(client, lead, other_team, trail):
    client.force_login(lead)
    response = client.get(URL, {"team": other_team.slug})
    assert response.status_code == 200
    assert response.context["events"] == []
    assert "team" in response.context["form"].errors
    assert b"tests.theirs.done" not in response.content


def test_it_keeps_deleted_teams_events_for_auditors(client, auditor, admin_user, other_team):
    from portal.accounts import services as accounts

    accounts.team_delete(team=other_team, by=admin_user)
    client.force_login(auditor)
    response = client.get(URL, {"action": "accounts.team.deleted"})
    assert [e.object_label for e in response.context["events"]] == ["Ojek Cepat"]
    assert b"Deleted team" in response.content


def test_it_filters_by_actor_action_team_and_object(client, auditor, team, lead, trail):
    assert actions_seen(client, auditor, "?actor=outsider&action=tests.*") == {"tests.theirs.done"}
    assert actions_seen(client, auditor, "?action=tests.login.done") == {"tests.login.done"}
    assert actions_seen(client, auditor, f"?team={team.slug}&action=tests.*") == {"tests.mine.done"}
    seen = actions_seen(client, auditor, f"?object_type=accounts.team&object_id={team.pk}")
    assert seen == {"tests.mine.done", "accounts.team.created"}


def test_the_actor_filter_finds_what_a_person_did_through_a_token(client, auditor, lead, trail):
    audit.record(
        "tests.by.token", actor=lead, actor_label="deploy (API token cpt_ab12cd34 of lead)"
    )
    seen = actions_seen(client, auditor, f"?actor={lead.username}&action=tests.*")
    assert seen == {"tests.mine.done", "tests.by.token"}


def test_it_filters_by_date_range(client, auditor, trail):
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET created_at = %s WHERE sequence = %s",
            [dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC), trail["other"].sequence],
        )
    assert actions_seen(
        client, auditor, "?action=tests.*&date_from=2025-03-01&date_to=2025-03-01"
    ) == {"tests.theirs.done"}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert actions_seen(client, auditor, f"?action=tests.*&date_from={today}") == {
        "tests.mine.done",
        "tests.login.done",
    }


def test_it_filters_by_date_range_on_any_database(client, auditor, trail):
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert actions_seen(client, auditor, f"?action=tests.*&date_to={today.isoformat()}") == {
        "tests.mine.done",
        "tests.theirs.done",
        "tests.login.done",
    }
    assert actions_seen(client, auditor, f"?action=tests.*&date_from={tomorrow}") == set()


def test_it_rejects_an_inverted_date_range(client, auditor):
    client.force_login(auditor)
    response = client.get(URL, {"date_from": "2026-02-02", "date_to": "2026-02-01"})
    assert response.context["form"].errors
    assert response.context["events"] == []


def test_it_pages_by_sequence_without_offset(client, auditor):
    events = record_many(60, action="tests.paged.done")
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(URL, {"action": "tests.paged.done"})
    assert [e.sequence for e in first.context["events"]] == [e.sequence for e in events[::-1][:50]]
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    older = first.context["older_query"]
    assert f"before={events[10].sequence}" in older
    second = client.get(URL + "?" + older)
    assert [e.sequence for e in second.context["events"]] == [e.sequence for e in events[9::-1]]
    assert second.context["older_query"] is None
    assert b"Newest" in second.content


@pytest.mark.parametrize("count", [5, 50])
def test_it_takes_a_constant_number_of_queries(
    client, auditor, team, count, django_assert_max_num_queries
):
    record_many(count, team=team, actor=auditor)
    client.force_login(auditor)
    # Sign-in and permissions, the filters' teams and people, the page of events, the
    # verification and checkpoint panel, and links (one query a kind of object).
    with django_assert_max_num_queries(16):
        response = client.get(URL)
    assert len(response.context["events"]) == min(50, AuditEvent.objects.count())


@pytest.mark.parametrize("count", [5, 50])
def test_it_takes_a_constant_number_of_queries_for_a_lead(
    client, lead, team, count, django_assert_max_num_queries
):
    record_many(count, team=team, actor=lead)
    client.force_login(lead)
    with django_assert_max_num_queries(19):
        response = client.get(URL, {"team": team.slug})
    assert len(response.context["events"]) >= min(count, 50)


def test_it_shows_the_nav_item_only_to_those_who_may_see_audit_pages(client, auditor, member):
    client.force_login(auditor)
    assert URL.encode() in client.get(reverse("accounts:team_list")).content
    client.force_login(member)
    assert URL.encode() not in client.get(reverse("accounts:team_list")).content
