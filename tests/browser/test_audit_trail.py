import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_finds_a_review_and_follows_it_to_the_answer(
    page, catalog, team, other_team, lead, outsider, member, reviewer, auditor
):
    ours = attestation_of(make_checklist(team, lead), "GOPAY-3.1")
    answer(ours, member)
    submit(ours, member)
    approve(ours, reviewer)
    theirs = attestation_of(make_checklist(other_team, outsider), "GOPAY-3.1")
    answer(theirs, outsider)
    submit(theirs, outsider)
    approve(theirs, reviewer)

    _sign_in(page, "auditor")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Latest signed checkpoint")).to_be_visible()
    page.get_by_label("Team").select_option(label="Kopi Kita")
    page.get_by_label("What happened").select_option(label="Reviews")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"team=kopi-kita.*what=reviews"))
    events = page.locator("table.audit-events tbody tr")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("GOPAY-3.1 in Kopi Kita 2026-Q4")
    expect(page.locator("table.audit-events")).not_to_contain_text("Ojek Cepat")

    events.first.get_by_role("link", name="Answer approved").click()
    expect(page.get_by_role("heading", name="Answer approved")).to_be_visible()
    page.get_by_role("link", name="GOPAY-3.1 in Kopi Kita 2026-Q4").click()
    expect(page).to_have_url(re.compile(r"/teams/kopi-kita/checklists/2026-Q4/.*GOPAY-3\.1"))
    expect(page.get_by_role("heading", name=re.compile("GOPAY-3.1"))).to_be_visible()


def test_the_audit_trail_fits_a_phone(page, team, lead, auditor):
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, "auditor")
    page.goto("/audit/")
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="Team created").first.click()
    expect(page.get_by_role("heading", name="Team created")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
