"""The checklist page in a browser: filtering, giving unowned controls an owner, on a phone."""

import re

import pytest
from playwright.sync_api import expect

from checklists.models import Attestation
from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"


def test_a_lead_gives_unowned_controls_an_owner_on_a_phone(page, catalog, team, lead, member):
    checklist = make_checklist(team, lead, providers=("mixpay",), asvs_level=1)
    Attestation.objects.filter(checklist=checklist, control__ref="MIXPAY-1").update(owner=lead)
    page.set_viewport_size(PHONE)
    _sign_in(page, "lead")

    page.goto("/todo/")
    _fits_the_screen(page)
    page.get_by_role("link", name="Kopi Kita 2026-Q4:").click()
    expect(page.get_by_label("Owner", exact=True)).to_have_value("none")
    _fits_the_screen(page)

    page.get_by_label("Provider").select_option("mixpay")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"\?q=&provider=mixpay&category=&state=&owner=none"))
    _fits_the_screen(page)
    unowned = checklist.attestations.filter(
        control__source__provider__slug="mixpay", owner__isnull=True
    ).count()
    expect(page.get_by_role("status").filter(has_text="Showing")).to_contain_text(
        f"Showing {unowned} of {checklist.attestations.count()} controls"
    )
    expect(page.get_by_role("link", name="MIXPAY-1", exact=True)).to_have_count(0)

    page.get_by_label("Select MIXPAY-2", exact=True).check()
    page.get_by_label("Select MIXPAY-3", exact=True).check()
    page.get_by_label("New owner").select_option("member")
    page.get_by_role("button", name="Assign owner").click()

    expect(page.get_by_text("member now owns 2 more controls.")).to_be_visible()
    # Back on the same filtered list: the two now have an owner, so they left it.
    expect(page.get_by_label("Provider")).to_have_value("mixpay")
    expect(page.get_by_label("Select MIXPAY-2", exact=True)).to_have_count(0)
    _fits_the_screen(page)

    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, "member")
    page.goto("/todo/")
    unanswered = page.get_by_role("region", name="Unanswered controls I own")
    expect(unanswered.get_by_role("link", name="MIXPAY-2")).to_be_visible()
    expect(unanswered.get_by_role("link", name="MIXPAY-3")).to_be_visible()
    expect(page.get_by_text("Controls nobody owns")).to_have_count(0)
    _fits_the_screen(page)


def test_the_checklist_pages_fit_a_phone(page, catalog, team, lead):
    checklist = make_checklist(team, lead, providers=("codepay", "gopay"), asvs_level=2)
    page.set_viewport_size(PHONE)
    _sign_in(page, "lead")
    for url in (
        f"/teams/{team.slug}/checklists/",
        checklist.get_absolute_url(),
        checklist.get_absolute_url() + "?provider=asvs&state=bogus&page=2",
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _fits_the_screen(page)
    page.goto(f"/teams/{team.slug}/checklists/")
    page.get_by_label("Period").fill("not a quarter")
    page.get_by_role("button", name="Create checklist").click()
    expect(page.locator(".field.has-error").first).to_be_visible()
    _fits_the_screen(page)
