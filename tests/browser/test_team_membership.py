"""A lead brings a new person in by invitation and takes someone out after confirming."""

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Membership
from tests.browser.test_smoke import _sign_in
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_invites_a_new_person_who_accepts(page, live_server, team, lead, mailoutbox):
    newcomer = make_user("newcomer", first_name="Nadia", last_name="Putri")

    _sign_in(page, "lead")
    page.get_by_role("link", name="Kopi Kita").click()
    invite = page.get_by_role("form", name="Invite someone")
    invite.get_by_label("E-mail address").fill("not-an-address")
    invite.get_by_label("Role").select_option("lead")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(invite.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(invite.get_by_label("E-mail address")).to_have_value("not-an-address")
    expect(invite.get_by_label("Role")).to_have_value("lead")
    invite.get_by_label("E-mail address").fill("newcomer@example.com")
    invite.get_by_label("Role").select_option("member")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to newcomer@example.com.")).to_be_visible()
    expect(page.get_by_text("newcomer@example.com", exact=True)).to_be_visible()
    expect(
        page.get_by_role("button", name="Withdraw the invitation to newcomer@example.com")
    ).to_be_visible()

    (message,) = mailoutbox
    assert message.to == ["newcomer@example.com"]
    link = re.search(r"https?://\S+/teams/invitations/[\w-]+/", message.body)[0]
    path = link[link.index("/teams/") :]

    invitee = page.context.browser.new_context(base_url=live_server.url).new_page()
    invitee.goto(path)  # signed out: the sign-in page, then back to the invitation
    invitee.get_by_label("Username").fill("newcomer")
    invitee.get_by_label("Password").fill(PASSWORD)
    invitee.get_by_role("button", name="Sign in").click()
    expect(invitee.get_by_role("heading", name="Join Kopi Kita")).to_be_visible()
    expect(invitee.get_by_text("as Member")).to_be_visible()
    invitee.get_by_role("button", name="Accept and join Kopi Kita").click()
    expect(invitee.get_by_text("You joined Kopi Kita as Member.")).to_be_visible()
    expect(invitee.get_by_role("cell", name="Nadia Putri")).to_be_visible()
    invitee.goto(path)
    expect(invitee.get_by_text("This invitation has already been used.")).to_be_visible()
    invitee.context.close()

    page.reload()
    expect(page.get_by_role("cell", name="Nadia Putri")).to_be_visible()
    expect(page.get_by_text("No invitations are waiting for an answer.")).to_be_visible()
    assert Membership.objects.filter(user=newcomer, team=team).exists()


def test_a_lead_removes_a_member_after_confirming(page, team, lead, member):
    _sign_in(page, "lead")
    page.get_by_role("link", name="Kopi Kita").click()
    page.get_by_role("link", name="Remove member…").click()
    expect(page.get_by_role("heading", name="Remove member from Kopi Kita?")).to_be_visible()
    expect(page.get_by_text("member@example.com")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Kopi Kita")).to_be_visible()
    assert Membership.objects.filter(user=member, team=team).exists()

    page.get_by_role("link", name="Remove member…").click()
    page.get_by_role("button", name="Remove member from Kopi Kita").click()
    expect(page.get_by_text("member left Kopi Kita.")).to_be_visible()
    expect(page.get_by_role("link", name="Remove member…")).to_have_count(0)
    assert not Membership.objects.filter(user=member, team=team).exists()
