import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_signs_in_opens_the_team_and_signs_out(page, team, other_team, member, lead):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Teams")).to_be_visible()
    expect(page.get_by_role("link", name="Kopi Kita")).to_be_visible()
    expect(page.get_by_role("link", name="Ojek Cepat")).to_have_count(0)

    page.get_by_role("link", name="Kopi Kita").click()
    expect(page).to_have_url(re.compile(r"/teams/kopi-kita/$"))
    expect(page.get_by_role("heading", name="Kopi Kita")).to_be_visible()
    expect(page.get_by_role("cell", name="lead", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.goto("/teams/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/teams/$"))


def test_a_wrong_password_shows_an_error(page, member):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password"
    )


def test_a_member_browses_the_catalog(page, member):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_catalog", stdout=StringIO())
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Catalog").click()
    expect(page.get_by_role("heading", name="Control catalog")).to_be_visible()
    page.get_by_label("Provider").select_option("gopay")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name="GOPAY-1.2")).to_be_visible()
    expect(page.get_by_role("link", name="MIXPAY-1", exact=True)).to_have_count(0)

    page.get_by_role("link", name="GOPAY-1.2").click()
    expect(page.get_by_role("heading", name=re.compile(r"^GOPAY-1\.2: "))).to_be_visible()
    expect(
        page.get_by_role("heading", name="Equivalent controls at other providers")
    ).to_be_visible()
    page.get_by_role("link", name="A07:2021").first.click()
    expect(page.get_by_role("heading", name="A07:2021", exact=True)).to_be_visible()
    expect(
        page.get_by_text("Identification and Authentication Failures", exact=True)
    ).to_be_visible()

    page.goto("/catalog/providers/gopay/")
    expect(page.get_by_role("heading", name="Security incident contact")).to_be_visible()
