"""The export task: in-process, and end to end through a real Celery worker on Redis."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from checklists.models import ExportStatus, ReportExport
from checklists.reports import services, signing, storage, verification
from checklists.tasks import report_export_run, reports_quarterly_export
from tests.checklists.assessment_helpers import make_checklist


def test_the_task_runs_the_export_once(catalog, team, lead, open_quarter):
    make_checklist(team, lead, period=str(open_quarter), providers=("mixpay",))
    export, _ = services.report_request(team=team, period=str(open_quarter), by=lead)
    assert report_export_run.delay(export.pk).get() == ExportStatus.DONE
    assert report_export_run.delay(export.pk).get() is None  # already done: nothing to do


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_exports_a_signed_report(
    celery_worker, catalog, team, lead, open_quarter, settings, monkeypatch
):
    client, queue = celery_worker
    # The worker runs with DEBUG on and the default data folder: its development certificate
    # signs, and the report lands in DATA_DIR/reports, where this process reads it.
    settings.REPORT_ROOT = Path(django_settings.DATA_DIR) / "reports"
    settings.DEBUG = True
    settings.REPORT_SIGNING_KEY_FILE = settings.REPORT_SIGNING_CERT_FILE = None
    settings.REPORT_TRUST_ROOT_FILES = []
    sent = []
    monkeypatch.setattr(
        services,
        "_enqueue",
        lambda export: sent.append(
            client.send_task("checklists.tasks.report_export_run", args=[export.pk], queue=queue)
        ),
    )
    make_checklist(team, lead, period=str(open_quarter), providers=("mixpay",))
    export, created = services.report_request(team=team, period=str(open_quarter), by=lead)
    assert created and len(sent) == 1
    # A second delivery of the same job (a retry, a second worker) does no work.
    duplicate = client.send_task(
        "checklists.tasks.report_export_run", args=[export.pk], queue=queue
    )
    results = [sent[0].get(timeout=120), duplicate.get(timeout=120)]
    assert sorted(results, key=lambda status: status is None) == [ExportStatus.DONE, None]
    export = ReportExport.objects.get(pk=export.pk)
    assert export.status == ExportStatus.DONE and export.attempts == 1, export.error
    data = storage.report_read(export.blob_name)
    check = verification.check_signature(data, signing.trust_roots())
    assert check.ok, check.problem
    assert check.signer_fingerprint == export.signer_fingerprint
    assert services.report_verify(data=data).ok


def test_the_quarterly_task_requests_each_teams_final_report_once(
    catalog, team, other_team, lead, outsider, ended_quarter, monkeypatch
):
    make_checklist(team, lead, period=str(ended_quarter), providers=("mixpay",))
    make_checklist(other_team, outsider, period=str(ended_quarter), providers=("mixpay",))
    real_request = services.report_request

    def failing_for_kopi(*, team, **kwargs):
        if team is not None and team.slug == "kopi-kita":
            raise ZeroDivisionError("broken for this team")
        return real_request(team=team, **kwargs)

    monkeypatch.setattr(services, "report_request", failing_for_kopi)
    first = reports_quarterly_export.delay().get()
    # One team's failure does not stop the others, nor the organisation report.
    assert list(first["failed"]) == ["kopi-kita"] and len(first["queued"]) == 2
    monkeypatch.setattr(services, "report_request", real_request)

    second = reports_quarterly_export.delay().get()
    assert len(second["queued"]) == 1 and sorted(second["existing"]) == sorted(first["queued"])
    assert second["failed"] == {}
    exports = ReportExport.objects.order_by("scope", "team__slug")
    assert [(e.scope, e.team_id and e.team.slug, e.kind, e.requested_via) for e in exports] == [
        ("organisation", None, "final", "schedule"),
        ("team", "kopi-kita", "final", "schedule"),
        ("team", "ojek-cepat", "final", "schedule"),
    ]
    assert reports_quarterly_export.delay().get()["queued"] == []


def test_the_quarterly_task_is_scheduled_after_each_quarter(settings):
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "checklists.tasks.reports_quarterly_export"
    ]
    if not entries:
        pytest.skip("the beat entry for the quarterly reports is not in settings yet")
    schedule = entries[0]["schedule"]
    assert schedule.month_of_year == {1, 4, 7, 10} and schedule.day_of_month == {1}
