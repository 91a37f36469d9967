"""Signing in with a second factor: who must, the code step, backup codes and the lockout."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import two_factor
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD, add_authenticator, totp_code

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/"
ENROL = "/accounts/two-factor/set-up/"
ADDRESS = "203.0.113.9"

# Every role, and whether it must use two-factor sign-in.
ROLES = [
    ("member", False),
    ("lead", False),
    ("reviewer", True),
    ("auditor", True),
    ("admin_user", True),
]


def _password(client, user, password=PASSWORD):
    return client.post(
        LOGIN, {"username": user.get_username(), "password": password}, REMOTE_ADDR=ADDRESS
    )


def _code(client, code, next_url=""):
    return client.post(VERIFY, {"code": code, "next": next_url}, REMOTE_ADDR=ADDRESS)


def _without_devices(user):
    TOTPDevice.objects.filter(user=user).delete()
    return user


@pytest.mark.parametrize("role, required", ROLES)
def test_it_requires_two_factor_for_portal_wide_roles_only(request, role, required):
    assert two_factor.must_use_two_factor(request.getfixturevalue(role)) is required


@pytest.mark.parametrize("role, required", ROLES)
def test_without_a_device_only_the_required_roles_are_sent_to_set_one_up(
    client, request, role, required
):
    user = _without_devices(request.getfixturevalue(role))
    response = _password(client, user)
    assert response.status_code == 302
    if required:
        assert response["Location"].startswith(ENROL + "?next=")
        assert client.get(reverse("accounts:team_list"))["Location"].startswith(ENROL)
    else:
        assert response["Location"] == reverse("home")
        assert client.get(reverse("accounts:team_list")).status_code == 200


@pytest.mark.parametrize("role, required", ROLES)
def test_with_a_device_every_role_gives_a_code_after_the_password(client, request, role, required):
    user = request.getfixturevalue(role)
    device = TOTPDevice.objects.filter(user=user).first() or add_authenticator(user)
    response = _password(client, user)
    assert response["Location"].startswith(VERIFY + "?next=")
    assert client.get(VERIFY).status_code == 200
    response = _code(client, totp_code(device), next_url=reverse("accounts:team_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:team_list")
    assert client.get(reverse("accounts:team_list")).status_code == 200


HALF_SIGNED_IN_CLOSED = [
    ("accounts:team_list", "/teams/"),
    ("admin:index", "/admin/"),
    ("account_security", "/accounts/security/"),
    ("audit:event_list", None),
    ("checklists:review_queue", None),
    ("password_change", None),
]


@pytest.mark.parametrize("name, _", HALF_SIGNED_IN_CLOSED)
def test_a_half_signed_in_user_reaches_nothing_but_the_code_step(client, admin_user, name, _):
    _password(client, admin_user)
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={url.replace('/', '%2F')}"
    assert client.post(url, {})["Location"] == VERIFY


def test_a_half_signed_in_user_sees_no_menu_but_sign_out(client, reviewer):
    _password(client, reviewer)
    page = client.get(VERIFY).content.decode()
    assert 'aria-label="Main"' not in page
    assert reverse("checklists:todo") not in page
    assert reverse("account_security") not in page
    assert reverse("logout") in page

    _code(client, totp_code(TOTPDevice.objects.get(user=reviewer)))
    page = client.get(reverse("checklists:todo")).content.decode()
    assert 'aria-label="Main"' in page
    assert reverse("account_security") in page


def test_a_half_signed_in_user_may_sign_out(client, reviewer):
    _password(client, reviewer)
    assert client.post(reverse("logout")).status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_user_who_must_set_up_reaches_only_the_set_up_page(client, auditor):
    _without_devices(auditor)
    _password(client, auditor)
    assert client.get(ENROL).status_code == 200
    assert client.get(VERIFY)["Location"].startswith(ENROL)
    assert client.get(reverse("account_security"))["Location"].startswith(ENROL)


def test_it_refuses_a_wrong_code_and_records_it_without_the_code(client, reviewer):
    _password(client, reviewer)
    response = _code(client, "000000")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_code_error"' in page and "That code is not right." in page
    assert 'value="000000"' in page  # what was typed stays
    assert client.get(reverse("accounts:team_list"))["Location"].startswith(VERIFY)
    event = AuditEvent.objects.get(action="accounts.two_factor.failed")
    assert event.object_id == str(reviewer.pk)
    assert event.changes == {"kind": "app code"}


def test_a_backup_code_works_once(client, reviewer):
    codes = two_factor.backup_codes_regenerate(user=reviewer)
    _password(client, reviewer)
    assert _code(client, codes[0].upper())["Location"] == reverse("home")
    assert StaticToken.objects.filter(device__user=reviewer).count() == 9
    client.post(reverse("logout"))

    _password(client, reviewer)
    response = _code(client, codes[0])
    assert response.status_code == 400
    assert client.get(reverse("accounts:team_list"))["Location"].startswith(VERIFY)
    assert AuditEvent.objects.get(action="accounts.two_factor.failed").changes == {
        "kind": "backup code"
    }


def test_an_app_code_works_once(client, reviewer):
    device = TOTPDevice.objects.get(user=reviewer)
    _password(client, reviewer)
    code = totp_code(device)
    assert _code(client, code).status_code == 302
    client.post(reverse("logout"))
    _password(client, reviewer)
    assert _code(client, code).status_code == 400


def test_it_locks_the_account_after_five_wrong_codes(client, reviewer):
    device = TOTPDevice.objects.get(user=reviewer)
    _password(client, reviewer)
    for _ in range(4):
        assert _code(client, "000000").status_code == 400
    locked = _code(client, "000000")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Neither the password nor a right code gets through now.
    assert _password(client, reviewer).status_code == 429
    assert "_auth_user_id" not in client.session
    assert _code(client, totp_code(device))["Location"].startswith(LOGIN)
    assert AuditEvent.objects.filter(action="accounts.login.locked_out").exists()
    assert AuditEvent.objects.filter(action="accounts.two_factor.failed").count() == 5


def test_wrong_passwords_and_wrong_codes_count_together(client, reviewer):
    for _ in range(3):
        assert _password(client, reviewer, "wrong guess").status_code == 200
    # The right password does not wipe the count: only a completed sign-in does.
    assert _password(client, reviewer)["Location"].startswith(VERIFY)
    assert _code(client, "000000").status_code == 400
    assert _code(client, "000000").status_code == 429


def test_a_locked_account_is_refused_at_the_code_step(client, reviewer):
    _password(client, reviewer)
    other = type(client)()
    for _ in range(5):
        _password(other, reviewer, "wrong guess")
    device = TOTPDevice.objects.get(user=reviewer)
    response = _code(client, totp_code(device))
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_completed_sign_in_clears_earlier_failures(client, reviewer):
    device = TOTPDevice.objects.get(user=reviewer)
    _password(client, reviewer)
    for _ in range(4):
        _code(client, "000000")
    device.refresh_from_db()
    device.throttle_reset()  # django-otp's own wait, which is not what this test is about
    assert _code(client, totp_code(device)).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert _password(client, reviewer, "wrong guess").status_code == 200
    assert _password(client, reviewer).status_code == 302


def test_it_asks_to_wait_while_django_otp_throttles(client, reviewer):
    device = TOTPDevice.objects.get(user=reviewer)
    _password(client, reviewer)
    _code(client, "000000")
    response = _code(client, totp_code(device))  # right, but within the wait
    assert response.status_code == 400
    assert "Too many wrong codes in a row: wait" in response.content.decode()


def test_it_only_follows_next_within_the_portal(client, reviewer):
    _password(client, reviewer)
    device = TOTPDevice.objects.get(user=reviewer)
    response = _code(client, totp_code(device), next_url="https://evil.example/")
    assert response["Location"] == reverse("home")
