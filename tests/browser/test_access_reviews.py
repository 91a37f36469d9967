import re

import pytest
from playwright.sync_api import expect

from checklists.models import AccessReview, CampaignState
from tests.browser.test_smoke import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROSTER = """account,person,email,role,privileged,mfa,last_login,created
ayu.lestari,Ayu Lestari,{member_email},operator,no,yes,{recent},2025-01-10
ops,,,administrator,yes,no,{recent},2024-03-01
"""


def _decide(page, account, decision, reason=""):
    entry = page.get_by_role("article", name=account)
    entry.get_by_label("Decision").select_option(decision)
    if reason:
        entry.get_by_label("Reason").fill(reason)
    entry.get_by_role("button", name=re.compile("^Decide")).click()
    expect(page.get_by_text(f"{account}: {decision} recorded.")).to_be_visible()


def test_a_lead_imports_a_roster_a_reviewer_decides_and_the_campaign_completes(
    page, team, lead, member, reviewer, tmp_path
):
    from django.utils import timezone

    roster = tmp_path / "operators.csv"
    roster.write_text(
        ROSTER.format(member_email=member.email, recent=timezone.localdate().isoformat())
    )

    _sign_in(page, "lead")
    page.get_by_role("link", name="Kopi Kita").click()
    page.get_by_role("link", name="Access reviews").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("System").fill("CodePay merchant platform")
    page.get_by_label("Quarter").fill("2026-Q4")
    page.get_by_role("button", name="Create campaign").click()
    page.get_by_label("Roster (CSV)").set_input_files(str(roster))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text(re.compile(r"Imported 2 accounts"))).to_be_visible()
    expect(page.get_by_role("article", name="ops")).to_contain_text("Shared or generic account")
    page.get_by_role("button", name="Start the review").click()
    expect(page.get_by_text(re.compile("its roster is frozen"))).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, "reviewer")
    page.goto(AccessReview.objects.get().get_absolute_url())
    _decide(page, "ayu.lestari", "keep")
    _decide(page, "ops", "revoke", "Shared administrator without MFA.")
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, "lead")
    page.get_by_role("link", name="My to-do").click()
    page.get_by_role("link", name="ops", exact=True).click()
    entry = page.get_by_role("article", name="ops")
    entry.get_by_label("What was done").fill("Disabled on the platform; ticket OPS-311.")
    entry.get_by_role("button", name="Confirm carried out").click()
    expect(page.get_by_text("ops: confirmed done on the system.")).to_be_visible()
    page.get_by_role("button", name="Complete the review").click()
    expect(page.get_by_text(re.compile("completed; the obligation"))).to_be_visible()
    review = AccessReview.objects.get()
    assert review.state == CampaignState.COMPLETED
    assert review.occurrence is not None and review.occurrence.done_at is not None
