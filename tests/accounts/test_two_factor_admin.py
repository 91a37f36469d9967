"""A lost phone: an administrator resets someone's two-factor sign-in in the admin."""

from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import two_factor
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD

CHANGELIST = reverse("admin:auth_user_changelist")


def _reset(client, *users):
    return client.post(
        CHANGELIST,
        {"action": "reset_two_factor", "_selected_action": [user.pk for user in users]},
        follow=True,
    )


def test_an_admin_resets_a_reviewers_two_factor_and_it_is_recorded(
    admin_client, admin_user, reviewer
):
    two_factor.backup_codes_regenerate(user=reviewer)
    response = _reset(admin_client, reviewer)
    assert "Two-factor sign-in reset for reviewer." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    event = AuditEvent.objects.get(action="accounts.two_factor.reset")
    assert event.actor == admin_user
    assert event.object_id == str(reviewer.pk)
    assert event.changes == {"required": True}


def test_after_a_reset_the_reviewer_sets_up_again_at_the_next_sign_in(
    admin_client, client, reviewer
):
    _reset(admin_client, reviewer)
    response = client.post(
        reverse("login"), {"username": "reviewer", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert response["Location"].startswith(reverse("two_factor_enrol"))


def test_a_reset_ends_the_verified_sign_in_already_open(admin_client, client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("accounts:team_list")).status_code == 200
    _reset(admin_client, reviewer)
    assert client.get(reverse("accounts:team_list"))["Location"].startswith(
        reverse("two_factor_enrol")
    )


def test_resetting_someone_without_two_factor_changes_and_records_nothing(admin_client, member):
    response = _reset(admin_client, member)
    assert "None of the selected users had two-factor sign-in on." in response.content.decode()
    assert not AuditEvent.objects.filter(action="accounts.two_factor.reset").exists()


def test_the_admin_offers_no_unrecorded_way_to_change_devices():
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)


def test_the_admin_needs_a_verified_sign_in(client, admin_user):
    client.post(
        reverse("login"), {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_a_member_reset_during_sign_in_goes_on_without_a_code(admin_client, client, member):
    TOTPDevice.objects.create(user=member, name="Authenticator app", confirmed=True)
    client.post(
        reverse("login"), {"username": "member", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert client.get(reverse("accounts:team_list"))["Location"].startswith(
        reverse("two_factor_verify")
    )
    _reset(admin_client, member)
    assert client.get(reverse("two_factor_verify"))["Location"] == reverse("home")
    assert client.get(reverse("accounts:team_list")).status_code == 200
