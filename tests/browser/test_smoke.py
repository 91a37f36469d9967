import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_signs_in_opens_the_team_and_signs_out(page, team, other_team, member, lead):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
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


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is not None:  # reviewers, auditors and admins give a second factor
        page.get_by_label("Authentication code").fill(totp_code(device))
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_member_answers_with_evidence_and_a_reviewer_approves(
    page, team, member, reviewer, tmp_path
):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_catalog", stdout=StringIO())
    evidence = tmp_path / "token-storage.md"
    evidence.write_text(
        "# Token storage\n\nThe client token lives in the vault; CI checks bundles.\n"
    )

    _sign_in(page, "member")
    page.get_by_role("link", name="Kopi Kita").click()
    page.get_by_role("link", name="Checklists").click()
    page.get_by_label("Period").fill("2026-Q4")
    page.get_by_label("GoPay").check()
    page.get_by_role("button", name="Create checklist").click()
    expect(page.get_by_text("Checklist 2026-Q4 created.")).to_be_visible()

    page.get_by_role("link", name="GOPAY-1.2", exact=True).click()
    page.get_by_label("Status").select_option("implemented")
    page.get_by_label("Statement").fill(
        "Only the back end holds the client token; bundles are scanned in CI."
    )
    page.get_by_role("button", name="Save answer").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()

    upload = page.get_by_role("form", name="Upload a file")
    upload.get_by_label("File").set_input_files(str(evidence))
    upload.get_by_label("Description").fill("Where the token is kept")
    upload.get_by_role("button", name="Upload").click()
    expect(
        page.get_by_text(re.compile(r"token-storage\.md uploaded \(SHA-256 [0-9a-f]{64}\)"))
    ).to_be_visible()
    # Edit and submit in one step: what was typed is what the reviewers get.
    page.get_by_label("Statement").fill(
        "Only the back end holds the client token; every release bundle is scanned in CI."
    )
    group_answer = page.get_by_label(re.compile("addresses every requirement listed above"))
    if group_answer.count():
        group_answer.check()
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, "reviewer")
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="GOPAY-1.2").click()
    expect(page.get_by_role("link", name="token-storage.md")).to_be_visible()
    expect(
        page.get_by_role("definition").filter(has_text="every release bundle is scanned")
    ).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Approve version")).click()
    expect(page.get_by_text("GOPAY-1.2 approved.")).to_be_visible()
    expect(page.get_by_text("Nothing awaits review.")).to_be_visible()


def test_a_secret_in_an_upload_is_refused_in_the_browser(page, team, member, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from checklists.models import Provider
    from checklists.services.checklists import checklist_create

    call_command("load_catalog", stdout=StringIO())
    checklist_create(
        team=team,
        period="2026-Q4",
        providers=list(Provider.objects.filter(slug="gopay")),
        by=member,
    )
    leaky = tmp_path / "app.env"
    leaky.write_text("MODE=prod\nAWS_ACCESS_KEY_ID=AKIAZ7QH4XKJ2M5TRW3N\n")
    _sign_in(page, "member")
    page.goto("/teams/kopi-kita/checklists/2026-Q4/GOPAY-1.3/")
    upload = page.get_by_role("form", name="Upload a file")
    upload.get_by_label("File").set_input_files(str(leaky))
    upload.get_by_label("Description").fill("Environment")
    upload.get_by_role("button", name="Upload").click()
    expect(page.get_by_text(re.compile("line 2 looks like an AWS access key"))).to_be_visible()
    expect(page.get_by_text("No evidence yet.")).to_be_visible()
