import pytest
from django.urls import reverse

from portal.accounts.models import Membership, Role
from portal.audit.models import AuditEvent
from tests.conftest import make_user


def _team_urls(team, membership):
    """Every page and action under a team, with the method it answers to."""
    return [
        ("get", reverse("accounts:team_detail", args=[team.slug])),
        ("post", reverse("accounts:member_add", args=[team.slug])),
        ("post", reverse("accounts:member_role", args=[team.slug, membership.pk])),
        ("post", reverse("accounts:member_remove", args=[team.slug, membership.pk])),
    ]


def test_it_answers_404_to_another_team_on_every_team_page(client, team, member, outsider):
    client.force_login(outsider)
    membership = Membership.objects.get(user=member)
    for method, url in _team_urls(team, membership):
        response = getattr(client, method)(url, {"role": "lead", "user": "outsider"})
        assert response.status_code == 404, url
    assert Membership.objects.get(user=member).role == Role.MEMBER


def test_it_answers_404_to_members_on_management_actions(client, team, member, lead):
    client.force_login(member)
    membership = Membership.objects.get(user=lead)
    for method, url in _team_urls(team, membership)[1:]:
        assert getattr(client, method)(url, {"role": "member"}).status_code == 404, url
    assert Membership.objects.get(user=lead).role == Role.LEAD


def test_it_sends_anonymous_visitors_to_login(client, team):
    response = client.get(reverse("accounts:team_detail", args=[team.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_get_on_write_views(client, team, lead):
    client.force_login(lead)
    membership = Membership.objects.get(user=lead)
    for _, url in _team_urls(team, membership)[1:]:
        assert client.get(url).status_code == 405, url


def test_it_lists_only_visible_teams(
    client, team, other_team, member, django_assert_max_num_queries
):
    client.force_login(member)
    # session, user, permissions, navigation, count, page, session save
    with django_assert_max_num_queries(11):
        response = client.get(reverse("accounts:team_list"))
    assert response.status_code == 200
    assert team.name in response.content.decode()
    assert other_team.name not in response.content.decode()


def test_it_lists_every_team_for_reviewers(client, team, other_team, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("accounts:team_list")).content.decode()
    assert team.name in page and other_team.name in page


def test_it_shows_members_without_management_to_members(client, team, member, lead):
    client.force_login(member)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert "lead" in page and "Add a member" not in page


def test_team_page_query_count_does_not_grow_with_members(
    client, team, lead, django_assert_max_num_queries
):
    from portal.accounts import services

    client.force_login(lead)
    with django_assert_max_num_queries(15) as few:  # the page and its navigation
        client.get(reverse("accounts:team_detail", args=[team.slug]))
    for index in range(15):
        services.membership_add(team=team, user=make_user(f"person{index}"), role=Role.MEMBER)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("accounts:team_detail", args=[team.slug]))
    assert "person14" in response.content.decode()


def test_it_lets_a_lead_add_a_member_and_records_it(client, team, lead):
    newcomer = make_user("newcomer")
    client.force_login(lead)
    response = client.post(
        reverse("accounts:member_add", args=[team.slug]),
        {"user": "newcomer@example.com", "role": "member"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer, team=team).role == Role.MEMBER
    event = AuditEvent.objects.filter(action="accounts.membership.added").latest("sequence")
    assert event.actor == lead and event.team_id == team.pk
    assert event.changes == {
        "user": {"from": None, "to": "newcomer"},
        "role": {"from": None, "to": "member"},
    }
    # The new member now sees the team: permissions came through the team's group.
    client.force_login(newcomer)
    assert client.get(reverse("accounts:team_detail", args=[team.slug])).status_code == 200


def test_it_explains_an_unknown_person(client, team, lead):
    client.force_login(lead)
    response = client.post(
        reverse("accounts:member_add", args=[team.slug]),
        {"user": "ghost", "role": "member"},
        follow=True,
    )
    assert "No single active account matches &#x27;ghost&#x27;." in response.content.decode()


def test_it_refuses_a_second_membership(client, team, lead, member):
    client.force_login(lead)
    response = client.post(
        reverse("accounts:member_add", args=[team.slug]),
        {"user": "member", "role": "lead"},
        follow=True,
    )
    assert "member is already a member of Kopi Kita." in response.content.decode()
    assert Membership.objects.get(user=member).role == Role.MEMBER


def test_it_changes_a_role_and_moves_permissions(client, team, lead, member):
    from portal.accounts.permissions import has_team_perm

    client.force_login(lead)
    membership = Membership.objects.get(user=member)
    client.post(reverse("accounts:member_role", args=[team.slug, membership.pk]), {"role": "lead"})
    assert Membership.objects.get(pk=membership.pk).role == Role.LEAD
    member = type(member).objects.get(pk=member.pk)  # fresh permission cache
    assert has_team_perm(member, "manage_team", team)
    event = AuditEvent.objects.get(action="accounts.membership.role_changed")
    assert event.changes == {"user": "member", "role": {"from": "member", "to": "lead"}}


def test_it_removes_a_member_and_their_access(client, team, lead, member):
    client.force_login(lead)
    membership = Membership.objects.get(user=member)
    client.post(reverse("accounts:member_remove", args=[team.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    client.force_login(member)
    assert client.get(reverse("accounts:team_detail", args=[team.slug])).status_code == 404
    assert AuditEvent.objects.filter(action="accounts.membership.removed", team=team).exists()


@pytest.mark.parametrize("action", ["member_role", "member_remove"])
def test_it_keeps_the_last_lead(client, team, lead, action):
    client.force_login(lead)
    membership = Membership.objects.get(user=lead)
    response = client.post(
        reverse(f"accounts:{action}", args=[team.slug, membership.pk]),
        {"role": "member"},
        follow=True,
    )
    assert (
        "lead is the team&#x27;s only lead; name another lead first." in response.content.decode()
    )
    assert Membership.objects.get(pk=membership.pk).role == Role.LEAD


def test_the_team_list_pages_through_hundreds_of_teams(
    client, reviewer, django_assert_max_num_queries
):
    from portal.accounts import services

    for index in range(60):
        services.team_create(name=f"Merchant {index:03d}", slug=f"merchant-{index:03d}")
    client.force_login(reviewer)
    with django_assert_max_num_queries(10):
        first = client.get(reverse("accounts:team_list"))
    assert "Merchant 049" in first.content.decode() and "Merchant 050" not in first.content.decode()
    second = client.get(reverse("accounts:team_list"), {"page": 2}).content.decode()
    assert "Merchant 059" in second and "Page 2 of 2 (60 teams)" in second
