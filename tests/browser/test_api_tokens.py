"""A lead gives the team's pipeline a service account and a token, sees the token once, and
revokes it; the API answers the token, then refuses it."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_smoke import _sign_in
from tests.conftest import add_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKEN_RE = re.compile(r"^cpt_[a-z0-9]{8}_[A-Za-z0-9]{40}$")


def _caller(page, token: str) -> tuple[int, dict]:
    """The API's answer to the token alone (a Bearer token is used before any session)."""
    response = page.request.get("/api/v1/me/", headers={"Authorization": f"Bearer {token}"})
    return response.status, response.json()


def test_a_lead_makes_a_service_account_token_and_sees_it_once(page, live_server, team, lead):
    add_authenticator(lead)  # signs in with a code from the app
    _sign_in(page, "lead")
    page.get_by_role("link", name="Kopi Kita").click()
    page.get_by_role("link", name="Service accounts and API tokens").click()

    add = page.get_by_role("form", name="Add a service account")
    add.get_by_label("Name").fill("ci-pipeline")
    add.get_by_role("button", name="Add the service account").click()
    expect(page.get_by_text("Service account ci-pipeline added.")).to_be_visible()

    make = page.get_by_role("form", name="Make a token for ci-pipeline")
    make.get_by_label("Name").fill("deploy")
    make.get_by_label("Read and write evidence").check()
    make.get_by_role("button", name="Make the token").click()

    expect(page.get_by_role("heading", name="Copy the new token now")).to_be_visible()
    expect(page.get_by_text("It is shown only this once.")).to_be_visible()
    shown = page.get_by_label("Token “deploy”")
    expect(shown).to_have_attribute("readonly", "")
    token = shown.input_value()
    assert TOKEN_RE.match(token), token

    status, caller = _caller(page, token)
    assert status == 200, caller
    assert "svc.kopi-kita.ci-pipeline" in json.dumps(caller)

    page.goto("/teams/kopi-kita/service-accounts/")  # back later: not shown again
    expect(page.get_by_role("heading", name="Copy the new token now")).to_have_count(0)
    assert token not in page.content()
    expect(page.get_by_role("cell", name=re.compile(r"deploy cpt_"))).to_be_visible()

    page.get_by_role("link", name=re.compile(r"^Revoke deploy")).click()
    expect(page.get_by_role("heading", name="Revoke the token “deploy”?")).to_be_visible()
    page.get_by_role("button", name="Revoke “deploy”").click()
    expect(
        page.get_by_text(re.compile(r"The token “deploy” \(cpt_\w+\) is revoked\."))
    ).to_be_visible()

    status, refusal = _caller(page, token)
    assert status == 401
    assert "revoked" in refusal["detail"]
