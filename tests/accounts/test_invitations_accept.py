"""The mailed link: sign in, see the team and role, accept; dead links say why."""

import logging
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.accounts import services
from portal.accounts.models import Invitation, Membership, Role
from portal.audit.models import AuditEvent
from portal.audit.redaction import RedactingFilter
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def invited(team, lead):
    """An invitation of newcomer@example.com as a lead, and the path of its mailed link."""
    invitation = services.invitation_create(
        team=team, email="newcomer@example.com", role=Role.LEAD, by=lead
    )
    return invitation, re.search(r"/teams/invitations/[\w-]+/", mail.outbox[-1].body)[0]


@pytest.fixture
def newcomer(db):
    return make_user("newcomer")


def test_a_visitor_is_sent_to_sign_in_and_back(client, invited):
    _, link = invited
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(link)}"


def test_the_invitee_sees_the_team_and_role_and_joins(client, team, invited, newcomer):
    invitation, link = invited
    client.force_login(newcomer)
    page = client.get(link).content.decode()
    assert "Join Kopi Kita" in page and "<dd>Lead</dd>" in page
    assert "lead invites you" in page
    assert "Accept and join Kopi Kita" in page
    response = client.post(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:team_detail", args=[team.slug])
    assert "You joined Kopi Kita as Lead." in response.content.decode()
    assert Membership.objects.get(user=newcomer, team=team).role == Role.LEAD
    assert AuditEvent.objects.filter(action="accounts.invitation.accepted").count() == 1


def test_a_used_link_says_so(client, invited, newcomer):
    _, link = invited
    client.force_login(newcomer)
    client.post(link)
    response = client.get(link)
    assert response.status_code == 410
    assert "This invitation has already been used." in response.content.decode()
    assert client.post(link).status_code == 410


def test_an_expired_link_says_so(client, invited, newcomer):
    invitation, link = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(newcomer)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410
        assert "This invitation expired on" in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_withdrawn_link_says_so(client, lead, invited, newcomer):
    invitation, link = invited
    services.invitation_revoke(invitation=invitation, by=lead)
    client.force_login(newcomer)
    response = client.post(link)
    assert response.status_code == 410
    assert "This invitation was withdrawn by the team." in response.content.decode()
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_unknown_link_says_so(client, invited, newcomer):
    _, link = invited
    client.force_login(newcomer)
    response = client.get(link[:-5] + "xxxx/")
    assert response.status_code == 404
    assert "The link is not one the portal sent" in response.content.decode()


def test_a_portal_wide_role_holder_is_refused_clearly(client, team, lead, auditor):
    services.invitation_create(team=team, email="auditor@example.com", role="member", by=lead)
    link = re.search(r"/teams/invitations/[\w-]+/", mail.outbox[-1].body)[0]
    client.force_login(auditor)
    page = client.get(link).content.decode()
    assert "auditor holds the portal-wide role &#x27;Auditors&#x27;" in page
    assert "Accept and join" not in page
    response = client.post(link)
    assert response.status_code == 400
    assert "cannot be combined" in response.content.decode()
    assert not Membership.objects.filter(user=auditor).exists()


def test_another_account_cannot_use_the_link(client, invited, member):
    _, link = invited
    client.force_login(member)
    page = client.get(link).content.decode()
    assert "This invitation was sent to newcomer@example.com" in page
    assert client.post(link).status_code == 400
    assert not Membership.objects.filter(user=member, role=Role.LEAD).exists()


@pytest.mark.parametrize(
    "token",
    [
        None,  # the one mailed
        "abcdefghij_KLMNOPQRST-uvwxyzABCDEFGHIJKLMNOP",  # no digit: no random-looking string
    ],
)
def test_the_link_is_masked_in_log_lines(invited, token):
    _, link = invited
    if token:
        link = f"/teams/invitations/{token}/"
    token = link.split("/")[-2]
    for line in (f"GET {link} 200", f"GET /accounts/login/?next={quote(link, safe='')} 200"):
        record = logging.LogRecord("django.server", logging.INFO, __file__, 1, line, (), None)
        RedactingFilter().filter(record)
        assert token not in record.getMessage()
        assert "invitations" in record.getMessage()
