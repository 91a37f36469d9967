"""Everyone starts where their work is: a member on the team's home, a reviewer on the
reviewers' dashboard."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from checklists.models import Attestation
from portal.accounts import services as accounts
from portal.accounts.models import Role
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import answer, attestation_of, make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _look(page, tmp_path, name: str) -> None:
    """Full-page screenshots at both widths; on the phone nothing may be wider than it."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(tmp_path / f"{name}-{label}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_member_lands_on_the_team_home(page, catalog, team, lead, member, tmp_path):
    checklist = make_checklist(team, lead, providers=("gopay",))
    mine = attestation_of(checklist, "GOPAY-1.3")
    Attestation.objects.filter(pk=mine.pk).update(owner=member)
    answer(attestation_of(checklist, "GOPAY-1.2"), member, addresses_all=False)

    _sign_in(page, "member")

    expect(page).to_have_url(f"{page.url.split('/teams/')[0]}/teams/{team.slug}/home/")
    expect(page.get_by_role("heading", name="Kopi Kita", exact=True)).to_be_visible()
    progress = page.get_by_role("region", name="Checklist 2026-Q4")
    expect(progress.get_by_role("img", name="2026-Q4 progress by provider")).to_be_visible()
    expect(progress.get_by_role("img", name="2026-Q4 progress by category")).to_be_visible()
    expect(progress.get_by_text("1 of")).to_be_visible()
    todo = page.get_by_role("region", name="My work in this team")
    expect(todo.get_by_role("link", name="GOPAY-1.3")).to_be_visible()
    assert_accessible(page)
    _look(page, tmp_path, "team-home")

    todo.get_by_role("link", name="GOPAY-1.3").click()
    expect(page.get_by_role("heading", name="GOPAY-1.3")).to_be_visible()


def test_a_reviewer_lands_on_the_dashboard(page, catalog, team, lead, reviewer, tmp_path):
    make_checklist(team, lead, providers=("gopay",))

    _sign_in(page, "reviewer")

    assert page.url.endswith(reverse("checklists:posture_dashboard"))
    expect(page.get_by_role("heading", name="Where every team stands")).to_be_visible()
    _look(page, tmp_path, "reviewer-landing")


def test_someone_in_two_teams_picks_one(page, team, other_team, member, tmp_path):
    accounts.membership_add(team=other_team, user=member, role=Role.MEMBER)

    _sign_in(page, "member")

    expect(page.get_by_role("heading", name="Choose a team")).to_be_visible()
    assert_accessible(page)
    _look(page, tmp_path, "pick-team")
    page.get_by_role("link", name="Ojek Cepat").click()
    expect(page.get_by_role("heading", name="Ojek Cepat", exact=True)).to_be_visible()
    expect(page.get_by_text("The team has no checklist yet.")).to_be_visible()
    assert_accessible(page)


def test_someone_without_a_team_learns_how_to_join_one(page, nobody, tmp_path):
    _sign_in(page, "nobody")

    expect(page.get_by_role("heading", name="How to join a team")).to_be_visible()
    assert_accessible(page)
    _look(page, tmp_path, "no-team")
