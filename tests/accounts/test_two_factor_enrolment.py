"""Setting up an authenticator app, and the account security page."""

from binascii import unhexlify

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import two_factor
from portal.accounts.two_factor_views import PENDING_SETUP
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD, totp_code

LOGIN = "/accounts/login/"
ENROL = "/accounts/two-factor/set-up/"
SECURITY = "/accounts/security/"
ADDRESS = "203.0.113.9"


def _app_code(client) -> str:
    """What the app shows now, for the key the set-up page offered."""
    return f"{TOTP(unhexlify(client.session[PENDING_SETUP])).token():06d}"


def _no_secrets_in_audit(*secrets):
    for event in AuditEvent.objects.all():
        text = f"{event.changes} {event.reason}"
        for secret in secrets:
            assert secret.lower() not in text.lower()


def test_a_member_sets_up_an_app_from_the_security_page(client, member):
    client.force_login(member)
    page = client.get(SECURITY).content.decode()
    assert "<strong>Off.</strong>" in page
    assert f'href="{ENROL}"' in page

    response = client.get(ENROL)
    page = response.content.decode()
    assert '<svg width="' in page and "QR code to scan" in page
    secret = client.session[PENDING_SETUP]
    assert two_factor.secret_for_typing(secret) in page
    assert "<script" not in page

    code = _app_code(client)
    response = client.post(ENROL, {"code": code})
    assert response.status_code == 200
    codes = [token.token for token in StaticToken.objects.filter(device__user=member)]
    assert len(codes) == 10
    page = response.content.decode()
    assert all(f"<code>{c}</code>" in page for c in codes)
    device = TOTPDevice.objects.get(user=member, confirmed=True)
    assert device.key == secret
    assert PENDING_SETUP not in client.session
    # The session is verified by the code just given.
    assert client.get(reverse("accounts:team_list")).status_code == 200
    event = AuditEvent.objects.get(action="accounts.two_factor.enrolled")
    assert event.object_id == str(member.pk) and event.changes == {"backup_codes": 10}
    _no_secrets_in_audit(secret, two_factor.secret_for_typing(secret).replace(" ", ""), *codes)


def test_the_key_stays_the_same_while_setting_up(client, member):
    client.force_login(member)
    client.get(ENROL)
    first = client.session[PENDING_SETUP]
    client.get(ENROL)
    assert client.session[PENDING_SETUP] == first


@pytest.mark.parametrize(
    "code, error",
    [
        ("", "Enter a code."),
        ("12345", "Enter the 6-digit code your app shows now."),
        ("abcdef", "Enter the 6-digit code your app shows now."),
    ],
)
def test_it_explains_a_malformed_code_next_to_the_field(client, member, code, error):
    client.force_login(member)
    client.get(ENROL)
    response = client.post(ENROL, {"code": code})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<p class="error" id="id_code_error">{error}</p>' in page
    assert not TOTPDevice.objects.filter(user=member).exists()


def test_it_refuses_a_code_the_app_did_not_make(client, member):
    client.force_login(member)
    client.get(ENROL)
    wrong = f"{(int(_app_code(client)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 400
    assert "That code does not match." in response.content.decode()
    assert f'value="{wrong}"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not AuditEvent.objects.filter(action="accounts.two_factor.enrolled").exists()


def test_a_reviewer_without_a_device_sets_one_up_at_sign_in_and_continues(client, reviewer):
    TOTPDevice.objects.filter(user=reviewer).delete()
    response = client.post(
        LOGIN,
        {"username": "reviewer", "password": PASSWORD, "next": "/review/"},
        REMOTE_ADDR=ADDRESS,
    )
    assert response["Location"] == f"{ENROL}?next=%2Freview%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Your role requires two-factor sign-in." in page
    response = client.post(ENROL, {"code": _app_code(client), "next": "/review/"})
    assert 'href="/review/"' in response.content.decode()
    assert client.get(reverse("checklists:review_queue")).status_code == 200


def test_the_set_up_page_sends_an_enrolled_user_to_the_security_page(client, reviewer):
    client.force_login(reviewer)
    assert client.get(ENROL)["Location"] == SECURITY


def test_it_makes_new_backup_codes_and_the_old_ones_stop_working(client, reviewer):
    old = two_factor.backup_codes_regenerate(user=reviewer)
    client.force_login(reviewer)
    response = client.post(reverse("two_factor_backup_codes"))
    assert response.status_code == 200
    new = set(StaticToken.objects.filter(device__user=reviewer).values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)
    assert all(f"<code>{code}</code>" in response.content.decode() for code in new)
    assert "your earlier backup codes no longer work" in response.content.decode()
    assert (
        AuditEvent.objects.filter(action="accounts.two_factor.backup_codes_regenerated").count()
        == 2
    )
    _no_secrets_in_audit(*old, *new)
    # Shown once: the security page tells how many are left, not which.
    page = client.get(SECURITY).content.decode()
    assert "10 unused backup codes left." in page
    assert not any(code in page for code in new)


def test_it_rejects_get_on_the_write_views(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("two_factor_backup_codes")).status_code == 405
    assert client.get(reverse("two_factor_disable")).status_code == 405


def test_a_member_turns_two_factor_off_with_a_current_code(client, member):
    device = TOTPDevice.objects.create(user=member, name="Authenticator app", confirmed=True)
    two_factor.backup_codes_regenerate(user=member)
    client.force_login(member)
    page = client.get(SECURITY).content.decode()
    assert 'aria-label="Turn two-factor sign-in off"' in page
    response = client.post(reverse("two_factor_disable"), {"code": totp_code(device)})
    assert response["Location"] == SECURITY
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticToken.objects.filter(device__user=member).exists()
    assert AuditEvent.objects.filter(action="accounts.two_factor.disabled").count() == 1
    assert "<strong>Off.</strong>" in client.get(SECURITY).content.decode()


def test_turning_off_with_a_wrong_code_is_refused_next_to_the_field(client, member):
    TOTPDevice.objects.create(user=member, name="Authenticator app", confirmed=True)
    client.force_login(member)
    response = client.post(reverse("two_factor_disable"), {"code": "000000"})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<p class="error" id="id_off_code_error">That code is not right.' in page
    assert TOTPDevice.objects.filter(user=member).exists()
    assert AuditEvent.objects.filter(action="accounts.two_factor.failed").count() == 1


@pytest.mark.parametrize("role", ["reviewer", "auditor", "admin_user"])
def test_a_required_role_cannot_turn_two_factor_off(client, request, role):
    user = request.getfixturevalue(role)
    device = TOTPDevice.objects.get(user=user)
    client.force_login(user)
    page = client.get(SECURITY).content.decode()
    assert "Turn two-factor sign-in off" not in page
    assert "Your role requires two-factor sign-in, so it cannot be turned off." in page
    response = client.post(reverse("two_factor_disable"), {"code": totp_code(device)})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action="accounts.two_factor.disabled").exists()


def test_the_security_page_query_count_does_not_grow_with_backup_codes(
    client, reviewer, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get(SECURITY)
    two_factor.backup_codes_regenerate(user=reviewer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(SECURITY)
    assert "10 unused backup codes left." in response.content.decode()


def test_the_account_menu_links_the_security_page(client, member):
    client.force_login(member)
    page = client.get(reverse("accounts:team_list")).content.decode()
    assert f'<a href="{SECURITY}">Security</a>' in page
