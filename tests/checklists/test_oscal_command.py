"""`manage.py export_oscal`: the catalog and a team's results to a file, or a clear error and
no file at all."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from checklists.oscal.assessment_results import assessment_results_document
from checklists.oscal.catalog import catalog_document
from checklists.oscal.services import COMMAND_LINE, RESULTS_EXPORTED
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.test_oscal_catalog import read_catalog
from tests.checklists.test_oscal_results import read_results


def run(*args: str) -> str:
    out = StringIO()
    call_command("export_oscal", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead)


def test_it_writes_the_catalog(catalog, tmp_path):
    path = tmp_path / "catalog.json"
    said = run("catalog", "--output", str(path))
    data = path.read_bytes()
    assert data == catalog_document().data
    read_catalog(data)
    assert hashlib.sha256(data).hexdigest() in said


def test_it_writes_a_teams_results_and_records_the_export(checklist, tmp_path):
    path = tmp_path / "kopi.json"
    said = run("results", "--team", "kopi-kita", "--period", "2026-Q4", "--output", str(path))
    data = path.read_bytes()
    assert data == assessment_results_document(checklist).data
    read_results(data)
    sha256 = hashlib.sha256(data).hexdigest()
    assert sha256 in said
    event = AuditEvent.objects.get(action=RESULTS_EXPORTED)
    assert event.actor is None and event.actor_label == COMMAND_LINE
    assert event.changes["sha256"] == sha256


@pytest.mark.parametrize(
    ("slug", "period", "message"),
    [
        ("nobody-here", "2026-Q4", "No team has the slug 'nobody-here'."),
        ("kopi-kita", "2026-Q1", "Kopi Kita has no checklist for 2026-Q1."),
        ("kopi-kita", "2026Q4", "is not a quarter such as 2026-Q4"),
    ],
)
def test_a_bad_team_or_period_says_so_and_writes_nothing(
    checklist, tmp_path, slug, period, message
):
    path = tmp_path / "out.json"
    with pytest.raises(CommandError, match=message):
        run("results", "--team", slug, "--period", period, "--output", str(path))
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action=RESULTS_EXPORTED).exists()


def test_an_existing_file_is_left_as_it_was_on_error(checklist, tmp_path):
    path = tmp_path / "out.json"
    path.write_bytes(b"yesterday's export")
    with pytest.raises(CommandError):
        run("results", "--team", "kopi-kita", "--period", "2026-Q1", "--output", str(path))
    assert path.read_bytes() == b"yesterday's export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_missing_folder_is_named(catalog, tmp_path):
    path = tmp_path / "missing" / "catalog.json"
    with pytest.raises(CommandError, match="does not exist"):
        run("catalog", "--output", str(path))
    assert list(tmp_path.iterdir()) == []
