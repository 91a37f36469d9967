import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_records_a_password_rotation_and_the_lead_sees_it_on_the_schedule(
    page, team, member, lead, tmp_path
):
    call_command("load_catalog", stdout=StringIO())
    make_checklist(team, lead, providers=("codepay",))
    record = tmp_path / "password-changes.txt"
    record.write_text("Merchant platform accounts: ops, finance, support. All changed today.\n")

    _sign_in(page, "member")
    page.get_by_role("link", name="Schedule").click()
    title = "Change merchant platform passwords every three months"
    rotation = page.get_by_role("link", name=title)
    expect(rotation).to_be_visible()
    rotation.click()
    page.get_by_label("Note").fill("Changed the password of every merchant platform account.")
    page.get_by_label("Evidence file").set_input_files(str(record))
    page.get_by_label("What the file shows").fill("Accounts and the day each was changed")
    page.get_by_role("button", name="Record as done").click()
    expect(page.get_by_text(re.compile(r"The next occurrence is due"))).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, "lead")
    page.get_by_role("link", name="Schedule").click()
    row = page.get_by_role("row").filter(has_text=title)
    next_due = (timezone.localdate() + timedelta(days=90)).isoformat()
    expect(row).to_contain_text("Upcoming")
    expect(row).to_contain_text(next_due)
    row.get_by_role("link").first.click()
    page.locator(".breadcrumbs").get_by_role("link", name=title).click()
    done = page.get_by_role("row").filter(has_text="password-changes.txt")
    expect(done).to_contain_text("member")
    expect(done.get_by_role("link", name="password-changes.txt")).to_be_visible()
