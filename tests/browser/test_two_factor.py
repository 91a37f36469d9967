"""A reviewer sets up an authenticator app at sign-in, then signs in with it."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_reviewer_sets_up_two_factor_signs_out_and_signs_in_with_a_code(page, team, reviewer):
    TOTPDevice.objects.filter(user=reviewer).delete()
    page.set_viewport_size({"width": 390, "height": 844})
    _password(page, "reviewer")

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_text("Your role requires two-factor sign-in.")).to_be_visible()
    qr_code = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr_code).to_be_visible()
    # Nothing is wider than a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Until it is set up, the rest of the portal is closed.
    page.goto("/teams/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()

    key = b32decode(page.get_by_label("Setup key").inner_text().replace(" ", ""))
    page.get_by_label("Authentication code").fill("123")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Enter the 6-digit code your app shows now.")).to_be_visible()
    page.get_by_label("Authentication code").fill(f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.get_by_role("list", name="Backup codes").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("link", name="I have saved my backup codes").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_text("On. You sign in with your password")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()

    _password(page, "reviewer")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Authentication code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    device = TOTPDevice.objects.get(user=reviewer)
    device.throttle_reset()  # django-otp makes the next try wait a second; not tested here
    page.get_by_label("Authentication code").fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("link", name="Review queue")).to_be_visible()
