import pytest
from django.urls import reverse

from portal.audit import services as audit

pytestmark = pytest.mark.django_db


def url(event) -> str:
    return reverse("audit:event_detail", args=[event.sequence])


@pytest.fixture
def team_event(team, lead):
    return audit.record(
        "tests.thing.changed",
        actor=lead,
        obj=team,
        team=team,
        changes={"name": ["Old", "New"]},
        reason="Because the auditor asked",
    )


def test_it_shows_the_event_to_a_lead_of_its_team(client, lead, team_event):
    client.force_login(lead)
    response = client.get(url(team_event))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Thing changed</h1>" in body
    assert "Team Kopi Kita" in body
    assert "Because the auditor asked" in body
    assert team_event.hash in body and team_event.prev_hash in body


def test_it_is_a_404_for_another_teams_lead(client, outsider, team_event):
    client.force_login(outsider)
    assert client.get(url(team_event)).status_code == 404


def test_it_is_a_404_for_a_member(client, member, team_event):
    client.force_login(member)
    assert client.get(url(team_event)).status_code == 404


def test_it_is_a_404_for_a_teamless_event_to_a_reviewer(client, reviewer, auditor):
    event = audit.record("accounts.login.failed", actor_label="x")
    client.force_login(reviewer)
    assert client.get(url(event)).status_code == 404
    client.force_login(auditor)
    assert client.get(url(event)).status_code == 200


def test_it_is_a_404_for_a_sequence_that_does_not_exist(client, auditor):
    client.force_login(auditor)
    assert client.get(reverse("audit:event_detail", args=[999999])).status_code == 404


def test_it_rejects_post(client, auditor, team_event):
    client.force_login(auditor)
    assert client.post(url(team_event)).status_code == 405


def test_it_takes_a_constant_number_of_queries(
    client, auditor, team_event, django_assert_max_num_queries
):
    client.force_login(auditor)
    with django_assert_max_num_queries(12):
        assert client.get(url(team_event)).status_code == 200


def test_it_shows_changes_as_before_and_after():
    from portal.audit.changes import describe

    assert describe({"from": "member", "to": "lead"}) == ("member", "lead")
    assert describe({"from": None, "to": "kopi-dev"}) == ("—", "kopi-dev")
    assert describe({"from": [], "to": ["review_team"]}) == ("none", "review_team")
    assert describe(3) == (None, "3")


def test_it_shows_a_two_item_list_fact_as_a_list(client, auditor, team):
    event = audit.record(
        "tests.providers.set",
        team=team,
        changes={"providers": ["gopay", "mixpay"], "role": audit.change("member", "lead")},
    )
    client.force_login(auditor)
    body = client.get(url(event)).content.decode()
    assert "<td>gopay, mixpay</td>" in body and "<td>gopay</td>" not in body
    assert '<th scope="row">Role</th><td>member</td><td>lead</td>' in body


def test_it_still_draws_the_pairs_of_version_1_events_as_changes():
    from portal.audit.changes import rows

    old = rows({"name": ["Old", "New"], "n": 3}, canonical_version=1)
    assert [(r.field, r.text) for r in old] == [("N", "3"), ("Name", "Old → New")]
    new = rows({"providers": ["gopay", "mixpay"]}, canonical_version=2)
    assert [(r.field, r.text) for r in new] == [("Providers", "gopay, mixpay")]
