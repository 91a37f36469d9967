"""Password reset and change: links by mail only, every change recorded, requests throttled."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD

NEW_PASSWORD = "tangerine orbit lantern 42"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _request(client, email, ip="203.0.113.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def _link(message) -> str:
    return re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)


def test_it_mails_a_link_and_records_the_request(client, member):
    response = _request(client, "member@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert [message.to for message in mail.outbox] == [["member@example.com"]]
    event = AuditEvent.objects.get(action="accounts.user.password_reset_requested")
    assert event.changes == {"email": "member@example.com"}


def test_a_reset_through_the_link_is_recorded(client, member):
    _request(client, "member@example.com")
    form_url = client.get(_link(mail.outbox[0]))["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="accounts.user.password_reset")
    assert event.actor == member and event.object_id == str(member.pk)


def test_a_reset_link_works_once(client, member):
    _request(client, "member@example.com")
    link = _link(mail.outbox[0])
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    page = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in page


def test_a_reset_refuses_a_weak_password(client, member):
    _request(client, "member@example.com")
    form_url = client.get(_link(mail.outbox[0]))["Location"]
    response = client.post(
        form_url, {"new_password1": "Password123!", "new_password2": "Password123!"}
    )
    assert response.status_code == 200
    assert "common password with digits or symbols added" in response.content.decode()
    assert not AuditEvent.objects.filter(action="accounts.user.password_reset").exists()


def test_it_throttles_requests_for_one_account(client, member, settings):
    settings.PASSWORD_RESET_PER_ACCOUNT = 3
    for number in range(3):
        assert _request(client, "member@example.com", ip=f"203.0.113.{number}").status_code == 302
    response = _request(client, "Member@Example.com", ip="203.0.113.99")
    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(action="accounts.user.password_reset_throttled").exists()


def test_it_throttles_requests_from_one_address(client, member, settings):
    settings.PASSWORD_RESET_PER_ADDRESS = 2
    assert _request(client, "first@example.com").status_code == 302
    assert _request(client, "second@example.com").status_code == 302
    response = _request(client, "member@example.com")
    assert response.status_code == 429
    assert mail.outbox == []
    assert _request(client, "member@example.com", ip="198.51.100.1").status_code == 302


def test_the_throttle_says_nothing_about_which_accounts_exist(client, member, settings):
    settings.PASSWORD_RESET_PER_ACCOUNT = 1
    answers = []
    for email in ("member@example.com", "ghost@example.com"):
        _request(client, email, ip="198.51.100.1")
        first_after = _request(client, email, ip="198.51.100.2")
        answers.append(
            (first_after.status_code, first_after.content.decode().replace(email, "EMAIL"))
        )
    assert answers[0][0] == answers[1][0] == 429
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", answers[0][1]) == strip.sub("", answers[1][1])


def test_an_unknown_address_gets_the_same_answer_as_a_known_one(client, member):
    known = _request(client, "member@example.com")
    unknown = _request(client, "ghost@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


def test_without_a_mail_server_no_link_reaches_standard_output(client, member, settings, capfd):
    settings.EMAIL_BACKEND = "portal.accounts.mail.UnconfiguredEmailBackend"
    response = _request(client, "member@example.com")
    assert response.status_code == 302  # the same answer as for an unknown address
    captured = capfd.readouterr()
    assert "/accounts/reset/" not in captured.out + captured.err


def test_a_password_change_is_recorded(client, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="accounts.user.password_changed")
    assert event.actor == member
    # Still signed in here.
    assert client.get(reverse("accounts:team_list")).status_code == 200


def test_a_password_change_needs_the_old_password(client, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.user.password_changed").exists()


def test_the_login_page_offers_a_reset(client, db):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
