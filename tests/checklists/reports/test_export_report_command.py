"""`manage.py export_report` and `manage.py verify_report`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from checklists.models import ExportStatus, ReportExport, RequestedVia
from checklists.reports import storage
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.reports.test_signing import flip_byte_in_signed_range


@pytest.fixture
def checklist(catalog, team, lead, open_quarter):
    return make_checklist(team, lead, period=str(open_quarter), providers=("mixpay",))


def _export(**options) -> str:
    out = StringIO()
    call_command("export_report", stdout=out, **options)
    return out.getvalue()


def test_it_writes_the_signed_report(checklist, team, tmp_path):
    target = tmp_path / "kopi.pdf"
    said = _export(team=team.slug, period=checklist.period, out=str(target))
    export = ReportExport.objects.get()
    assert export.status == ExportStatus.DONE and export.requested_via == RequestedVia.COMMAND
    assert target.read_bytes() == storage.report_read(export.blob_name)
    assert export.sha256 in said and str(target) in said


@pytest.mark.parametrize(
    ("team_slug", "period", "message"),
    [
        ("no-such-team", "2026-Q4", "No team has the slug 'no-such-team'"),
        ("kopi-kita", "2026-13", "not a quarter such as 2026-Q4"),
        ("kopi-kita", "2099-Q1", "has not started yet"),
        ("kopi-kita", "2019-Q1", "no checklist for 2019-Q1"),
    ],
)
def test_it_exits_non_zero_and_writes_nothing_on_bad_input(
    checklist, tmp_path, team_slug, period, message
):
    target = tmp_path / "out.pdf"
    with pytest.raises(CommandError, match=message):
        _export(team=team_slug, period=period, out=str(target))
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert not ReportExport.objects.exists()


def test_a_missing_output_folder_is_refused_before_any_work(checklist, team, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        _export(team=team.slug, period=checklist.period, out=str(tmp_path / "nope" / "x.pdf"))
    assert not ReportExport.objects.exists()


def test_a_failed_export_writes_no_file(checklist, team, tmp_path, settings):
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "wrong"
    target = tmp_path / "out.pdf"
    with pytest.raises(CommandError, match="The export failed: .*PASSPHRASE"):
        _export(team=team.slug, period=checklist.period, out=str(target))
    assert list(tmp_path.iterdir()) == []


def test_verify_report_accepts_the_file_and_refuses_a_changed_one(checklist, team, tmp_path):
    target = tmp_path / "kopi.pdf"
    _export(team=team.slug, period=checklist.period, out=str(target))
    out = StringIO()
    call_command("verify_report", str(target), stdout=out)
    assert "Authentic and unmodified" in out.getvalue()
    assert "FAIL" not in out.getvalue()

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte_in_signed_range(target.read_bytes()))
    out = StringIO()
    with pytest.raises(CommandError, match="Modified or not recognised"):
        call_command("verify_report", str(tampered), stdout=out)
    assert "FAIL" in out.getvalue() and "modified" in out.getvalue()


def test_verify_report_names_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("verify_report", str(tmp_path / "missing.pdf"))
