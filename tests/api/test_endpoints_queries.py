"""Every list the API answers costs the same number of queries whatever its length: each is
read at two sizes within one budget (the budget counts the token's look-up and the audit
event of its use, which every request with a token costs)."""

import pytest
from django.urls import reverse

from checklists.models import Occurrence
from portal.accounts import services as accounts
from tests.api.conftest import REF, bearer, signed_report
from tests.checklists.assessment_helpers import answer, attestation_of, make_checklist, upload
from tests.checklists.obligations.helpers import make_obligation
from tests.conftest import VerifiedClient

# Queries per request, whatever the size of the list.
BUDGET = {
    "team_list": 12,
    "checklist_list": 19,
    "answer_list": 19,
    "answer_detail": 23,
    "answer_evidence": 23,
    "team_due": 18,
    "occurrence_detail": 17,
    "report_list": 17,
}


def _read(client, url, headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def _twice(django_assert_max_num_queries, client, url, headers, budget, grow, count):
    with django_assert_max_num_queries(budget):
        small = count(_read(client, url, headers))
    grow()
    with django_assert_max_num_queries(budget):
        large = count(_read(client, url, headers))
    assert large > small


def _results(body) -> int:
    return len(body["results"])


def test_team_list(django_assert_max_num_queries, reviewer, team, other_team):
    client = VerifiedClient()
    client.force_login(reviewer)

    def grow():
        for n in range(8):
            accounts.team_create(name=f"Team {n}", slug=f"team-{n}")

    _twice(
        django_assert_max_num_queries,
        client,
        reverse("api:team_list"),
        {},
        BUDGET["team_list"],
        grow,
        _results,
    )


def test_checklist_list(
    django_assert_max_num_queries, token_client, api_tokens, checklist, team, lead
):
    def grow():
        for period in ("2025-Q4", "2026-Q1", "2026-Q2"):
            make_checklist(team, lead, period=period, providers=("gopay", "wechat"))

    _twice(
        django_assert_max_num_queries,
        token_client,
        reverse("api:checklist_list", args=[team.slug]),
        bearer(api_tokens.read),
        BUDGET["checklist_list"],
        grow,
        _results,
    )


def test_answer_list(
    django_assert_max_num_queries, token_client, api_tokens, catalog, team, lead, period
):
    checklist = make_checklist(team, lead, period=period, providers=("gopay", "wechat"))
    url = reverse("api:answer_list", args=[team.slug, period])
    headers = bearer(api_tokens.read)
    with django_assert_max_num_queries(BUDGET["answer_list"]):
        small = _read(token_client, url + "?page_size=3", headers)
    for attestation in checklist.attestations.filter(satisfied_through__isnull=True)[:6]:
        answer(attestation, lead, owner=lead)
    with django_assert_max_num_queries(BUDGET["answer_list"]):
        large = _read(token_client, url, headers)
    assert len(large["results"]) > 10 * len(small["results"])
    assert any(row["answered_through"] for row in large["results"])


@pytest.mark.parametrize("name", ["answer_detail", "answer_evidence"])
def test_an_answer_and_its_evidence(
    django_assert_max_num_queries, token_client, api_tokens, checklist, team, lead, period, name
):
    attestation = attestation_of(checklist, REF)
    upload(attestation, lead, name="one.txt")

    def grow():
        for n in range(4):
            upload(attestation, lead, name=f"more-{n}.txt", content=f"listener {n}\n".encode())

    def evidence(body) -> int:
        return len(body["evidence"] if name == "answer_detail" else body)

    _twice(
        django_assert_max_num_queries,
        token_client,
        reverse(f"api:{name}", args=[team.slug, period, REF]),
        bearer(api_tokens.read),
        BUDGET[name],
        grow,
        evidence,
    )


def test_due(
    django_assert_max_num_queries, token_client, api_tokens, checklist, team, lead, occurrence
):
    def grow():
        for n in range(6):
            make_obligation(team, lead, title=f"Duty {n}", owner=lead)

    _twice(
        django_assert_max_num_queries,
        token_client,
        reverse("api:team_due", args=[team.slug]),
        bearer(api_tokens.read),
        BUDGET["team_due"],
        grow,
        lambda body: len(body["occurrences"]),
    )


def test_occurrence_detail(
    django_assert_max_num_queries, token_client, api_tokens, team, lead, member, occurrence
):
    from checklists.services import obligations
    from tests.checklists.obligations.helpers import link_evidence

    url = reverse("api:occurrence_detail", args=[team.slug, occurrence.pk])
    headers = bearer(api_tokens.read)
    with django_assert_max_num_queries(BUDGET["occurrence_detail"]):
        assert _read(token_client, url, headers)["evidence"] == []
    evidence = [link_evidence(team, lead, url=f"https://wiki.example.com/{n}") for n in range(4)]
    obligations.occurrence_complete(
        occurrence=Occurrence.objects.get(pk=occurrence.pk),
        by=member,
        note="Done",
        evidence=evidence,
    )
    with django_assert_max_num_queries(BUDGET["occurrence_detail"]):
        assert len(_read(token_client, url, headers)["evidence"]) == 4


def test_report_list(
    django_assert_max_num_queries, token_client, api_tokens, team, lead, report, period
):
    def grow():
        for _ in range(3):
            signed_report(team, lead, period)

    _twice(
        django_assert_max_num_queries,
        token_client,
        reverse("api:report_list", args=[team.slug]),
        bearer(api_tokens.read),
        BUDGET["report_list"],
        grow,
        _results,
    )
