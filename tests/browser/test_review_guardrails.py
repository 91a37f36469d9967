import re

import pytest
from playwright.sync_api import expect

from checklists.models import AnswerStatus, Attestation, ReviewState
from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import answer, attestation_of, make_checklist, submit
from tests.checklists.evidence.conftest import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_explains_approving_a_partial_answer_without_evidence(
    page, catalog, team, lead, member, reviewer
):
    checklist = make_checklist(team, lead, providers=("gopay",))
    item = attestation_of(checklist, "GOPAY-1.2")
    answer(
        item,
        member,
        status=AnswerStatus.PARTIAL,
        statement="The mobile app no longer holds the token; the web app still does.",
        justification="The web app moves to the back end in January.",
    )
    submit(item, member)

    _sign_in(page, "reviewer")
    page.get_by_role("link", name="Review queue").click()
    row = page.get_by_role("row").filter(has_text="GOPAY-1.2")
    expect(row).to_contain_text("Partially implemented")
    expect(row).to_contain_text("member")
    row.get_by_role("link", name="GOPAY-1.2").click()

    comment = page.get_by_label("Comment (required)")
    expect(comment).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Approve version")).click()
    error = page.locator("#review_comment_error")
    expect(error).to_contain_text("A comment is required to approve it")
    expect(comment).to_have_attribute("aria-describedby", re.compile(r"review_comment_error"))
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.SUBMITTED

    page.get_by_label("Comment (required)").fill(
        "Accepted until January: the web app is behind the WAF rule that strips the token."
    )
    page.get_by_role("button", name=re.compile(r"^Approve version")).click()
    expect(page.get_by_text("Kopi Kita 2026-Q4 GOPAY-1.2 approved.")).to_be_visible()
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.APPROVED


def test_a_reviewer_previews_an_image_evidence(
    page, catalog, team, lead, member, reviewer, tmp_path
):
    checklist = make_checklist(team, lead, providers=("gopay",))
    screenshot = tmp_path / "vault-policy.png"
    screenshot.write_bytes(png_bytes(64, 32))

    _sign_in(page, "member")
    page.goto(attestation_of(checklist, "GOPAY-1.2").get_absolute_url())
    upload = page.get_by_role("form", name="Upload a file")
    upload.get_by_label("File").set_input_files(str(screenshot))
    upload.get_by_label("Description").fill("Vault policy screen")
    upload.get_by_role("button", name="Upload").click()
    expect(page.get_by_text(re.compile(r"vault-policy\.png uploaded"))).to_be_visible()

    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, "reviewer")
    page.goto(attestation_of(checklist, "GOPAY-1.2").get_absolute_url())
    row = page.get_by_role("row").filter(has_text="vault-policy.png")
    row.get_by_role("link", name="Preview").click()
    image = page.get_by_role("img", name="Vault policy screen")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("naturalWidth", 64)
