"""The invitation services: each change recorded, the token never kept or recorded."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.accounts import services
from portal.accounts.models import Invitation, Membership, Role
from portal.audit.models import AuditEvent
from portal.audit.verification import verify_chain
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_URL = "https://portal.example.com"
    settings.DEFAULT_FROM_EMAIL = "portal@example.com"


def mailed_token(message) -> str:
    return re.search(r"https://portal\.example\.com/teams/invitations/([\w-]+)/", message.body)[1]


def test_it_mails_a_one_time_link_and_keeps_only_its_hash(team, lead):
    invitation = services.invitation_create(
        team=team, email=" Newcomer@Example.COM ", role=Role.MEMBER, by=lead
    )
    assert invitation.email == "newcomer@example.com"
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )
    (message,) = mail.outbox
    assert message.to == ["newcomer@example.com"]
    assert message.from_email == "portal@example.com"
    assert "Kopi Kita" in message.subject
    token = mailed_token(message)
    assert len(token) >= 40
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(Invitation.objects.values()), default=str)
    assert services.invitation_for_token(token) == invitation
    assert services.invitation_for_token(token[:-1] + "x") is None


def test_it_records_the_invitation_without_the_token(team, lead):
    invitation = services.invitation_create(
        team=team, email="newcomer@example.com", role=Role.LEAD, by=lead
    )
    token = mailed_token(mail.outbox[0])
    event = AuditEvent.objects.get(action="accounts.invitation.created")
    assert (event.actor, event.team_id, event.object_id) == (lead, team.pk, str(invitation.pk))
    assert event.changes["email"] == {"from": None, "to": "newcomer@example.com"}
    assert event.changes["role"] == {"from": None, "to": "lead"}
    stored = json.dumps([event.changes, event.reason])
    assert token not in stored and invitation.token_hash not in stored


def test_inviting_an_address_again_withdraws_its_open_invitation(team, lead):
    first = services.invitation_create(team=team, email="a@example.com", role="member", by=lead)
    first_token = mailed_token(mail.outbox[0])
    second = services.invitation_create(team=team, email="A@example.com", role="lead", by=lead)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert list(services.pending_invitations(team)) == [second]
    assert services.invitation_closed_reason(services.invitation_for_token(first_token))
    created = AuditEvent.objects.filter(action="accounts.invitation.created").latest("sequence")
    assert created.changes["replaces"] == [first.pk]


def test_an_unknown_role_is_refused_on_the_role_field(team, lead):
    with pytest.raises(ValidationError) as refused:
        services.invitation_create(team=team, email="a@example.com", role="owner", by=lead)
    assert refused.value.message_dict == {"role": ["Unknown role 'owner'."]}
    assert not Invitation.objects.exists() and not mail.outbox


def test_when_the_mail_cannot_be_sent_the_invitation_is_void(team, lead, settings):
    settings.EMAIL_BACKEND = "portal.accounts.mail.UnconfiguredEmailBackend"
    with pytest.raises(services.InvitationNotSent):
        services.invitation_create(team=team, email="a@example.com", role="member", by=lead)
    invitation = Invitation.objects.get()
    assert invitation.revoked_at is not None
    revoked = AuditEvent.objects.get(action="accounts.invitation.revoked")
    assert revoked.reason == "The invitation mail could not be sent."
    assert not services.pending_invitations(team).exists()


def test_acceptance_adds_the_member_in_the_invited_role_and_is_recorded(team, lead):
    newcomer = make_user("newcomer")
    invitation = services.invitation_create(
        team=team, email="NEWCOMER@example.com", role=Role.LEAD, by=lead
    )
    membership = services.invitation_accept(invitation=invitation, user=newcomer)
    assert (membership.team, membership.user, membership.role) == (team, newcomer, Role.LEAD)
    invitation.refresh_from_db()
    assert invitation.accepted_by == newcomer and invitation.accepted_at is not None
    accepted = AuditEvent.objects.get(action="accounts.invitation.accepted")
    assert (accepted.actor, accepted.team_id) == (newcomer, team.pk)
    assert accepted.changes == {
        "email": "newcomer@example.com",
        "role": "lead",
        "user": "newcomer",
    }
    added = AuditEvent.objects.filter(action="accounts.membership.added").latest("sequence")
    assert added.actor == newcomer
    assert verify_chain().ok


def test_a_link_works_once(team, lead):
    newcomer = make_user("newcomer")
    invitation = services.invitation_create(
        team=team, email="newcomer@example.com", role="member", by=lead
    )
    services.invitation_accept(invitation=invitation, user=newcomer)
    with pytest.raises(ValidationError, match="already been used"):
        services.invitation_accept(invitation=invitation, user=newcomer)
    assert AuditEvent.objects.filter(action="accounts.invitation.accepted").count() == 1


def test_an_expired_or_revoked_invitation_cannot_be_accepted(team, lead):
    newcomer = make_user("newcomer")
    expired = services.invitation_create(
        team=team, email="newcomer@example.com", role="member", by=lead
    )
    Invitation.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationError, match="This invitation expired on"):
        services.invitation_accept(invitation=expired, user=newcomer)
    revoked = services.invitation_create(
        team=team, email="newcomer@example.com", role="member", by=lead
    )
    services.invitation_revoke(invitation=revoked, by=lead)
    with pytest.raises(ValidationError, match="withdrawn"):
        services.invitation_accept(invitation=revoked, user=newcomer)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_portal_wide_role_holder_cannot_accept(team, lead, auditor):
    invitation = services.invitation_create(
        team=team, email="auditor@example.com", role="member", by=lead
    )
    with pytest.raises(ValidationError, match="portal-wide role 'Auditors'"):
        services.invitation_accept(invitation=invitation, user=auditor)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(user=auditor).exists()
    assert not AuditEvent.objects.filter(action="accounts.invitation.accepted").exists()


def test_only_the_invited_address_may_accept(team, lead, nobody):
    invitation = services.invitation_create(
        team=team, email="someone@example.com", role="member", by=lead
    )
    with pytest.raises(ValidationError, match="sent to someone@example.com"):
        services.invitation_accept(invitation=invitation, user=nobody)
    assert not Membership.objects.filter(user=nobody).exists()


def test_revoking_is_recorded_and_an_accepted_one_stays(team, lead):
    invitation = services.invitation_create(
        team=team, email="a@example.com", role="member", by=lead
    )
    services.invitation_revoke(invitation=invitation, by=lead)
    event = AuditEvent.objects.get(action="accounts.invitation.revoked")
    assert (event.actor, event.team_id) == (lead, team.pk)
    assert event.changes == {"email": "a@example.com", "role": "member"}
    accepted = services.invitation_create(
        team=team, email="newcomer@example.com", role="member", by=lead
    )
    services.invitation_accept(invitation=accepted, user=make_user("newcomer"))
    with pytest.raises(ValidationError, match="has already accepted"):
        services.invitation_revoke(invitation=accepted, by=lead)
