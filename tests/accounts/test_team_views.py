import pytest
from django.urls import reverse

from portal.accounts.models import Membership, Role
from portal.audit.models import AuditEvent
from tests.conftest import make_user


def _team_urls(team, membership):
    """Every page and action under a team, with the method it answers to."""
    return [
        ("get", reverse("accounts:team_detail", args=[team.slug])),
        ("post", reverse("accounts:invitation_create", args=[team.slug])),
        ("post", reverse("accounts:member_role", args=[team.slug, membership.pk])),
        ("get", reverse("accounts:member_remove", args=[team.slug, membership.pk])),
        ("post", reverse("accounts:member_remove", args=[team.slug, membership.pk])),
    ]


def test_it_answers_404_to_another_team_on_every_team_page(client, team, member, outsider):
    client.force_login(outsider)
    membership = Membership.objects.get(user=member)
    for method, url in _team_urls(team, membership):
        response = getattr(client, method)(url, {"role": "lead", "email": "x@example.com"})
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
    for method, url in _team_urls(team, membership)[1:3]:
        assert method == "post"
        assert client.get(url).status_code == 405, url


def test_another_teams_member_is_404_from_this_teams_address(
    client, team, other_team, lead, outsider
):
    """A lead of this team, the id of a membership of another team."""
    client.force_login(lead)
    theirs = Membership.objects.get(user=outsider)
    remove = reverse("accounts:member_remove", args=[team.slug, theirs.pk])
    role = reverse("accounts:member_role", args=[team.slug, theirs.pk])
    assert client.get(remove).status_code == 404
    for url in (remove, role):
        assert client.post(url, {"role": "member"}).status_code == 404, url
    assert Membership.objects.get(pk=theirs.pk).role == Role.LEAD


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


def test_the_team_list_shows_names_not_slugs(client, team, member):
    client.force_login(member)
    page = client.get(reverse("accounts:team_list")).content.decode()
    assert f'<a href="/teams/{team.slug}/">Kopi Kita</a>' in page
    assert "Slug" not in page and f">{team.slug}<" not in page


def test_it_lists_every_team_for_reviewers(client, team, other_team, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("accounts:team_list")).content.decode()
    assert team.name in page and other_team.name in page


def test_it_shows_members_without_management_to_members(client, team, member, lead):
    client.force_login(member)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert "lead" in page and "Invite someone" not in page and "Remove" not in page


def test_team_page_query_count_does_not_grow_with_members(
    client, team, lead, django_assert_max_num_queries
):
    from portal.accounts import services

    client.force_login(lead)
    with django_assert_max_num_queries(17) as few:  # the page, navigation, sign-in checks
        client.get(reverse("accounts:team_detail", args=[team.slug]))
    for index in range(15):
        services.membership_add(team=team, user=make_user(f"person{index}"), role=Role.MEMBER)
        services.invitation_create(
            team=team, email=f"invitee{index}@example.com", role=Role.MEMBER, by=lead
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("accounts:team_detail", args=[team.slug]))
    assert "person14" in response.content.decode()
    assert "invitee14@example.com" in response.content.decode()


def test_the_page_has_no_add_by_username_form(client, team, lead):
    client.force_login(lead)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert "Username or e-mail" not in page and "Add member" not in page
    assert '<h2 id="invite-heading">Invite someone</h2>' in page


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


def test_the_remove_button_leads_to_a_confirmation_page(client, team, lead, member):
    client.force_login(lead)
    membership = Membership.objects.get(user=member)
    confirm = reverse("accounts:member_remove", args=[team.slug, membership.pk])
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert f'<a href="{confirm}">Remove member…</a>' in page
    response = client.get(confirm)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Remove member from Kopi Kita?</h1>" in page
    assert "member@example.com" in page and "<dd>Member</dd>" in page
    assert "Answering controls and uploading evidence for the team." in page
    assert f'<form method="post" action="{confirm}">' in page
    # Looking is not removing.
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not AuditEvent.objects.filter(action="accounts.membership.removed").exists()


def test_it_removes_a_member_and_their_access(client, team, lead, member):
    client.force_login(lead)
    membership = Membership.objects.get(user=member)
    response = client.post(
        reverse("accounts:member_remove", args=[team.slug, membership.pk]), follow=True
    )
    assert "member left Kopi Kita." in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    client.force_login(member)
    assert client.get(reverse("accounts:team_detail", args=[team.slug])).status_code == 404
    assert AuditEvent.objects.filter(action="accounts.membership.removed", team=team).exists()


def test_the_confirmation_of_the_only_lead_says_why_not(client, team, lead):
    client.force_login(lead)
    membership = Membership.objects.get(user=lead)
    page = client.get(
        reverse("accounts:member_remove", args=[team.slug, membership.pk])
    ).content.decode()
    assert "lead is the team&#x27;s only lead; name another lead first." in page
    assert "this is you" in page
    assert "Managing the team&#x27;s members and owners" in page
    assert '<button type="submit" class="danger">' not in page


def test_a_refused_role_change_is_shown_on_that_row_with_the_choice_kept(client, team, lead):
    client.force_login(lead)
    membership = Membership.objects.get(user=lead)
    response = client.post(
        reverse("accounts:member_role", args=[team.slug, membership.pk]), {"role": "member"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    error_id = f"role-{membership.pk}-error"
    assert f'aria-describedby="{error_id}"' in page
    assert (
        f'<p class="error" id="{error_id}" role="alert">lead is the team&#x27;s only lead; '
        "name another lead first.</p>"
    ) in page
    row = page[page.index(f'id="role-{membership.pk}"') :]
    assert row.index('<option value="member" selected>') < row.index("</select>")
    assert Membership.objects.get(pk=membership.pk).role == Role.LEAD


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
