from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _attempt(client, password, username="member"):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR="203.0.113.9"
    )


def test_it_serves_the_login_page(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert '<label for="id_username">Username</label>' in response.content.decode()


def test_it_signs_in_and_out(client, member):
    response = _attempt(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("accounts:team_list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("accounts:team_list")).status_code == 302


def test_it_explains_a_wrong_password(client, member):
    response = _attempt(client, "not the password")
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()


def test_it_locks_the_account_after_five_failures(client, member):
    for _ in range(4):
        assert _attempt(client, "wrong guess").status_code == 200
    locked = _attempt(client, "wrong guess")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    # Even the right password is refused now.
    still_locked = _attempt(client, PASSWORD)
    assert still_locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_locks_per_account_and_address(client, member, lead):
    for _ in range(5):
        _attempt(client, "wrong guess")
    assert _attempt(client, PASSWORD, username="lead").status_code == 302
    other_address = client.post(
        LOGIN, {"username": "member", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert other_address.status_code == 302


def test_an_admin_unlocks_a_locked_account(client, member):
    for _ in range(5):
        _attempt(client, "wrong guess")
    assert AccessAttempt.objects.filter(username="member").exists()
    call_command("axes_reset_username", "member")
    assert _attempt(client, PASSWORD).status_code == 302


def test_it_ends_the_session_after_thirty_idle_minutes(client, member):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    _attempt(client, PASSWORD)
    response = client.get(reverse("accounts:team_list"))
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60
    # Thirty-one minutes later, with no request in between:
    Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
    response = client.get(reverse("accounts:team_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_activity_keeps_the_session_alive(client, member):
    _attempt(client, PASSWORD)
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    client.get(reverse("accounts:team_list"))
    session = Session.objects.get()
    assert session.expire_date > timezone.now() + timedelta(minutes=29)


@pytest.mark.parametrize("password", ["short-pass1", "123456789012345", "password1234"])
def test_it_refuses_weak_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_it_accepts_a_long_passphrase():
    validate_password("tangerine orbit lantern 42")


def test_a_completed_sign_in_clears_earlier_wrong_passwords(client, member):
    for _ in range(4):
        _attempt(client, "wrong guess")
    assert _attempt(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert _attempt(client, "wrong guess").status_code == 200
    assert _attempt(client, PASSWORD).status_code == 302
