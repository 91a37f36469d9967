"""A member answers and submits a control and a reviewer approves it with the keyboard only:
Tab to move, Enter and Space to act, typing to fill in. Every element the walk lands on must
show where the focus is."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import make_checklist
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 200

FOCUS_SHOWN = """el => {
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return outline || style.boxShadow !== "none";
}"""


def focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator) -> None:
    """Press Tab until `locator` has the focus, and check the focus can be seen there."""
    locator = locator.first
    expect(locator).to_be_attached()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused(locator):
            assert locator.evaluate(FOCUS_SHOWN), f"no visible focus on {locator}"
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {locator}")


def test_the_skip_link_is_the_first_stop_and_moves_to_the_content(page, member):
    _sign_in(page, "member")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert focused(skip)
    assert skip.evaluate(FOCUS_SHOWN)
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off-screen"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")
    # Past the header: the next stop is the first link of the page's content.
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_a_member_submits_and_a_reviewer_approves_with_the_keyboard_only(
    page, catalog, team, lead, member, reviewer
):
    make_checklist(team, lead, providers=("gopay",))

    page.goto("/accounts/login/")
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type("member")
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Kopi Kita"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Checklists", exact=True))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="2026-Q4"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="GOPAY-1.2", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^GOPAY-1\.2"))).to_be_visible()

    status = page.get_by_label("Status")
    tab_to(page, status)
    page.keyboard.type("Implemented")
    expect(status).to_have_value("implemented")
    tab_to(page, page.get_by_label("Statement"))
    page.keyboard.type("Only the back end holds the client token; bundles are scanned in CI.")
    group_answer = page.get_by_label(re.compile("addresses every requirement listed above"))
    if group_answer.count():
        tab_to(page, group_answer)
        page.keyboard.press("Space")
        expect(group_answer).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save and submit for review"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Sign out"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()

    _sign_in(page, "reviewer")
    tab_to(page, page.get_by_role("link", name="Review queue"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="GOPAY-1.2", exact=True))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Approve version")))
    page.keyboard.press("Enter")
    expect(page.get_by_text("GOPAY-1.2 approved.")).to_be_visible()
