"""The organisation report: one row per team, signed like a team report."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists.models import ExportStatus, ReportExport, ReportKind, ReportScope
from checklists.reports import content, services, signing, storage, verification
from portal.accounts import services as accounts
from portal.audit.models import AuditChainHead
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.reports.conftest import fill_checklist, pdftotext


@pytest.fixture
def two_teams(catalog, team, other_team, lead, outsider, reviewer, open_quarter):
    fill_checklist(team, lead, reviewer, open_quarter)
    make_checklist(other_team, outsider, period=str(open_quarter), providers=("mixpay",))
    return accounts.team_create(name="Toko Maju", slug="toko-maju")  # no checklist


def test_it_summarises_every_team(two_teams, open_quarter, tmp_path):
    produced = services.produce_team_report(
        team=None, quarter=open_quarter, kind=ReportKind.DRAFT, generated_by="reviewer"
    )
    data = json.loads(verification.attached_json(produced.pdf))
    assert data["format"] == content.ORGANISATION_FORMAT
    rows = {row["slug"]: row for row in data["teams"]}
    assert set(rows) == {"kopi-kita", "ojek-cepat", "toko-maju"}
    assert rows["kopi-kita"]["approved"] == 1 and rows["kopi-kita"]["exceptions"] == 1
    assert rows["kopi-kita"]["evidence_files"] == 1
    assert rows["ojek-cepat"]["total"] > 0 and rows["ojek-cepat"]["approved"] == 0
    assert rows["toko-maju"]["has_checklist"] is False
    assert data["totals"]["total"] == rows["kopi-kita"]["total"] + rows["ojek-cepat"]["total"]
    head = AuditChainHead.objects.get()
    assert data["audit"]["chain_head"] == {"sequence": head.last_sequence, "hash": head.last_hash}

    path = tmp_path / "organisation.pdf"
    path.write_bytes(produced.pdf)
    text = " ".join(pdftotext(path).split())
    assert "Kopi Kita" in text and "Ojek Cepat" in text and "DRAFT" in text
    assert f"Teams without a checklist for {open_quarter} Toko Maju" in text
    check = verification.check_signature(produced.pdf, signing.trust_roots())
    assert check.ok, check.problem


def test_it_reads_in_a_fixed_number_of_queries(two_teams, catalog, open_quarter):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            content.organisation_report(
                quarter=open_quarter, kind="draft", generated_by="x", generated_at=None
            )
        return len(captured)

    before = queries()
    for n in range(3):
        extra = accounts.team_create(name=f"Extra {n}", slug=f"extra-{n}")
        make_checklist(extra, _lead_of(extra), period=str(open_quarter))
    assert queries() == before


def _lead_of(team):
    from tests.conftest import make_user

    user = make_user(f"lead-{team.slug}")
    accounts.membership_add(team=team, user=user, role="lead")
    return user


def test_the_export_runs_and_verifies(
    two_teams, open_quarter, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export, created = services.report_request(team=None, period=str(open_quarter), by=reviewer)
    export.refresh_from_db()
    assert created and export.scope == ReportScope.ORGANISATION and export.team is None
    assert export.status == ExportStatus.DONE, export.error
    assert str(export) == f"Organisation {open_quarter} Draft report"
    assert services.report_verify(data=storage.report_read(export.blob_name)).ok


def test_leads_and_members_may_not_see_it(client, two_teams, lead, member, auditor):
    for user, status in ((lead, 404), (member, 404), (auditor, 200)):
        client.force_login(user)
        assert client.get("/reports/organisation/").status_code == status


def test_the_command_exports_it_with_all(two_teams, open_quarter, tmp_path):
    target = tmp_path / "organisation.pdf"
    call_command(
        "export_report", all=True, period=str(open_quarter), out=str(target), stdout=StringIO()
    )
    export = ReportExport.objects.get(scope=ReportScope.ORGANISATION)
    assert target.read_bytes() == storage.report_read(export.blob_name)


def test_the_command_wants_a_team_or_all(db, tmp_path):
    with pytest.raises(CommandError, match="one of the arguments --team --all is required"):
        call_command("export_report", period="2026-Q1", out=str(tmp_path / "x.pdf"))
    assert list(tmp_path.iterdir()) == []
