"""Rate limits: a clear 429 with Retry-After, per token, per person, and for refused tokens
per address (portal/api/throttles.py)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import include, path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import tokens
from portal.api.models import Scope

pytestmark = pytest.mark.urls(__name__)


class Caller(APIView):
    def get(self, request):
        return Response({"user": request.user.get_username()})


urlpatterns = [
    path("api-under-test/me", Caller.as_view()),
    path("", include("portal.urls")),
]


@pytest.fixture(autouse=True)
def _low_limits(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "api_token": "3/minute",
            "api_user": "2/minute",
            "api_anon": "2/minute",
            "api_refused_token": "2/minute",
        },
    }
    yield
    cache.clear()


def make_token(team, by, name="CI upload"):
    return tokens.token_create(
        team=team,
        name=name,
        scope=Scope.READ,
        expires_on=timezone.localdate() + timedelta(days=30),
        by=by,
    )[1]


def call(client, plaintext=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"} if plaintext else {}
    return client.get("/api-under-test/me", **headers)


def test_over_the_token_limit_the_answer_is_a_clear_429_with_retry_after(client, team, member):
    plaintext = make_token(team, member)
    assert [call(client, plaintext).status_code for _ in range(3)] == [200, 200, 200]

    refused = call(client, plaintext)

    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    assert refused.json()["detail"] == (
        "Too many requests with this API token: the limit is 3 per minute. "
        f"Try again in {wait} second{'s' if wait != 1 else ''}."
    )
    assert refused.json()["code"] == "throttled"


def test_each_token_has_its_own_count(client, team, member):
    busy, quiet = make_token(team, member, "busy"), make_token(team, member, "quiet")
    for _ in range(3):
        call(client, busy)
    assert call(client, busy).status_code == 429
    assert call(client, quiet).status_code == 200


def test_the_count_starts_again_after_the_window(client, team, member, monkeypatch):
    plaintext = make_token(team, member)
    for _ in range(3):
        call(client, plaintext)
    assert call(client, plaintext).status_code == 429

    import time

    later = time.time() + 61
    monkeypatch.setattr("portal.api.throttles._Limit.timer", lambda self: later)
    assert call(client, plaintext).status_code == 200


def test_signed_in_people_are_counted_per_person(client, member):
    client.force_login(member)
    assert [call(client).status_code for _ in range(2)] == [200, 200]
    refused = call(client)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many requests from your account")
    assert int(refused["Retry-After"]) >= 1


def test_refused_tokens_slow_the_address_down_before_any_lookup(client, team, member):
    good = make_token(team, member)
    wrong = "cpt_unknown1_" + "a" * 40
    assert [call(client, wrong).status_code for _ in range(2)] == [401, 401]

    refused = call(client, wrong)
    assert refused.status_code == 429
    assert "with refused API tokens from this address" in refused.json()["detail"]
    assert int(refused["Retry-After"]) >= 1
    # The address waits out the window, whatever it sends next.
    assert call(client, good).status_code == 429
    other_address = client.get(
        "/api-under-test/me", HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="10.0.0.9"
    )
    assert other_address.status_code == 200


def test_limits_come_from_the_settings(settings):
    from portal.api.throttles import TokenRateThrottle

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "7/minute"},
    }
    assert (TokenRateThrottle().num_requests, TokenRateThrottle().duration) == (7, 60)


def _settings_with(tmp_path, **env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PORTAL_DATA_DIR", "DATABASE_URL"}
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['api_token'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_LOCAL_ENV": "",
            "DEBUG": "true",
            "PORTAL_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_token_limit_is_read_from_the_environment(tmp_path):
    assert _settings_with(tmp_path, API_TOKEN_RATE_PER_MINUTE="42").stdout.strip() == "42/minute"
    broken = _settings_with(tmp_path, API_TOKEN_RATE_PER_MINUTE="lots")
    assert broken.returncode != 0
    assert "API_TOKEN_RATE_PER_MINUTE='lots' is not an integer" in broken.stderr
