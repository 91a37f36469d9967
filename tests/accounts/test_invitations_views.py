"""A lead invites by e-mail and withdraws invitations; nobody learns who has an account."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.accounts import services
from portal.accounts.models import Invitation
from portal.audit.models import AuditEvent


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _invite(client, team, email, role="member", **kwargs):
    return client.post(
        reverse("accounts:invitation_create", args=[team.slug]),
        {"email": email, "role": role},
        **kwargs,
    )


def _normalised(html: str, address: str) -> str:
    """The page without what differs between two renders of the same state: the address
    invited, CSRF tokens and the invitation's id."""
    html = html.replace(address, "ADDRESS")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r"/invitations/\d+/", "/invitations/N/", html)


def test_a_lead_invites_and_the_invitation_is_listed(client, team, lead):
    client.force_login(lead)
    response = _invite(client, team, "newcomer@example.com", "lead", follow=True)
    page = response.content.decode()
    assert "Invitation sent to newcomer@example.com." in page
    assert "<strong>newcomer@example.com</strong><br>Lead, invited by lead;" in page
    assert '<span class="visually-hidden"> the invitation to newcomer@example.com</span>' in page
    invitation = Invitation.objects.get()
    assert (invitation.team, invitation.role, invitation.invited_by) == (team, "lead", lead)
    assert len(mail.outbox) == 1


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, team, lead, member
):
    client.force_login(lead)
    answers = []
    for address in ("member@example.com", "nobody-here@example.com"):
        response = _invite(client, team, address)
        page = client.get(response["Location"])
        answers.append((response.status_code, response["Location"], page.status_code))
        answers.append(_normalised(page.content.decode(), address))
        services.invitation_revoke(invitation=Invitation.objects.get(email=address), by=lead)
    assert "Invitation sent to ADDRESS." in answers[1]
    assert answers[:2] == answers[2:]
    known, unknown = mail.outbox
    assert (
        _normalised(known.body, "member@example.com").split("/invitations/")[0]
        == (_normalised(unknown.body, "nobody-here@example.com").split("/invitations/")[0])
    )
    assert known.subject == unknown.subject


def test_a_bad_address_is_shown_next_to_the_field_with_what_was_typed(client, team, lead):
    client.force_login(lead)
    response = _invite(client, team, "not an address", "lead")
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(
        r'<input type="email" name="email" value="not an address"[^>]*aria-invalid="true"', page
    )
    assert '<p class="error" id="id_email_error">Enter a valid email address.</p>' in page
    assert '<option value="lead" selected>' in page
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_mail_failure_is_told_on_the_form(client, team, lead, settings):
    settings.EMAIL_BACKEND = "portal.accounts.mail.UnconfiguredEmailBackend"
    client.force_login(lead)
    response = _invite(client, team, "newcomer@example.com")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The invitation mail could not be sent, so no invitation was made." in page
    assert 'value="newcomer@example.com"' in page
    assert "Invitation sent" not in page


def test_members_cannot_invite_or_withdraw(client, team, lead, member):
    invitation = services.invitation_create(team=team, email="a@example.com", role="lead", by=lead)
    client.force_login(member)
    assert _invite(client, team, "b@example.com").status_code == 404
    revoke = reverse("accounts:invitation_revoke", args=[team.slug, invitation.pk])
    assert client.post(revoke).status_code == 404
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert "a@example.com" not in page and "Invite someone" not in page
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None
    assert Invitation.objects.count() == 1


def test_another_teams_lead_gets_404(client, team, lead, outsider, other_team):
    invitation = services.invitation_create(team=team, email="a@example.com", role="lead", by=lead)
    client.force_login(outsider)
    assert _invite(client, team, "b@example.com").status_code == 404
    # Their own team in the address, this team's invitation in the id.
    revoke = reverse("accounts:invitation_revoke", args=[other_team.slug, invitation.pk])
    assert client.post(revoke).status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_the_write_views_refuse_get(client, team, lead):
    invitation = services.invitation_create(team=team, email="a@example.com", role="lead", by=lead)
    client.force_login(lead)
    for url in (
        reverse("accounts:invitation_create", args=[team.slug]),
        reverse("accounts:invitation_revoke", args=[team.slug, invitation.pk]),
    ):
        assert client.get(url).status_code == 405, url


def test_a_lead_withdraws_an_invitation_and_its_link_stops_working(client, team, lead):
    invitation = services.invitation_create(team=team, email="a@example.com", role="lead", by=lead)
    link = re.search(r"/teams/invitations/[\w-]+/", mail.outbox[0].body)[0]
    client.force_login(lead)
    response = client.post(
        reverse("accounts:invitation_revoke", args=[team.slug, invitation.pk]), follow=True
    )
    page = response.content.decode()
    assert "The invitation to a@example.com is withdrawn." in page
    assert "<strong>a@example.com</strong>" not in page
    assert AuditEvent.objects.filter(action="accounts.invitation.revoked", actor=lead).exists()
    assert client.get(link).status_code == 410


def test_expired_invitations_are_not_listed_as_pending(client, team, lead):
    invitation = services.invitation_create(team=team, email="a@example.com", role="lead", by=lead)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    client.force_login(lead)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert "a@example.com" not in page and "No invitations are waiting for an answer." in page
