"""Bearer tokens on API requests: who they act as, what they reach, what is recorded, and
how the session, two-factor sign-in and CSRF rules treat them. Two small views stand in for
the API's endpoints, using the same authentication, scopes and team look-up."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import services as accounts
from portal.api import tokens
from portal.api.access import EvidenceWriteScope, ReadScope, api_team_or_404
from portal.api.models import ApiToken, Scope
from portal.audit import services as audit
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.urls(__name__)


class TeamRead(APIView):
    permission_classes = APIView.permission_classes + [ReadScope]

    def get(self, request, slug):
        team = api_team_or_404(request, slug)
        return Response({"team": team.slug, "user": request.user.get_username()})


class TeamWrite(APIView):
    permission_classes = APIView.permission_classes + [EvidenceWriteScope]

    def post(self, request, slug):
        team = api_team_or_404(request, slug, "attest_team")
        audit.record("tests.evidence.added", actor=request.user, team=team)
        return Response({"written": True}, status=201)


urlpatterns = [
    path("api-under-test/teams/<slug:slug>/", TeamRead.as_view()),
    path("api-under-test/teams/<slug:slug>/write", TeamWrite.as_view()),
    path("", include("portal.urls")),
]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_token(team, by, scope=Scope.EVIDENCE_WRITE, **kw):
    return tokens.token_create(
        team=team,
        name=kw.pop("name", "CI upload"),
        scope=scope,
        expires_on=timezone.localdate() + timedelta(days=30),
        by=by,
        **kw,
    )


def bearer(plaintext: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def read(client, team, plaintext, query=""):
    return client.get(f"/api-under-test/teams/{team.slug}/{query}", **bearer(plaintext))


def write(client, team, plaintext):
    return client.post(f"/api-under-test/teams/{team.slug}/write", **bearer(plaintext))


def test_a_token_acts_as_its_person_on_its_team(client, team, member):
    _, plaintext = make_token(team, member)
    response = read(client, team, plaintext)
    assert response.status_code == 200
    assert response.json() == {"team": team.slug, "user": "member"}


def test_each_use_is_recorded_with_method_and_path_but_never_the_query(client, team, member):
    token, plaintext = make_token(team, member)

    read(client, team, plaintext, query="?access_token=sekrit")

    event = AuditEvent.objects.get(action="api.token.used")
    assert event.changes == {"method": "GET", "path": f"/api-under-test/teams/{team.slug}/"}
    assert (event.actor, event.team_id, event.object_id) == (member, team.pk, str(token.pk))
    assert event.actor_label == f"CI upload (API token {token.prefix} of member)"
    assert "sekrit" not in str(event.changes)


def test_every_event_of_the_request_names_the_token(client, team, member):
    token, plaintext = make_token(team, member)

    assert write(client, team, plaintext).status_code == 201

    written = AuditEvent.objects.get(action="tests.evidence.added")
    assert written.actor == member
    assert written.actor_label == token.actor_label
    # and only that request's: the next event, outside any request, names nobody
    audit.record("tests.outside.request")
    assert AuditEvent.objects.get(action="tests.outside.request").actor_label == ""


def test_last_used_is_written_at_most_once_a_minute(client, team, member):
    token, plaintext = make_token(team, member)
    read(client, team, plaintext)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    read(client, team, plaintext)
    token.refresh_from_db()
    assert token.last_used_at == first
    assert AuditEvent.objects.filter(action="api.token.used").count() == 2

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    read(client, team, plaintext)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_without_credentials_the_answer_is_401_asking_for_a_bearer_token(client, team):
    response = client.get(f"/api-under-test/teams/{team.slug}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def _revoked(token, by):
    tokens.token_revoke(token=token, by=by)


def _expired(token, by):
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def _deactivated(token, by):
    by.is_active = False
    by.save()


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_revoked, "was revoked"),
        (_expired, "expired at the end of"),
        (_deactivated, "is deactivated"),
    ],
)
def test_a_revoked_expired_or_orphaned_token_gets_401_and_is_recorded(
    client, team, member, spoil, message
):
    token, plaintext = make_token(team, member)
    spoil(token, member)

    response = read(client, team, plaintext)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert message in response.json()["detail"]
    assert plaintext not in response.content.decode()
    refused = AuditEvent.objects.get(action="api.token.refused")
    assert refused.object_id == str(token.pk) and message in refused.reason
    assert not AuditEvent.objects.filter(action="api.token.used").exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cpt_unknown1_" + "a" * 40,
        "Bearer not-a-token",
        "Bearer",
        "Bearer two parts",
    ],
)
def test_an_unknown_or_malformed_token_gets_401(client, team, header):
    response = client.get(f"/api-under-test/teams/{team.slug}/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"] in (
        tokens.NOT_VALID,
        "Send the token as the header “Authorization: Bearer <token>”.",
    )


def test_a_wrong_secret_for_a_known_token_is_recorded_against_it(client, team, member):
    token, plaintext = make_token(team, member)
    wrong = plaintext[:-4] + ("zzzz" if not plaintext.endswith("zzzz") else "yyyy")
    assert read(client, team, wrong).status_code == 401
    assert AuditEvent.objects.get(action="api.token.refused").object_id == str(token.pk)


def test_another_teams_objects_answer_404(client, team, other_team, member):
    _, plaintext = make_token(team, member)
    other = read(client, other_team, plaintext)
    missing = client.get("/api-under-test/teams/no-such-team/", **bearer(plaintext))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def test_a_token_reaches_only_its_own_team_even_for_a_reviewer(client, team, other_team, auditor):
    _, plaintext = make_token(team, auditor, scope=Scope.READ)
    assert read(client, team, plaintext).status_code == 200
    assert read(client, other_team, plaintext).status_code == 404


def test_a_persons_token_stops_reaching_a_team_they_left(client, team, member, lead):
    _, plaintext = make_token(team, member)
    accounts.membership_remove(membership=member.memberships.get(team=team), by=lead)
    assert read(client, team, plaintext).status_code == 404


def test_a_read_token_cannot_write(client, team, member):
    _, plaintext = make_token(team, member, scope=Scope.READ)

    response = write(client, team, plaintext)

    assert response.status_code == 403
    assert "read scope" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="tests.evidence.added").exists()
    assert read(client, team, plaintext).status_code == 200


def test_an_evidence_write_token_writes_without_a_csrf_token(team, member):
    _, plaintext = make_token(team, member)
    client = Client(enforce_csrf_checks=True)
    assert write(client, team, plaintext).status_code == 201


def test_a_session_user_of_the_api_still_needs_csrf_to_write(team, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(f"/api-under-test/teams/{team.slug}/").status_code == 200
    assert client.post(f"/api-under-test/teams/{team.slug}/write").status_code == 403


def test_a_session_user_must_finish_two_factor_sign_in_first(team, auditor):
    half_signed_in = Client()
    half_signed_in.force_login(auditor)  # password only: no code given yet

    response = half_signed_in.get(f"/api-under-test/teams/{team.slug}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")


def test_a_verified_session_user_reads_like_on_the_pages(client, team, other_team, member):
    client.force_login(member)
    assert client.get(f"/api-under-test/teams/{team.slug}/").json()["user"] == "member"
    assert client.get(f"/api-under-test/teams/{other_team.slug}/").status_code == 404
