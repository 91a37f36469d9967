"""The accounts services and sign-in receivers write the events the audit trail promises."""

import re

import pytest
from django.urls import reverse

from portal.accounts import services as accounts
from portal.accounts.models import Membership, Role
from portal.accounts.permissions import AUDITORS_GROUP
from portal.audit.models import AuditEvent
from portal.audit.verification import verify_chain
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-sequence").first()


def test_it_records_team_creation_change_and_deletion(admin_user):
    team = accounts.team_create(name="Warung", slug="warung", by=admin_user)
    created = last("accounts.team.created")
    assert (created.actor_id, created.team_id, created.object_id) == (
        admin_user.pk,
        team.pk,
        str(team.pk),
    )
    assert created.changes == {
        "name": {"from": None, "to": "Warung"},
        "slug": {"from": None, "to": "warung"},
    }

    accounts.team_update(team=team, name="Warung Besar", slug="warung", by=admin_user)
    changed = last("accounts.team.changed")
    assert (changed.actor_id, changed.team_id) == (admin_user.pk, team.pk)
    assert changed.changes == {"name": {"from": "Warung", "to": "Warung Besar"}}

    team_id = team.pk
    accounts.team_delete(team=team, by=admin_user)
    deleted = last("accounts.team.deleted")
    assert (deleted.actor_id, deleted.team_id, deleted.object_label) == (
        admin_user.pk,
        team_id,
        "Warung Besar",
    )
    assert deleted.changes == {
        "name": {"from": "Warung Besar", "to": None},
        "slug": {"from": "warung", "to": None},
    }
    assert verify_chain().ok


def test_it_records_a_member_added_through_an_invitation(client, team, lead, mailoutbox):
    newcomer = make_user("newcomer")
    client.force_login(lead)
    client.post(
        reverse("accounts:invitation_create", args=[team.slug]),
        {"email": "newcomer@example.com", "role": Role.MEMBER},
    )
    client.force_login(newcomer)
    client.post(re.search(r"/teams/invitations/[\w-]+/", mailoutbox[0].body)[0])
    event = last("accounts.membership.added")
    membership = Membership.objects.get(user=newcomer, team=team)
    assert (event.actor_id, event.actor_label, event.team_id) == (newcomer.pk, "newcomer", team.pk)
    assert (event.object_type, event.object_id) == ("accounts.membership", str(membership.pk))
    assert event.changes == {
        "user": {"from": None, "to": "newcomer"},
        "role": {"from": None, "to": "member"},
    }
    assert event.ip == "127.0.0.1"


def test_it_records_a_role_change_through_the_page(client, team, lead, member):
    membership = Membership.objects.get(user=member, team=team)
    client.force_login(lead)
    client.post(
        reverse("accounts:member_role", args=[team.slug, membership.pk]), {"role": Role.LEAD}
    )
    event = last("accounts.membership.role_changed")
    assert (event.actor_id, event.team_id, event.object_id) == (
        lead.pk,
        team.pk,
        str(membership.pk),
    )
    assert event.changes == {"user": "member", "role": {"from": "member", "to": "lead"}}


def test_it_records_a_member_removed_through_the_page(client, team, lead, member):
    membership = Membership.objects.get(user=member, team=team)
    client.force_login(lead)
    client.post(reverse("accounts:member_remove", args=[team.slug, membership.pk]))
    event = last("accounts.membership.removed")
    assert (event.actor_id, event.team_id, event.object_id) == (
        lead.pk,
        team.pk,
        str(membership.pk),
    )
    assert event.changes == {
        "user": {"from": "member", "to": None},
        "role": {"from": "member", "to": None},
    }


def test_it_records_portal_role_grants_and_revocations(admin_user, nobody):
    accounts.global_role_grant(user=nobody, group_name=AUDITORS_GROUP, by=admin_user)
    granted = last("accounts.role.granted")
    assert (granted.actor_id, granted.team_id, granted.object_id) == (
        admin_user.pk,
        None,
        str(nobody.pk),
    )
    assert granted.changes == {"user": "nobody", "group": {"from": None, "to": AUDITORS_GROUP}}
    accounts.global_role_revoke(user=nobody, group_name=AUDITORS_GROUP, by=admin_user)
    revoked = last("accounts.role.revoked")
    assert revoked.changes == {"user": "nobody", "group": {"from": AUDITORS_GROUP, "to": None}}


def test_it_records_a_successful_sign_in_and_sign_out(client, member):
    response = client.post(
        LOGIN, {"username": "member", "password": PASSWORD}, HTTP_USER_AGENT="pytest-browser"
    )
    assert response.status_code == 302
    login = last("accounts.login.succeeded")
    assert (login.actor_id, login.actor_label, login.team_id) == (member.pk, "member", None)
    assert (login.ip, login.user_agent) == ("127.0.0.1", "pytest-browser")
    client.post(reverse("logout"))
    logout = last("accounts.logout")
    assert (logout.actor_id, logout.actor_label) == (member.pk, "member")


def test_it_records_a_failed_sign_in_without_the_password(client, member):
    client.post(LOGIN, {"username": "member", "password": "not-the-password"})
    failed = last("accounts.login.failed")
    assert (failed.actor_id, failed.actor_label, failed.team_id) == (None, "member", None)
    assert failed.changes == {"username": "member"}
    assert "not-the-password" not in str(AuditEvent.objects.values_list("changes", "reason"))


def test_it_leaves_out_a_typed_username_that_names_no_account(rf, member):
    from django.contrib.auth import authenticate

    typed = "Tr0ub4dor&3-my-password"  # typed into the username field by mistake
    form = "application/x-www-form-urlencoded"
    request = rf.post(LOGIN, "", content_type=form)
    assert authenticate(request=request, username=typed, password="anything") is None
    failed = last("accounts.login.failed")
    assert (failed.actor_label, failed.changes) == ("", {"username": ""})
    everything = AuditEvent.objects.values_list(
        "actor_label", "changes", "reason", "object_label", "user_agent"
    )
    assert typed not in str(list(everything))
    request = rf.post(LOGIN, "", content_type=form)
    assert authenticate(request=request, username="member", password="wrong") is None
    assert last("accounts.login.failed").changes == {"username": "member"}


def test_it_records_a_lockout_after_five_failures(client, member):
    for _ in range(5):
        client.post(LOGIN, {"username": "member", "password": "wrong-password"})
    assert AuditEvent.objects.filter(action="accounts.login.failed").count() == 5
    locked = last("accounts.login.locked_out")
    assert locked is not None
    assert (locked.actor_id, locked.actor_label) == (None, "member")
    assert locked.changes == {"username": "member", "ip_address": "127.0.0.1"}
    assert verify_chain().ok
