"""The API token pages: a person's own tokens, and a team's service accounts (leads only)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.api import tokens
from portal.api.models import ApiToken, Scope, ServiceAccount
from portal.audit.models import AuditEvent

PERSONAL = reverse("tokens:personal")
TOKEN_RE = re.compile(r"cpt_[a-z0-9]{8}_[A-Za-z0-9]{40}")


def team_page(team):
    return reverse("tokens:team", args=[team.slug])


def in_a_month():
    return (timezone.localdate() + timedelta(days=30)).isoformat()


def make_token(team, by, name="laptop script", **kw):
    return tokens.token_create(
        team=team,
        name=name,
        scope=kw.pop("scope", Scope.READ),
        expires_on=timezone.localdate() + timedelta(days=30),
        by=by,
        **kw,
    )


@pytest.fixture
def robot(team, lead):
    return tokens.service_account_create(team=team, name="ci-pipeline", by=lead)


# --- A person's own tokens ---------------------------------------------------------------


def test_it_needs_a_signed_in_person(client):
    response = client.get(PERSONAL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_account_security_page_links_to_it(client, member):
    client.force_login(member)
    assert f'href="{PERSONAL}"' in client.get(reverse("account_security")).content.decode()


def test_a_new_token_is_shown_once_and_never_cached(client, team, member):
    client.force_login(member)

    made = client.post(
        PERSONAL,
        {"name": "laptop script", "team": team.pk, "scope": "read", "expires_on": in_a_month()},
    )

    assert made.status_code == 201
    assert "no-store" in made["Cache-Control"]
    page = made.content.decode()
    shown = TOKEN_RE.findall(page)
    assert len(shown) == 1
    token = ApiToken.objects.get()
    assert (token.user, token.team, token.scope, token.name) == (
        member,
        team,
        "read",
        "laptop script",
    )
    assert tokens.token_for(shown[0], now=timezone.now()) == token
    assert "It is shown only this once." in page
    later = client.get(PERSONAL).content.decode()
    assert not TOKEN_RE.search(later)
    assert token.prefix in later and "laptop script" in later


def test_the_list_shows_prefix_scope_expiry_and_last_use(client, team, member):
    token, _ = make_token(team, member, scope=Scope.EVIDENCE_WRITE)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    client.force_login(member)
    page = client.get(PERSONAL).content.decode()
    works_until = timezone.localdate() + timedelta(days=30)
    assert token.prefix in page
    assert "Read and write evidence" in page
    assert tokens.day(works_until) in page
    assert "Never" not in page
    assert "Kopi Kita" in page


def test_a_refused_form_keeps_what_was_typed_and_says_why(client, team, member):
    client.force_login(member)
    too_late = (timezone.localdate() + timedelta(days=400)).isoformat()
    response = client.post(
        PERSONAL, {"name": "nightly", "team": team.pk, "scope": "read", "expires_on": too_late}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "A token works for at most a year" in page
    assert 'value="nightly"' in page
    assert not ApiToken.objects.exists()


def test_only_the_persons_own_teams_are_offered(client, team, other_team, member):
    client.force_login(member)
    response = client.post(
        PERSONAL,
        {"name": "sneaky", "team": other_team.pk, "scope": "read", "expires_on": in_a_month()},
    )
    assert response.status_code == 400
    assert "Ojek Cepat" not in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_person_sees_only_their_own_tokens(client, team, lead, member):
    make_token(team, lead, name="lead's own")
    client.force_login(member)
    assert "lead&#x27;s own" not in client.get(PERSONAL).content.decode()


def test_revoking_asks_first_then_revokes(client, team, member):
    token, _ = make_token(team, member)
    url = reverse("tokens:personal_revoke", args=[token.pk])
    client.force_login(member)

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Revoke the token “laptop script”?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None

    done = client.post(url, follow=True)
    assert "The token “laptop script”" in done.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.get(action="api.token.revoked").actor == member


def test_another_persons_token_answers_404(client, team, lead, member):
    token, _ = make_token(team, lead)
    url = reverse("tokens:personal_revoke", args=[token.pk])
    client.force_login(member)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- A team's service accounts -------------------------------------------------------------


def test_the_team_page_links_to_it_for_leads_only(client, team, lead, member):
    link = f'href="{team_page(team)}"'
    client.force_login(lead)
    assert link in client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    client.force_login(member)
    assert (
        link not in client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    )


def test_only_the_teams_leads_reach_it(client, team, member, outsider, reviewer, robot):
    for person in (member, outsider, reviewer):
        client.force_login(person)
        assert client.get(team_page(team)).status_code == 404
        add = client.post(
            reverse("tokens:service_account_create", args=[team.slug]), {"name": "x1"}
        )
        assert add.status_code == 404
        make = client.post(
            reverse("tokens:service_account_token_create", args=[team.slug, robot.pk]),
            {"account-1-name": "deploy"},
        )
        assert make.status_code == 404
    assert ServiceAccount.objects.count() == 1 and not ApiToken.objects.exists()


def test_a_lead_adds_a_service_account(client, team, lead):
    client.force_login(lead)
    response = client.post(
        reverse("tokens:service_account_create", args=[team.slug]), {"name": "ci-pipeline"}
    )
    assert response.status_code == 302
    page = client.get(team_page(team)).content.decode()
    assert "ci-pipeline" in page and "svc.kopi-kita.ci-pipeline" in page
    assert client.get(reverse("tokens:service_account_create", args=[team.slug])).status_code == 405


def test_a_bad_service_account_name_is_refused_beside_the_field(client, team, lead):
    client.force_login(lead)
    response = client.post(
        reverse("tokens:service_account_create", args=[team.slug]), {"name": "CI Pipeline!"}
    )
    assert response.status_code == 400
    assert "lower-case letters, digits and hyphens" in response.content.decode()
    assert not ServiceAccount.objects.exists()


def test_a_lead_makes_a_service_account_token_and_sees_it_once(client, team, lead, robot):
    client.force_login(lead)
    prefix = f"account-{robot.pk}"
    made = client.post(
        reverse("tokens:service_account_token_create", args=[team.slug, robot.pk]),
        {
            f"{prefix}-name": "deploy",
            f"{prefix}-scope": "evidence-write",
            f"{prefix}-expires_on": in_a_month(),
        },
    )
    assert made.status_code == 201
    assert "no-store" in made["Cache-Control"]
    shown = TOKEN_RE.findall(made.content.decode())
    assert len(shown) == 1
    token = tokens.token_for(shown[0], now=timezone.now())
    assert token.user == robot.user and token.scope == Scope.EVIDENCE_WRITE
    assert "service account ci-pipeline" in made.content.decode()
    assert not TOKEN_RE.search(client.get(team_page(team)).content.decode())


def test_another_teams_service_account_answers_404(client, team, other_team, lead, outsider):
    theirs = tokens.service_account_create(team=other_team, name="scanner", by=outsider)
    client.force_login(lead)
    response = client.post(
        reverse("tokens:service_account_token_create", args=[team.slug, theirs.pk]),
        {f"account-{theirs.pk}-name": "x", f"account-{theirs.pk}-scope": "read"},
    )
    assert response.status_code == 404


def test_a_lead_sees_and_revokes_the_teams_tokens_but_not_other_teams(
    client, team, other_team, lead, member, outsider, robot
):
    members, _ = make_token(team, member, name="member script")
    robots, _ = make_token(team, lead, name="deploy", service_account=robot)
    theirs, _ = make_token(other_team, outsider, name="their script")
    client.force_login(lead)

    page = client.get(team_page(team)).content.decode()
    assert members.prefix in page and robots.prefix in page and theirs.prefix not in page

    assert (
        client.post(reverse("tokens:team_revoke", args=[team.slug, members.pk])).status_code == 302
    )
    members.refresh_from_db()
    assert members.revoked_by == lead
    other = reverse("tokens:team_revoke", args=[team.slug, theirs.pk])
    assert client.get(other).status_code == client.post(other).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_team_page_costs_the_same_queries_for_more_tokens(client, team, lead, member, robot):
    make_token(team, lead, name="deploy", service_account=robot)
    client.force_login(lead)
    client.get(team_page(team))
    with CaptureQueriesContext(connection) as few:
        client.get(team_page(team))
    second = tokens.service_account_create(team=team, name="scanner", by=lead)
    for number in range(3):
        make_token(team, lead, name=f"scan {number}", service_account=second)
        make_token(team, member, name=f"script {number}")
    with CaptureQueriesContext(connection) as many:
        client.get(team_page(team))
    assert len(many) == len(few)


def test_an_admin_can_revoke_tokens_from_the_django_admin(admin_client, team, member):
    token, _ = make_token(team, member)
    changelist = reverse("admin:api_apitoken_changelist")
    page = admin_client.get(changelist).content.decode()
    assert token.prefix in page and token.digest not in page
    admin_client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.get(action="api.token.revoked").actor.username == "admin"
    assert admin_client.get(reverse("admin:api_apitoken_add")).status_code == 403
