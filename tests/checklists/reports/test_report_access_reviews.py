"""The team report's access reviews: the campaigns of the quarter and those still open."""

import json
from datetime import UTC, datetime

import pytest
import time_machine

from checklists.models import (
    AccessEntry,
    AccessReview,
    CampaignState,
    ObligationKind,
    ReportKind,
)
from checklists.periods import Quarter
from checklists.reports import content, signing, verification
from checklists.reports.services import produce_team_report
from checklists.schedule import Rule
from checklists.services.obligations import obligation_create
from tests.checklists.reports.conftest import fill_checklist, pdfsig, pdftotext

QUARTER = Quarter(2027, 1)
ROSTER_SHA256 = "3f1c9a0d6b2e4f5a8c7d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
EMAILS = ("budi.santoso@kopikita.example", "siti@kopikita.example", "ops@kopikita.example")


@pytest.fixture
def frozen():
    """15 February 2027: the first quarter of 2027 is open."""
    with time_machine.travel(datetime(2027, 2, 15, 10, 0, tzinfo=UTC), tick=False):
        yield


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_campaign(team, lead, system: str, period: str, *, state=CampaignState.COMPLETED, **fields):
    """A campaign kept for the team's access-review duty, in `state`."""
    obligation = obligation_create(
        team=team,
        kind=ObligationKind.ACCESS_REVIEW,
        title=f"Access review of {system}",
        rule=Rule("days", 90),
        by=lead,
    )
    if state != CampaignState.DRAFT:
        fields.setdefault("started_by", lead)
        fields.setdefault("started_at", at(2027, 1, 12, 9, 0))
    if state == CampaignState.COMPLETED:
        fields.setdefault("completed_by", lead)
        fields.setdefault("completed_at", at(2027, 2, 10, 16, 30))
    return AccessReview.objects.create(
        team=team,
        system=system,
        period=period,
        state=state,
        obligation=obligation,
        created_by=lead,
        **fields,
    )


def make_entry(review, account: str, **fields) -> AccessEntry:
    return AccessEntry.objects.create(review=review, account=account, **fields)


def fill_campaign(review, lead, member) -> None:
    """Five accounts: a role changed and carried out, a revocation still to do, a kept newcomer,
    a kept role change since last time, and an account gone since last time."""
    decided = {"decided_by": lead, "decided_at": at(2027, 2, 1, 11, 0)}
    make_entry(
        review,
        "ops-admin",
        person="Budi Santoso",
        email=EMAILS[0],
        role="admin",
        privileged=True,
        change="unchanged",
        privileged_without_mfa=True,
        decision="change-role",
        new_role="viewer",
        reason="Support work needs no admin rights.",
        action_done_by=member,
        action_done_at=at(2027, 2, 3, 14, 0),
        **decided,
    )
    make_entry(
        review,
        "shared-ops",
        email=EMAILS[2],
        role="operator",
        change="unchanged",
        shared=True,
        dormant=True,
        decision="revoke",
        reason="Shared login that nobody owns.",
        **decided,
    )
    make_entry(
        review,
        "siti",
        person="Siti Rahma",
        email=EMAILS[1],
        role="operator",
        mfa=True,
        change="new",
        decision="keep",
        reason="Joined the payments desk.",
        **decided,
    )
    make_entry(
        review,
        "eko",
        person="Eko Prasetyo",
        role="operator",
        previous_role="viewer",
        mfa=True,
        change="role-changed",
        not_a_member=True,
        decision="keep",
        reason="Seconded from the finance team until June.",
        **decided,
    )
    make_entry(review, "andi", person="Andi Wijaya", role="viewer", change="removed")


@pytest.fixture
def campaigns(frozen, catalog, team, other_team, lead, member, reviewer, outsider):
    fill_checklist(team, lead, reviewer, QUARTER)
    codepay = make_campaign(
        team,
        lead,
        "CodePay merchant platform",
        "2027-Q1",
        roster_name="codepay-users-2027-01.csv",
        roster_sha256=ROSTER_SHA256,
    )
    fill_campaign(codepay, lead, member)
    console = make_campaign(
        team,
        lead,
        "Mini app admin console",
        "2026-Q4",
        state=CampaignState.IN_REVIEW,
        started_at=at(2026, 12, 10, 9, 0),
    )
    make_entry(console, "console-root", person="Dewi Lestari", role="owner")
    make_entry(console, "console-ops", person="Rudi Hartono", role="operator", decision="keep")
    make_campaign(
        team,
        lead,
        "Legacy settlement console",
        "2026-Q4",
        started_at=at(2026, 12, 1, 9, 0),
        completed_at=at(2026, 12, 20, 9, 0),
        roster_sha256="0" * 64,
    )
    make_campaign(team, lead, "Next quarter's platform", "2027-Q2", state=CampaignState.DRAFT)
    make_campaign(other_team, outsider, "Ojek dispatch", "2027-Q1", completed_by=outsider)
    return codepay, console


def _report(team, tmp_path):
    produced = produce_team_report(
        team=team, quarter=QUARTER, kind=ReportKind.DRAFT, generated_by="lead"
    )
    path = tmp_path / "report.pdf"
    path.write_bytes(produced.pdf)
    return produced, path


@pytest.fixture
def report(campaigns, team, tmp_path):
    return _report(team, tmp_path)


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start) : text.index(end, text.index(start))]


def _assert_all(text: str, *facts: str) -> None:
    missing = [fact for fact in facts if fact not in text]
    assert not missing, f"{missing} not in {text!r}"


def test_it_reports_the_campaigns_of_the_quarter_and_those_still_open(report):
    _, path = report
    flat = " ".join(pdftotext(path).split())
    section = _between(flat, "Incidents of the period", "Parameters")
    section = section[section.index("Access reviews") :]
    assert "2 campaigns for 2027-Q1 or still open during it" in section
    codepay = section[section.index("CodePay merchant platform · 2027-Q1") :]
    _assert_all(
        codepay,
        "State Completed",
        "Started 2027-01-12 by lead",
        "Completed 2027-02-10 by lead",
        "4 on the roster: 1 new, 1 with the role changed, 2 unchanged; 1 removed since the last "
        "review",
        "Flagged 3 (shared 1, dormant 1, privileged without MFA 1, not a team member 1)",
        "4 of 5 decided: 2 kept, 1 role change, 1 revocation",
        "Actions done 1 of 2",
        ROSTER_SHA256,
    )
    # Revocations first, then role changes; kept accounts are counted, not listed.
    revoked = _between(codepay, "shared-ops", "ops-admin")
    _assert_all(revoked, "Revoke", "Shared login that nobody owns.", "lead", "not yet")
    changed = codepay[codepay.index("ops-admin") :]
    _assert_all(
        changed,
        "Budi Santoso",
        "Change role",
        "admin to viewer",
        "Support work needs no admin rights.",
        "member",
        "2027-02-03",
    )
    assert "Joined the payments desk." not in codepay and "siti" not in codepay

    console = _between(
        section, "Mini app admin console · 2026-Q4", "CodePay merchant platform · 2027-Q1"
    )
    _assert_all(
        console,
        "In review (a campaign of 2026-Q4)",
        "Started 2026-12-10 by lead",
        "Completed not yet",
        "1 of 2 decided",
        "No revocation or role change was decided.",
    )
    assert "Roster SHA-256" not in console
    for elsewhere in ("Legacy settlement console", "Next quarter's platform", "Ojek dispatch"):
        assert elsewhere not in section
    assert "No access review was held in this period." not in flat


def test_it_never_prints_an_e_mail_address(report):
    produced, path = report
    text = pdftotext(path)
    attached = verification.attached_json(produced.pdf).decode()
    for address in EMAILS:
        assert address not in text and address not in attached
    assert "@" not in text


def test_the_json_twin_carries_the_section_and_the_signature_holds(report, signing_files):
    produced, path = report
    data = json.loads(verification.attached_json(produced.pdf))
    rows = data["access_reviews"]["campaigns"]
    assert [(row["system"], row["state"]) for row in rows] == [
        ("Mini app admin console", "in-review"),
        ("CodePay merchant platform", "completed"),
    ]
    codepay = rows[1]
    assert codepay["roster_sha256"] == ROSTER_SHA256 and rows[0]["roster_sha256"] is None
    assert codepay["figures"]["flagged_by_kind"] == {
        "shared": 1,
        "dormant": 1,
        "privileged without MFA": 1,
        "not a team member": 1,
    }
    assert [(a["account"], a["decision"]) for a in codepay["actions"]] == [
        ("shared-ops", "revoke"),
        ("ops-admin", "change-role"),
    ]
    assert data["parameters"]["counts"]["access_reviews"] == 2

    roots = signing.load_certificates(signing_files.root, "test")
    check = verification.check_signature(produced.pdf, roots)
    assert check.ok, check.problem
    assert "Signature is Valid." in pdfsig(path).stdout


def test_a_quarter_without_a_review_says_so(frozen, catalog, team, lead, reviewer, tmp_path):
    fill_checklist(team, lead, reviewer, QUARTER)
    make_campaign(
        team,
        lead,
        "Legacy settlement console",
        "2026-Q4",
        started_at=at(2026, 12, 1),
        completed_at=at(2026, 12, 20),
    )
    _, path = _report(team, tmp_path)
    flat = " ".join(pdftotext(path).split())
    section = _between(flat, "No incidents were recorded in this period.", "Parameters")
    assert section.strip().startswith("Access reviews No access review was held in this period.")
    assert "Legacy settlement console" not in section


def test_a_campaign_completed_after_the_quarter_was_open_during_it(team, lead):
    with time_machine.travel(datetime(2027, 3, 20, 9, 0, tzinfo=UTC), tick=False):
        make_campaign(
            team,
            lead,
            "Mini app admin console",
            "2026-Q4",
            started_at=at(2026, 12, 10),
            completed_at=at(2027, 4, 2),
        )
    with time_machine.travel(datetime(2027, 4, 10, 9, 0, tzinfo=UTC), tick=False):
        section = content.access_reviews_section(team, QUARTER)
        later = content.access_reviews_section(team, QUARTER.next().next())
    [row] = section["campaigns"]
    assert row["from_earlier_period"] and row["completed_at"] == "2027-04-02T00:00:00Z"
    assert later == {"campaigns": []}


def _add_campaigns(team, lead, member, start: int, count: int, accounts: int) -> None:
    for n in range(start, start + count):
        review = make_campaign(team, lead, f"System {n}", "2027-Q1")
        AccessEntry.objects.bulk_create(
            AccessEntry(
                review=review,
                account=f"account-{k}",
                person=f"Person {k}",
                email=f"person{k}@kopikita.example",
                change="new",
                dormant=k % 3 == 0,
                decision="revoke" if k % 2 else "keep",
                reason="Left the team." if k % 2 else "Still needed.",
                decided_by=lead,
                decided_at=at(2027, 2, 1),
                action_done_by=member if k % 4 == 1 else None,
                action_done_at=at(2027, 2, 2) if k % 4 == 1 else None,
            )
            for k in range(accounts)
        )


def test_the_section_reads_in_a_fixed_number_of_queries(
    frozen, team, lead, member, django_assert_max_num_queries
):
    _add_campaigns(team, lead, member, 1, 1, 10)
    with django_assert_max_num_queries(2):
        small = content.access_reviews_section(team, QUARTER)
    _add_campaigns(team, lead, member, 2, 9, 200)
    with django_assert_max_num_queries(2):
        large = content.access_reviews_section(team, QUARTER)
    assert len(small["campaigns"]) == 1 and len(large["campaigns"]) == 10
    big = large["campaigns"][-1]
    assert big["figures"]["accounts"] == 200 and big["figures"]["revocations"] == 100
    assert big["figures"]["actions_done"] == 50 and big["figures"]["flagged"] == 67
    assert len(big["actions"]) == content.ACCESS_ACTIONS_LISTED
    assert big["actions_not_listed"] == 100 - content.ACCESS_ACTIONS_LISTED
    assert small["campaigns"][0]["actions_not_listed"] == 0


def test_the_long_list_points_to_the_campaigns_record(
    frozen, catalog, team, lead, member, reviewer, tmp_path
):
    fill_checklist(team, lead, reviewer, QUARTER)
    _add_campaigns(team, lead, member, 1, 1, 30)
    _, path = _report(team, tmp_path)
    flat = " ".join(pdftotext(path).split())
    assert "And 5 more revocations or role changes, listed in the campaign's signed record." in flat
