"""Exports larger than AUDIT_EXPORT_STREAM_LIMIT are prepared by a task, not one long request."""

import csv
import io

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent, AuditExport, ExportStatus
from tests.audit.conftest import record_many

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_events(settings, tmp_path, team):
    settings.AUDIT_EXPORT_STREAM_LIMIT = 5
    settings.AUDIT_EXPORT_DIR = tmp_path / "exports"
    return record_many(12, team=team)


def _streamed(client, url, data) -> bytes:
    response = client.post(url, data)
    assert response.streaming
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name", ["event_export", "event_export_jsonl"])
def test_a_large_export_is_prepared_in_the_background_and_matches_the_streamed_one(
    client, auditor, many_events, settings, django_capture_on_commit_callbacks, name
):
    client.force_login(auditor)
    data = {"action": "tests.*"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(f"audit:{name}"), data)
    export = AuditExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:export_status", args=[export.pk])
    assert export.status == ExportStatus.DONE and export.lines > 12
    status_page = client.get(response["Location"]).content.decode()
    assert "Download audit-events." in status_page and export.sha256 in status_page
    download = client.get(reverse("audit:export_download", args=[export.pk]))
    assert download["Cache-Control"] == "private, no-store"
    body = b"".join(download.streaming_content)
    settings.AUDIT_EXPORT_STREAM_LIMIT = 1000
    streamed = _streamed(client, reverse(f"audit:{name}"), data)
    if name == "event_export_jsonl":  # the header line says when it was made
        body, streamed = body.split(b"\n", 1)[1], streamed.split(b"\n", 1)[1]
    assert body == streamed
    if name == "event_export":
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert len(rows) == 12 and {row["action"] for row in rows} == {"tests.thing.done"}
    assert AuditEvent.objects.filter(action="audit.log.exported").count() == 2


def test_the_status_page_polls_until_the_file_is_ready(client, auditor, many_events):
    client.force_login(auditor)
    response = client.post(reverse("audit:event_export"), {"action": "tests.*"})
    export = AuditExport.objects.get()
    assert export.status == ExportStatus.QUEUED  # the task runs once the request commits
    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh"' in page and "being prepared in the background" in page
    assert client.get(reverse("audit:export_download", args=[export.pk])).status_code == 404


def test_only_the_person_who_asked_sees_the_export(
    client, auditor, reviewer, many_events, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit:event_export"), {"action": "tests.*"})
    export = AuditExport.objects.get()
    client.force_login(reviewer)
    assert client.get(reverse("audit:export_status", args=[export.pk])).status_code == 404
    assert client.get(reverse("audit:export_download", args=[export.pk])).status_code == 404


def test_a_second_worker_never_prepares_the_same_export(
    auditor, many_events, django_capture_on_commit_callbacks
):
    from portal.audit import exports

    export = exports.export_request(by=auditor, export_format="csv", filters={})
    exports.export_run(export.pk)
    first = AuditExport.objects.get(pk=export.pk)
    exports.export_run(export.pk)  # claimed already: nothing happens
    again = AuditExport.objects.get(pk=export.pk)
    assert (again.file_name, again.finished_at) == (first.file_name, first.finished_at)
    assert len(list(exports.export_dir().iterdir())) == 1
