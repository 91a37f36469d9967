"""Requesting and running exports: idempotent, claimed once, failures kept readable."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from checklists.models import ExportStatus, ReportExport, ReportKind, RequestedVia
from checklists.reports import services, storage, verification
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import make_checklist


@pytest.fixture
def open_checklist(catalog, team, lead, open_quarter):
    return make_checklist(team, lead, period=str(open_quarter), providers=("mixpay",))


@pytest.fixture
def ended_checklist(catalog, team, lead, ended_quarter):
    return make_checklist(team, lead, period=str(ended_quarter), providers=("mixpay",))


def _files(settings) -> list:
    root = settings.REPORT_ROOT
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_asking_again_while_queued_returns_the_same_export(open_checklist, team, lead, auditor):
    first, created = services.report_request(team=team, period=open_checklist.period, by=lead)
    again, created_again = services.report_request(
        team=team, period=open_checklist.period, by=auditor
    )
    assert created and not created_again and again.pk == first.pk
    assert first.kind == ReportKind.DRAFT and first.status == ExportStatus.QUEUED
    assert ReportExport.objects.count() == 1
    assert AuditEvent.objects.filter(action="checklists.report.requested").count() == 1


def test_the_database_refuses_a_second_active_export(open_checklist, team, lead):
    services.report_request(team=team, period=open_checklist.period, by=lead)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportExport.objects.create(
            scope="team", team=team, period=open_checklist.period, kind="draft", requested_by=lead
        )


def test_a_run_produces_stores_and_records_it(
    open_checklist, team, lead, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.report_request(team=team, period=open_checklist.period, by=lead)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    data = storage.report_read(export.blob_name)
    assert services.content.sha256_hex(data) == export.sha256 and len(data) == export.size
    assert export.page_count >= 3 and export.attempts == 1
    assert export.started_at <= export.finished_at
    assert export.render_ms is not None and export.sign_ms is not None
    assert export.content_sha256 == services.content.sha256_hex(verification.attached_json(data))
    event = AuditEvent.objects.get(action="checklists.report.exported")
    assert event.changes["sha256"] == export.sha256 and event.team_id == team.pk
    # Done, a new request for the still-open quarter makes a new DRAFT.
    newer, created = services.report_request(team=team, period=open_checklist.period, by=lead)
    assert created and newer.pk != export.pk


def test_a_final_report_is_made_once(
    ended_checklist, team, lead, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        final, created = services.report_request(team=team, period=ended_checklist.period, by=lead)
    final.refresh_from_db()
    assert created and final.kind == ReportKind.FINAL and final.status == ExportStatus.DONE
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, created_again = services.report_request(
            team=team, period=ended_checklist.period, by=reviewer
        )
    assert not created_again and again.pk == final.pk and callbacks == []
    assert services.report_run(export_id=final.pk) is None  # never regenerated
    again.refresh_from_db()
    assert again.sha256 == final.sha256 and again.attempts == 1


def test_a_second_worker_does_not_run_a_claimed_export(open_checklist, team, lead):
    export, _ = services.report_request(team=team, period=open_checklist.period, by=lead)
    ReportExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    assert services.report_run(export_id=export.pk) is None
    export.refresh_from_db()
    assert export.status == ExportStatus.RUNNING and export.attempts == 0


def test_a_failure_is_kept_readable_leaves_no_file_and_can_be_retried(
    open_checklist, team, lead, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "wrong"
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.report_request(team=team, period=open_checklist.period, by=lead)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "REPORT_SIGNING_KEY_PASSPHRASE" in export.error
    assert export.blob_name == "" and _files(settings) == []
    assert AuditEvent.objects.filter(action="checklists.report.failed").exists()

    settings.REPORT_SIGNING_KEY_PASSPHRASE = "report passphrase"
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(export=export, by=lead)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.error == "" and export.attempts == 2
    with pytest.raises(ValidationError, match="Only a failed export"):
        services.report_retry(export=export, by=lead)


def test_an_unexpected_error_reads_plainly(open_checklist, team, lead, monkeypatch):
    export, _ = services.report_request(team=team, period=open_checklist.period, by=lead)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("deep inside")

    monkeypatch.setattr(services.rendering, "render_report", broken)
    services.report_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "could not be produced (ZeroDivisionError)" in export.error
    assert "deep inside" not in export.error


def test_an_export_abandoned_by_its_worker_no_longer_blocks(open_checklist, team, lead):
    stuck, _ = services.report_request(team=team, period=open_checklist.period, by=lead)
    ReportExport.objects.filter(pk=stuck.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    fresh, created = services.report_request(team=team, period=open_checklist.period, by=lead)
    stuck.refresh_from_db()
    assert created and fresh.pk != stuck.pk
    assert stuck.status == ExportStatus.FAILED and "retry" in stuck.error


@pytest.mark.parametrize(
    ("period", "message"),
    [("2026-Q5", "not a quarter"), ("Q4-2026", "not a quarter"), ("2099-Q1", "not started")],
)
def test_it_refuses_a_bad_or_future_period(open_checklist, team, lead, period, message):
    with pytest.raises(ValidationError, match=message):
        services.report_request(team=team, period=period, by=lead)
    assert not ReportExport.objects.exists()


def test_it_refuses_a_quarter_without_a_checklist(catalog, team, lead, ended_quarter):
    with pytest.raises(ValidationError, match="no checklist"):
        services.report_request(team=team, period=str(ended_quarter), by=lead)


def test_a_portal_request_needs_a_person(open_checklist, team):
    with pytest.raises(ValueError, match="person"):
        services.report_request(team=team, period=open_checklist.period)
    export, _ = services.report_request(
        team=team, period=open_checklist.period, via=RequestedVia.SCHEDULE
    )
    assert export.requester_label == "the quarterly schedule"
