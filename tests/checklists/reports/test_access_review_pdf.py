"""A completed access review's signed PDF: who may download it, what it says, its signature."""

import hashlib
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from checklists.models import AccessEntry, CampaignState
from checklists.reports import access_review_pdf, signing, verification
from portal.audit.models import AuditEvent
from tests.checklists.reports.conftest import pdfsig, pdftotext
from tests.checklists.reports.test_report_access_reviews import (
    EMAILS,
    ROSTER_SHA256,
    at,
    fill_campaign,
    make_campaign,
)

# The URLs this file walks for every role.
ACCESS_REVIEW_EXPORT_URLS = {"access_review_pdf"}
ALLOWED = ("lead", "reviewer", "auditor")
REFUSED = ("member", "outsider", "nobody")
RESULT = {
    "roster_sha256": ROSTER_SHA256,
    "counts": {"accounts": 4, "revoke": 1, "change-role": 1, "keep": 2},
    "decisions": [{"account": "shared-ops", "decision": "revoke"}],
}
FILENAME = "access-review-kopi-kita-codepay-merchant-platform-2027-Q1.pdf"


@pytest.fixture(autouse=True)
def _frozen():
    """15 February 2027, a month after the campaign was completed."""
    with time_machine.travel(datetime(2027, 2, 15, 10, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def campaign(team, lead, member):
    previous = make_campaign(
        team,
        lead,
        "CodePay merchant platform",
        "2026-Q4",
        started_at=at(2026, 11, 2),
        completed_at=at(2026, 11, 20),
    )
    review = make_campaign(
        team,
        lead,
        "CodePay merchant platform",
        "2027-Q1",
        previous=previous,
        roster_name="codepay-users-2027-01.csv",
        roster_sha256=ROSTER_SHA256,
        imported_by=lead,
        imported_at=at(2027, 1, 11, 15, 0),
        result=RESULT,
    )
    fill_campaign(review, lead, member)
    return review


def _url(review) -> str:
    return reverse("checklists:access_review_pdf", args=[review.team.slug, review.pk])


def _download(client, user, review, tmp_path):
    client.force_login(user)
    response = client.get(_url(review))
    assert response.status_code == 200
    path = tmp_path / "access-review.pdf"
    path.write_bytes(response.content)
    return response, path


@pytest.mark.parametrize("who", ALLOWED)
def test_leads_reviewers_and_auditors_download_it(client, request, campaign, who, tmp_path):
    user = request.getfixturevalue(who)
    response, _ = _download(client, user, campaign, tmp_path)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{FILENAME}"'
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="checklists.access_review.exported")
    assert event.actor_id == user.pk and event.team_id == campaign.team_id
    assert event.changes["sha256"] == hashlib.sha256(response.content).hexdigest()


@pytest.mark.parametrize("who", REFUSED)
def test_members_and_outsiders_get_404(client, request, campaign, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(campaign)).status_code == 404
    assert not AuditEvent.objects.filter(action="checklists.access_review.exported").exists()


def test_it_asks_strangers_to_sign_in_and_refuses_writes(client, campaign, lead):
    response = client.get(_url(campaign))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(lead)
    assert client.post(_url(campaign)).status_code == 405


@pytest.mark.parametrize("state", [s for s in CampaignState if s != CampaignState.COMPLETED])
def test_an_unfinished_campaign_has_no_signed_record(client, team, lead, state):
    review = make_campaign(team, lead, "Mini app admin console", "2027-Q1", state=state)
    client.force_login(lead)
    assert client.get(_url(review)).status_code == 404


def test_another_teams_campaign_is_404(client, campaign, other_team, outsider, lead):
    theirs = make_campaign(other_team, outsider, "Ojek dispatch", "2027-Q1", completed_by=outsider)
    client.force_login(lead)
    url = reverse("checklists:access_review_pdf", args=[campaign.team.slug, theirs.pk])
    assert client.get(url).status_code == 404


def _assert_all(text: str, *facts: str) -> None:
    missing = [fact for fact in facts if fact not in text]
    assert not missing, f"{missing} not in {text!r}"


def test_it_records_the_roster_and_every_decision(client, campaign, reviewer, tmp_path):
    response, path = _download(client, reviewer, campaign, tmp_path)
    flat = " ".join(pdftotext(path).split())
    result_sha256 = hashlib.sha256(
        (json.dumps(RESULT, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    ).hexdigest()
    _assert_all(
        flat,
        "Kopi Kita · CodePay merchant platform Access review 2027-Q1",
        "Team Kopi Kita (kopi-kita)",
        "System CodePay merchant platform",
        "Period 2027-Q1: 2027-01-01 to 2027-03-31",
        "codepay-users-2027-01.csv",
        ROSTER_SHA256,
        result_sha256,
        "Imported 2027-01-11T15:00:00Z by lead",
        "Started 2027-01-12T09:00:00Z by lead",
        "Completed 2027-02-10T16:30:00Z by lead",
        "the review of 2026-Q4",
        "Generated by reviewer",
        "4 accounts on the roster: 1 new, 1 with the role changed, 2 unchanged; 1 removed",
        "1 of 2 carried out on the system",
    )
    sections = ["Removed since the last review (1)", "New accounts (1)", "Role changed (1)"]
    sections.append("Unchanged (2)")
    positions = [flat.index(title) for title in sections]
    assert positions == sorted(positions)
    removed, new, changed, unchanged = (
        flat[start:end] for start, end in zip(positions, [*positions[1:], len(flat)], strict=True)
    )
    _assert_all(removed, "andi", "Andi Wijaya", "no decision")
    _assert_all(new, "siti", "Siti Rahma", "Keep", "Joined the payments desk.", "lead")
    _assert_all(changed, "eko", "viewer to operator", "not a team member", "Seconded from")
    _assert_all(
        unchanged,
        "ops-admin",
        "Change role to viewer",
        "Support work needs no admin rights.",
        "privileged without MFA",
        "member",
        "2027-02-03 14:00",
        "shared-ops",
        "shared, dormant",
        "Revoke",
        "Shared login that nobody owns.",
        "not yet",
    )
    attached = verification.attached_json(response.content).decode()
    for address in EMAILS:
        assert address not in flat and address not in attached
    assert "@" not in flat
    data = json.loads(attached)
    assert data["campaign"]["roster_sha256"] == ROSTER_SHA256
    assert data["campaign"]["result_sha256"] == result_sha256
    decisions = {e["account"]: e["decision"] for s in data["sections"] for e in s["entries"]}
    assert decisions == {
        "andi": "",
        "siti": "keep",
        "eko": "keep",
        "ops-admin": "change-role",
        "shared-ops": "revoke",
    }


def test_the_signature_validates(client, campaign, auditor, tmp_path, signing_files):
    response, path = _download(client, auditor, campaign, tmp_path)
    roots = signing.load_certificates(signing_files.root, "test")
    check = verification.check_signature(response.content, roots)
    assert check.ok, check.problem
    assert check.signer_subject == "CN=Test portal report signing"
    assert "Signature is Valid." in pdfsig(path).stdout
    # One byte changed after signing and it no longer does.
    tampered = bytearray(response.content)
    tampered[len(tampered) // 3] ^= 0x01
    assert not verification.check_signature(bytes(tampered), roots).ok


def _add_entries(review, lead, start: int, count: int) -> None:
    AccessEntry.objects.bulk_create(
        AccessEntry(
            review=review,
            account=f"account-{k:03}",
            person=f"Person {k}",
            email=f"person{k}@kopikita.example",
            change="unchanged",
            decision="revoke" if k % 2 else "keep",
            reason="Left." if k % 2 else "Needed.",
            decided_by=lead,
            decided_at=at(2027, 2, 1),
        )
        for k in range(start, start + count)
    )


def test_the_record_reads_in_a_fixed_number_of_queries(team, lead, django_assert_max_num_queries):
    review = make_campaign(team, lead, "CodePay merchant platform", "2027-Q1", result=RESULT)
    _add_entries(review, lead, 0, 10)

    def record():
        return access_review_pdf.access_review_record(
            review=review, generated_by="lead", generated_at=at(2027, 2, 15)
        )

    with django_assert_max_num_queries(4):
        small = record()
    _add_entries(review, lead, 10, 190)
    with django_assert_max_num_queries(4):
        large = record()
    assert small["figures"]["entries"] == 10 and large["figures"]["entries"] == 200
    assert len(large["sections"][-1]["entries"]) == 200
    assert large["figures"]["revocations"] == 100


def test_the_portals_verify_page_recognises_the_record_by_its_audited_export(
    client, campaign, auditor, tmp_path, signing_files
):
    from checklists.reports import services

    response, _ = _download(client, auditor, campaign, tmp_path)
    checked = services.report_verify(data=response.content)
    assert checked.ok, [finding.text for finding in checked.findings]
    assert "the signed record of the access review of" in checked.verdict
    assert campaign.system in checked.verdict and campaign.period in checked.verdict
    tampered = bytearray(response.content)
    tampered[len(tampered) // 3] ^= 0x01
    refused = services.report_verify(data=bytes(tampered))
    assert not refused.ok
    assert "access review" not in refused.verdict
