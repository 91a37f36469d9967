"""Every endpoint for every kind of caller: who reads, who writes, who gets 401, 403 or 404.

Each caller walks every endpoint of the team (reads first, then the two writes), and the
endpoints of another team, which must answer 404 without saying whether the object exists.
"""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import Evidence
from tests.api.conftest import REF, TEXT, bearer
from tests.conftest import VerifiedClient

READS = (
    "team_detail",
    "team_due",
    "checklist_list",
    "checklist_detail",
    "answer_list",
    "answer_detail",
    "answer_evidence",
    "occurrence_detail",
    "report_list",
    "report_download",
)
WRITES = ("answer_upload", "occurrence_completion")
ENDPOINTS = READS + WRITES

ALL_READS = dict.fromkeys(READS, 200)
# Members answer but do not export reports: the reports answer 404 to their session (as the
# pages do), and 403 to their tokens (their own team: nothing to hide).
MEMBER_READS = {**ALL_READS, "report_list": 404, "report_download": 404}
WRITES_OK = {"answer_upload": 201, "occurrence_completion": 200}
NO_WRITES = {"answer_upload": 404, "occurrence_completion": 404}
EVERYWHERE = {"caller": 200, "team_list": 200}


def everything(status: int) -> dict[str, int]:
    return {"caller": status, "team_list": status, **dict.fromkeys(ENDPOINTS, status)}


# caller -> what each endpoint of the team answers it (the other team's always answer 404).
EXPECTED = {
    "anonymous": everything(401),
    "expired token": everything(401),
    "revoked token": everything(401),
    "member": {**EVERYWHERE, **MEMBER_READS, **WRITES_OK},
    "lead": {**EVERYWHERE, **ALL_READS, **WRITES_OK},
    "other team's member": {**EVERYWHERE, **dict.fromkeys(ENDPOINTS, 404)},
    "reviewer": {**EVERYWHERE, **ALL_READS, **NO_WRITES},
    "auditor": {**EVERYWHERE, **ALL_READS, **NO_WRITES},
    # the lead's token with the read scope: reads everything the lead reads, writes nothing
    "read token": {
        **EVERYWHERE,
        **ALL_READS,
        "answer_upload": 403,
        "occurrence_completion": 403,
    },
    # the member's token with the evidence-write scope
    "write token": {
        **EVERYWHERE,
        **ALL_READS,
        "report_list": 403,
        "report_download": 403,
        **WRITES_OK,
    },
    "service-account token": {
        **EVERYWHERE,
        **ALL_READS,
        "report_list": 403,
        "report_download": 403,
        **WRITES_OK,
    },
    "other team's token": {**EVERYWHERE, **dict.fromkeys(ENDPOINTS, 404)},
}

OF_THE_OTHER_TEAM = ("other team's member", "other team's token")

SESSIONS = {
    "member": "member",
    "lead": "lead",
    "other team's member": "other_member",
    "reviewer": "reviewer",
    "auditor": "auditor",
}
TOKENS = {
    "read token": "read",
    "write token": "write",
    "service-account token": "service",
    "expired token": "expired",
    "revoked token": "revoked",
    "other team's token": "other_team",
}


NO_TEAM = SimpleNamespace(slug="no-such-team")
NO_OBJECT = SimpleNamespace(pk=999_999)


def _urls(team, period, occurrence, report) -> dict[str, str]:
    answer = [team.slug, period, REF]
    return {
        "caller": reverse("api:caller"),
        "team_list": reverse("api:team_list"),
        "team_detail": reverse("api:team_detail", args=[team.slug]),
        "team_due": reverse("api:team_due", args=[team.slug]),
        "checklist_list": reverse("api:checklist_list", args=[team.slug]),
        "checklist_detail": reverse("api:checklist_detail", args=[team.slug, period]),
        "answer_list": reverse("api:answer_list", args=[team.slug, period]),
        "answer_detail": reverse("api:answer_detail", args=answer),
        "answer_evidence": reverse("api:answer_evidence", args=answer),
        "answer_upload": reverse("api:answer_evidence", args=answer),
        "occurrence_detail": reverse("api:occurrence_detail", args=[team.slug, occurrence.pk]),
        "occurrence_completion": reverse(
            "api:occurrence_completion", args=[team.slug, occurrence.pk]
        ),
        "report_list": reverse("api:report_list", args=[team.slug]),
        "report_download": reverse("api:report_download", args=[team.slug, report.pk]),
    }


def _call(client, name: str, url: str, headers: dict):
    if name == "answer_upload":
        data = {"file": SimpleUploadedFile("tls.txt", TEXT), "description": "TLS settings"}
        return client.post(url, data, **headers)
    if name == "occurrence_completion":
        data = {
            "note": "Rules reviewed",
            "file": SimpleUploadedFile("rules.txt", TEXT),
            "description": "Firewall export",
        }
        return client.post(url, data, **headers)
    return client.get(url, **headers)


@pytest.fixture
def other_report(other_checklist, other_team, outsider, period):
    from tests.api.conftest import signed_report

    return signed_report(other_team, outsider, period)


@pytest.mark.parametrize("caller", sorted(EXPECTED))
def test_each_endpoint_answers_each_caller_as_its_role_allows(
    request,
    caller,
    api_tokens,
    team,
    other_team,
    period,
    occurrence,
    other_occurrence,
    report,
    other_report,
):
    client, headers = VerifiedClient(), {}
    if caller in SESSIONS:
        client.force_login(request.getfixturevalue(SESSIONS[caller]))
    elif caller in TOKENS:
        headers = bearer(getattr(api_tokens, TOKENS[caller]))
    expected = EXPECTED[caller]
    own = _urls(team, period, occurrence, report)
    others = _urls(other_team, period, other_occurrence, other_report)
    found = {name: _call(client, name, url, headers).status_code for name, url in own.items()}
    assert found == expected
    if expected["caller"] != 200 or caller in OF_THE_OTHER_TEAM:
        return
    foreign = {
        name: _call(client, name, url, headers).status_code
        for name, url in others.items()
        if name not in EVERYWHERE
    }
    if caller in ("reviewer", "auditor"):  # they see every team
        assert foreign == {name: expected[name] for name in foreign}
        return
    nowhere = {
        name: _call(client, name, url, headers).status_code
        for name, url in _urls(NO_TEAM, period, NO_OBJECT, NO_OBJECT).items()
        if name not in EVERYWHERE
    }
    assert foreign == nowhere  # nothing tells another team's objects from none at all
    assert {foreign[name] for name in READS} == {404}


def test_refusals_say_why_in_one_json_shape(token_client, api_tokens, team, period, checklist):
    upload = reverse("api:answer_evidence", args=[team.slug, period, REF])
    data = {"file": SimpleUploadedFile("tls.txt", TEXT), "description": "TLS settings"}

    read_only = token_client.post(upload, data, **bearer(api_tokens.read))
    assert read_only.status_code == 403
    assert read_only.json() == {
        "detail": "This API token has the read scope: it can read but not change anything. "
        "Use a token with the evidence-write scope.",
        "code": "permission_denied",
    }
    revoked = token_client.get(reverse("api:team_list"), **bearer(api_tokens.revoked))
    assert revoked.status_code == 401 and revoked["WWW-Authenticate"] == "Bearer"
    assert "was revoked" in revoked.json()["detail"]
    expired = token_client.get(reverse("api:team_list"), **bearer(api_tokens.expired))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    anonymous = token_client.get(reverse("api:team_list"))
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    missing = token_client.get(
        reverse("api:answer_detail", args=[team.slug, period, "GOPAY-99.9"]),
        **bearer(api_tokens.write),
    )
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"No control GOPAY-99.9 in the {period} checklist of {team}."
    assert not Evidence.objects.exists()


def test_a_token_lists_only_its_own_team(token_client, api_tokens, team, other_team, reviewer):
    listed = token_client.get(reverse("api:team_list"), **bearer(api_tokens.read)).json()
    assert [row["slug"] for row in listed["results"]] == [team.slug]
    client = VerifiedClient()
    client.force_login(reviewer)
    every = client.get(reverse("api:team_list")).json()
    assert {row["slug"] for row in every["results"]} == {team.slug, other_team.slug}
