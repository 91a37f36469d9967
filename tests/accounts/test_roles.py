"""Portal-wide roles and team roles never combine into more than either allows."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from portal.accounts import services
from portal.accounts.models import Membership, Role
from portal.accounts.permissions import (
    AUDITORS_GROUP,
    REVIEWERS_GROUP,
    has_team_perm,
    team_group_name,
    teams_for,
)
from portal.audit.models import AuditEvent
from tests.accounts.test_admin import _inline
from tests.conftest import make_user


def _fresh(user):
    """The user without Django's and guardian's per-object permission caches."""
    return get_user_model().objects.get(pk=user.pk)


def test_a_lead_cannot_add_the_auditor_to_the_team(client, team, lead, auditor, mailoutbox):
    client.force_login(lead)
    client.post(
        reverse("accounts:invitation_create", args=[team.slug]),
        {"email": "auditor@example.com", "role": "member"},
    )
    client.force_login(auditor)
    response = client.post(re.search(r"/teams/invitations/[\w-]+/", mailoutbox[0].body)[0])
    page = response.content.decode()
    assert "auditor holds the portal-wide role &#x27;Auditors&#x27;" in page
    assert "cannot be combined" in page
    assert not Membership.objects.filter(user=auditor).exists()
    assert not has_team_perm(_fresh(auditor), "attest_team", team)
    assert (
        not AuditEvent.objects.filter(action="accounts.membership.added", team=team)
        .exclude(changes__user={"from": None, "to": "lead"})
        .exists()
    )


@pytest.mark.parametrize("role", [Role.MEMBER, Role.LEAD])
def test_the_service_refuses_a_reviewer_as_a_team_member(team, reviewer, role):
    with pytest.raises(ValidationError, match="portal-wide role 'Security reviewers'"):
        services.membership_add(team=team, user=reviewer, role=role)
    assert not Membership.objects.filter(user=reviewer).exists()


def test_the_service_refuses_a_portal_role_to_a_team_member(team, member):
    with pytest.raises(ValidationError, match="member is a member of Kopi Kita; a team member"):
        services.global_role_grant(user=member, group_name=AUDITORS_GROUP)
    assert not member.groups.filter(name=AUDITORS_GROUP).exists()
    assert not AuditEvent.objects.filter(action="accounts.role.granted").exists()


def test_the_service_gives_one_portal_role_each(reviewer):
    with pytest.raises(ValidationError, match="already holds the portal-wide role"):
        services.global_role_grant(user=reviewer, group_name=AUDITORS_GROUP)


def test_the_service_refuses_an_unknown_portal_role(nobody):
    with pytest.raises(ValidationError, match="Unknown portal role 'Admins'"):
        services.global_role_grant(user=nobody, group_name="Admins")


def test_a_team_grant_never_adds_to_an_auditors_read_only_access(team, auditor):
    """Even if rows say otherwise (e.g. written before the rule), the auditor stays read-only."""
    Membership.objects.create(team=team, user=auditor, role=Role.MEMBER)
    auditor.groups.add(Group.objects.get(name=team_group_name(team, Role.MEMBER)))
    assign_perm("accounts.manage_team", auditor, team)
    auditor = _fresh(auditor)
    assert not has_team_perm(auditor, "attest_team", team)
    assert not has_team_perm(auditor, "manage_team", team)
    assert not teams_for(auditor, "attest_team").exists()
    assert has_team_perm(auditor, "view_team", team)


def test_the_admin_refuses_to_add_a_reviewer_to_a_team(client, admin_user, team, reviewer):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": reviewer.pk, "team": team.pk, "role": "member"},
        follow=True,
    )
    page = response.content.decode().lower()  # the admin capitalises messages
    assert "reviewer holds the portal-wide role" in page
    assert "successfully" not in page
    assert not Membership.objects.filter(user=reviewer).exists()


def test_the_admin_refuses_a_reviewer_in_a_team_inline(client, admin_user, team, lead, reviewer):
    client.force_login(admin_user)
    lead_membership = Membership.objects.get(user=lead)
    response = client.post(
        reverse("admin:accounts_team_change", args=[team.pk]),
        {
            "name": team.name,
            "slug": team.slug,
            **_inline(
                total=2,
                initial=1,
                rows=[
                    {"id": lead_membership.pk, "team": team.pk, "user": lead.pk, "role": "lead"},
                    {"team": team.pk, "user": reviewer.pk, "role": "member"},
                ],
            ),
        },
        follow=True,
    )
    page = response.content.decode().lower()  # the admin capitalises messages
    assert "reviewer holds the portal-wide role" in page
    assert "successfully" not in page
    assert not Membership.objects.filter(user=reviewer).exists()


def _user_form(user, groups):
    return {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "groups": [group.pk for group in groups],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }


def test_the_user_admin_refuses_a_portal_role_for_a_team_member(client, admin_user, member):
    client.force_login(admin_user)
    groups = [*member.groups.all(), Group.objects.get(name=REVIEWERS_GROUP)]
    response = client.post(
        reverse("admin:auth_user_change", args=[member.pk]), _user_form(member, groups)
    )
    assert response.status_code == 200
    assert "a team member cannot also hold the portal-wide role" in response.content.decode()
    assert not member.groups.filter(name=REVIEWERS_GROUP).exists()
    assert not AuditEvent.objects.filter(action="accounts.user.access_changed").exists()


def test_the_user_admin_refuses_two_portal_roles(client, admin_user, nobody):
    client.force_login(admin_user)
    groups = Group.objects.filter(name__in=[REVIEWERS_GROUP, AUDITORS_GROUP])
    response = client.post(
        reverse("admin:auth_user_change", args=[nobody.pk]), _user_form(nobody, groups)
    )
    assert response.status_code == 200
    assert "Choose one portal role" in response.content.decode()
    assert not nobody.groups.exists()


def test_the_user_admin_refuses_team_roles_given_as_groups(client, admin_user, team, nobody):
    client.force_login(admin_user)
    groups = [Group.objects.get(name=team_group_name(team, Role.LEAD))]
    response = client.post(
        reverse("admin:auth_user_change", args=[nobody.pk]), _user_form(nobody, groups)
    )
    assert response.status_code == 200
    assert "Team roles are given on the team&#x27;s page" in response.content.decode()
    assert not teams_for(_fresh(nobody)).exists()


def test_the_user_admin_lets_a_member_keep_their_team_groups(client, admin_user, member):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_change", args=[member.pk]),
        _user_form(member, member.groups.all()),
    )
    assert response.status_code == 302


def test_a_former_member_may_become_an_auditor(team, lead):
    person = make_user("person")
    membership = services.membership_add(team=team, user=person, role=Role.MEMBER)
    services.membership_remove(membership=membership)
    services.global_role_grant(user=person, group_name=AUDITORS_GROUP)
    assert set(teams_for(_fresh(person))) == {team}
