"""The team report's duties: obligations, credential rotation and incidents of the period."""

import json
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists.models import (
    Credential,
    Incident,
    IncidentStep,
    ObligationKind,
    Occurrence,
    Provider,
    ReportKind,
)
from checklists.periods import Quarter
from checklists.reports import content, signing, verification
from checklists.reports.services import produce_team_report
from checklists.schedule import Rule
from checklists.services.obligations import (
    obligation_create,
    occurrence_complete,
    occurrence_confirm,
)
from tests.checklists.reports.conftest import fill_checklist, pdfsig, pdftotext

QUARTER = Quarter(2027, 1)
KEPT_IN = "vault:kv/kopi-kita/gopay/SERVER_KEY_PATH"
NOTES = "Rotated from the merchant console by the duty engineer"


@pytest.fixture
def frozen():
    """15 February 2027: the first quarter of 2027 is open."""
    with time_machine.travel(datetime(2027, 2, 15, 10, 0, tzinfo=UTC), tick=False):
        yield


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _obligation(team, lead, title, kind, due_on, **fields):
    obligation = obligation_create(
        team=team,
        kind=kind,
        title=title,
        rule=Rule("days", 90),
        by=lead,
        owner=lead,
        starts_on=due_on,
        **fields,
    )
    return obligation, obligation.occurrences.get()


def _credential(team, lead, name, **fields):
    return Credential.objects.create(
        team=team,
        name=name,
        kind=fields.pop("kind", "api-key"),
        environment=fields.pop("environment", "production"),
        kept_in=fields.pop("kept_in", f"vault:kv/{name}"),
        created_by=lead,
        **fields,
    )


@pytest.fixture
def duties(frozen, catalog, team, lead, member, reviewer):
    fill_checklist(team, lead, reviewer, QUARTER)
    gopay = Provider.objects.get(slug="gopay")
    wechat = Provider.objects.get(slug="wechat")

    _, review = _obligation(
        team, lead, "Quarterly access review", "access-review", date(2027, 1, 20)
    )
    occurrence_complete(
        occurrence=review, by=lead, note="Removed two leavers.", done_on=date(2027, 1, 18)
    )
    _, scan = _obligation(
        team, lead, "External vulnerability scan", "vulnerability-scan", date(2027, 1, 10)
    )
    occurrence_complete(
        occurrence=scan, by=lead, note="Scan run, no findings.", done_on=date(2027, 1, 14)
    )
    _obligation(team, lead, "Restore drill", "dr-test", date(2027, 2, 1))
    _, audit = _obligation(
        team, lead, "Payment security audit", "security-audit", date(2027, 2, 10)
    )
    Occurrence.objects.filter(pk=audit.pk).update(
        due_on=date(2027, 3, 15), due_change_reason="The auditor is only available in March."
    )

    server_key = _credential(
        team,
        lead,
        "GoPay server key",
        provider=gopay,
        kept_in=KEPT_IN,
        notes=NOTES,
        rotation_interval_days=90,
        created_on=date(2026, 6, 1),
        last_rotated_on=date(2026, 10, 7),
        in_repository="yes",
        in_logs="no",
    )
    _, rotation = _obligation(
        team,
        lead,
        "Rotate the GoPay server key",
        ObligationKind.KEY_ROTATION,
        date(2027, 1, 5),
        credential=server_key,
    )
    occurrence_complete(
        occurrence=rotation, by=lead, note="New key issued.", done_on=date(2027, 1, 5)
    )
    occurrence_confirm(occurrence=rotation, by=member)
    _credential(
        team,
        lead,
        "WeChat Pay API v3 key",
        provider=wechat,
        environment="staging",
        rotation_interval_days=30,
        created_on=date(2026, 10, 1),
        last_rotated_on=date(2026, 11, 1),
    )
    _credential(
        team,
        lead,
        "Old MixPay key",
        created_on=date(2026, 1, 1),
        retired_at=_at(2026, 12, 1),
    )

    leak = Incident.objects.create(
        team=team,
        title="Server key found in a build log",
        summary="The summary stays in the portal.",
        severity="high",
        status="contained",
        provider=gopay,
        credential=server_key,
        opened_by=lead,
        opened_at=_at(2027, 2, 3, 8, 0),
        provider_informed_at=_at(2027, 2, 3, 10, 30),
    )
    for position, done_at in enumerate((_at(2027, 2, 3, 8, 10), _at(2027, 2, 3, 9, 0), None), 1):
        IncidentStep.objects.create(
            incident=leak,
            position=position,
            title=f"Step {position}",
            done_by=lead if done_at else None,
            done_at=done_at,
            note=f"Step note {position} stays in the portal.",
        )
    Incident.objects.create(
        team=team,
        title="Callback outage in November",
        severity="medium",
        status="closed",
        opened_by=lead,
        opened_at=_at(2026, 11, 2, 9, 0),
        resolved_at=_at(2026, 11, 2, 12, 0),
        closed_at=_at(2026, 11, 5, 9, 0),
    )
    Incident.objects.create(
        team=team,
        title="Refund mismatch under investigation",
        severity="low",
        status="open",
        opened_by=lead,
        opened_at=_at(2026, 12, 20, 9, 0),
    )


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start) : text.index(end, text.index(start))]


def _assert_all(text: str, *facts: str) -> None:
    missing = [fact for fact in facts if fact not in text]
    assert not missing, f"{missing} not in {text!r}"


@pytest.fixture
def report(duties, team, tmp_path):
    produced = produce_team_report(
        team=team, quarter=QUARTER, kind=ReportKind.DRAFT, generated_by="lead"
    )
    path = tmp_path / "report.pdf"
    path.write_bytes(produced.pdf)
    return produced, path


def test_it_groups_the_obligations_of_the_quarter(report):
    _, path = report
    flat = " ".join(pdftotext(path).split())
    section = _between(flat, "Obligations As of 2027-02-15", "Credential rotation")
    # The checklist's recurring controls bring obligations of their own, open and not yet due.
    summary = re.search(
        r"(\d+) occurrences of the team's recurring duties; 2 done on time, 1 done late, "
        r"1 overdue, (\d+) open and not overdue; 1 with a moved due date\.",
        section,
    )
    assert summary and int(summary[1]) == 4 + int(summary[2])
    on_time = _between(section, "Done on time", "Done late")
    review = on_time[on_time.index("Quarterly access review") :]
    _assert_all(review, "Access review", "lead", "2027-01-20", "2027-01-18")
    # A rotation names the second person who confirmed it.
    rotation = _between(on_time, "Rotate the GoPay server key", "Quarterly access review")
    _assert_all(rotation, "Key rotation", "2027-01-05", "confirmed by member")
    late = _between(section, "Done late", "Open at the cut-off")
    _assert_all(late, "External vulnerability scan", "2027-01-10", "2027-01-14", " 4 ")
    still_open = section[section.index("Open at the cut-off (2027-02-15)") :]
    drill = still_open[still_open.index("Restore drill") :]
    _assert_all(drill, "Disaster-recovery test", "2027-02-01", "Overdue by 14 days")
    audit = still_open[still_open.index("Payment security audit") :]
    _assert_all(
        audit,
        "2027-03-15",
        "Due date moved from 2027-02-10: The auditor is only available in March.",
        "Upcoming",
    )
    # The next occurrences fall due after the quarter: not part of it.
    assert section.count("Quarterly access review") == 1


def test_it_states_each_credentials_rotation_and_exposure(report):
    _, path = report
    flat = " ".join(pdftotext(path).split())
    section = _between(flat, "Credential rotation", "Incidents of the period")
    assert "The portal holds no secret values." in section
    assert (
        "2 credentials in use, 1 with the rotation overdue, 1 with an exposure answered" in section
    )
    gopay = _between(section, "GoPay server key", "WeChat Pay API v3 key")
    _assert_all(gopay, "API key", "GoPay", "Production", "90 days", "2027-01-05", "2027-04-05")
    assert "Upcoming" in gopay and "Exposed: in a code repository" in gopay
    wechat = section[section.index("WeChat Pay API v3 key") :]
    _assert_all(
        wechat, "WeChat", "Staging", "30 days", "2026-11-01", "2026-12-01", "no rotation obligation"
    )
    assert "Overdue" in wechat and "Exposed" not in wechat and "None reported" in wechat
    assert "Old MixPay key" not in flat


def test_it_lists_the_incidents_of_the_period(report):
    _, path = report
    flat = " ".join(pdftotext(path).split())
    section = _between(flat, "Incidents of the period", "Parameters")
    assert "2 incidents opened in 2027-Q1 or still open during it." in section
    leak = section[section.index("Server key found in a build log") :]
    _assert_all(
        leak,
        "GoPay",
        "High",
        "Contained",
        "2027-02-03 08:00",
        "2027-02-03 10:30",
        "2 h 30 min after opening",
        "2 of 3",
        "GoPay server key (Production)",
    )
    assert "Refund mismatch under investigation" in section and "before the period" in section
    assert "Callback outage in November" not in flat


def test_it_never_prints_where_a_secret_is_kept_nor_notes(report):
    produced, path = report
    text = pdftotext(path)
    squashed = "".join(text.split())
    attached = verification.attached_json(produced.pdf).decode()
    for hidden in (KEPT_IN, NOTES, "The summary stays in the portal.", "stays in the portal"):
        assert hidden not in text and "".join(hidden.split()) not in squashed
        assert hidden not in attached
    for note in ("Removed two leavers.", "New key issued."):
        assert note not in text and note not in attached


def test_the_json_twin_carries_the_sections_and_the_signature_holds(report, signing_files):
    produced, path = report
    data = json.loads(verification.attached_json(produced.pdf))
    obligations = data["obligations"]
    assert obligations["cut_off"] == "2027-02-15" and not obligations["quarter_ended"]
    assert [row["obligation"] for row in obligations["done_late"]] == [
        "External vulnerability scan"
    ]
    assert obligations["done_late"][0]["days_late"] == 4
    exposed = {row["name"]: row["exposed"] for row in data["credentials"]["credentials"]}
    assert exposed == {"GoPay server key": ["in a code repository"], "WeChat Pay API v3 key": []}
    assert [row["title"] for row in data["incidents"]] == [
        "Refund mismatch under investigation",
        "Server key found in a build log",
    ]
    assert data["parameters"]["counts"]["incidents"] == 2

    roots = signing.load_certificates(signing_files.root, "test")
    check = verification.check_signature(produced.pdf, roots)
    assert check.ok, check.problem
    assert "Signature is Valid." in pdfsig(path).stdout


def test_a_quiet_quarter_says_so(frozen, catalog, team, lead, reviewer, tmp_path):
    fill_checklist(team, lead, reviewer, QUARTER)
    produced = produce_team_report(
        team=team, quarter=QUARTER, kind=ReportKind.DRAFT, generated_by="lead"
    )
    path = tmp_path / "quiet.pdf"
    path.write_bytes(produced.pdf)
    flat = " ".join(pdftotext(path).split())
    assert "No incidents were recorded in this period." in flat
    assert "The team recorded no credential in use." in flat


def test_an_ended_quarter_is_read_at_its_last_day(catalog, team, lead, reviewer):
    """A duty done after the quarter was still open at its end: overdue then, done later."""
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        fill_checklist(team, lead, reviewer, QUARTER)
        _, drill = _obligation(team, lead, "Restore drill", "dr-test", date(2027, 3, 20))
    with time_machine.travel(datetime(2027, 4, 10, 9, 0, tzinfo=UTC), tick=False):
        occurrence_complete(occurrence=drill, by=lead, note="Restored.", done_on=date(2027, 4, 5))
        report = content.team_report(
            team=team, quarter=QUARTER, kind="final", generated_by="lead", generated_at=None
        )
    obligations = report["obligations"]
    assert obligations["cut_off"] == "2027-03-31" and obligations["quarter_ended"]
    [row] = [row for row in obligations["open"] if row["obligation"] == "Restore drill"]
    assert row["status"] == "overdue" and row["days_late"] == 11
    assert row["done_after_cut_off_on"] == "2027-04-05" and row["done_on"] is None


def _add_duties(team, lead, member, start: int, count: int):
    gopay = Provider.objects.get(slug="gopay")
    for n in range(start, start + count):
        credential = _credential(
            team, lead, f"Key {n}", provider=gopay, created_on=date(2026, 12, 1), in_logs="yes"
        )
        _, occurrence = _obligation(
            team, lead, f"Rotate key {n}", "key-rotation", date(2027, 1, 10), credential=credential
        )
        occurrence_complete(
            occurrence=occurrence, by=lead, note="Rotated.", done_on=date(2027, 1, 10)
        )
        occurrence_confirm(occurrence=occurrence, by=member)
        _obligation(team, lead, f"Review {n}", "access-review", date(2027, 2, 1))
        incident = Incident.objects.create(
            team=team,
            title=f"Incident {n}",
            severity="low",
            provider=gopay,
            credential=credential,
            opened_by=lead,
            opened_at=_at(2027, 2, 2, 9, 0),
            provider_informed_at=_at(2027, 2, 2, 9, 45),
        )
        IncidentStep.objects.create(
            incident=incident, position=1, title="Tell", done_at=_at(2027, 2, 2)
        )


def test_the_sections_read_in_a_fixed_number_of_queries(
    frozen, catalog, team, lead, member, reviewer, django_assert_max_num_queries
):
    fill_checklist(team, lead, reviewer, QUARTER)

    def gather():
        with CaptureQueriesContext(connection) as captured:
            report = content.team_report(
                team=team, quarter=QUARTER, kind="draft", generated_by="lead", generated_at=None
            )
        return report, len(captured)

    _add_duties(team, lead, member, 1, 1)
    small, few = gather()
    _add_duties(team, lead, member, 2, 9)
    with django_assert_max_num_queries(few):
        large, _ = gather()
    assert len(small["credentials"]["credentials"]) == 1 and len(small["incidents"]) == 1
    assert len(large["credentials"]["credentials"]) == 10 and len(large["incidents"]) == 10
    assert large["obligations"]["summary"]["done_on_time"] == 10
    assert large["obligations"]["summary"]["overdue"] == 10


def test_the_events_of_the_quarter_say_what_happened_in_words(report):
    _, path = report
    flat = " ".join(pdftotext(path).split())
    section = flat[flat.index("The team's events in") :]
    assert "What happened" in section
    # The label people read, with the action's name an auditor matches against the trail.
    assert "Obligation created" in section
    assert "checklists.obligation.created" in section.replace(" ", "")
