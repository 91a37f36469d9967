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
