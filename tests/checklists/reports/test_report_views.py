"""The reports pages: who may request and download, the poll, the download, the verify page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checklists.models import ExportStatus, ReportExport
from checklists.reports import services, storage
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.reports.test_signing import flip_byte_in_signed_range

ALLOWED = ("lead", "reviewer", "auditor")
REFUSED = ("member", "outsider", "nobody")


@pytest.fixture
def checklist(catalog, team, lead, open_quarter):
    return make_checklist(team, lead, period=str(open_quarter), providers=("mixpay",))


@pytest.fixture
def done(checklist, team, lead, django_capture_on_commit_callbacks) -> ReportExport:
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.report_request(team=team, period=checklist.period, by=lead)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return export


def _urls(team, export) -> dict[str, str]:
    return {
        "list": reverse("checklists:report_list", args=[team.slug]),
        "status": reverse("checklists:report_status", args=[team.slug, export.pk]),
        "download": reverse("checklists:report_download", args=[team.slug, export.pk]),
    }


@pytest.mark.parametrize("who", ALLOWED)
def test_leads_reviewers_and_auditors_see_and_download(client, request, done, team, who):
    client.force_login(request.getfixturevalue(who))
    urls = _urls(team, done)
    page = client.get(urls["list"])
    assert page.status_code == 200 and done.sha256 in page.content.decode()
    assert client.get(urls["status"]).status_code == 200
    response = client.get(urls["download"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == storage.report_read(done.blob_name)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", REFUSED)
def test_members_and_outsiders_get_404(client, request, done, team, who):
    client.force_login(request.getfixturevalue(who))
    for url in _urls(team, done).values():
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("checklists:report_request", args=[team.slug]), {"period": done.period}
    )
    assert response.status_code == 404
    assert ReportExport.objects.count() == 1


def test_another_teams_export_is_a_404_even_for_its_lead(client, done, other_team, outsider):
    client.force_login(outsider)
    url = reverse("checklists:report_status", args=[other_team.slug, done.pk])
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, done, team):
    for url in [*_urls(team, done).values(), reverse("checklists:report_verify")]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_requesting_rejects_get(client, checklist, team, lead):
    client.force_login(lead)
    response = client.get(reverse("checklists:report_request", args=[team.slug]))
    assert response.status_code == 405


@pytest.mark.parametrize("who", ALLOWED)
def test_a_request_queues_once_and_the_status_page_polls(client, request, checklist, team, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    url = reverse("checklists:report_request", args=[team.slug])
    response = client.post(url, {"period": checklist.period})
    export = ReportExport.objects.get()
    assert response.status_code == 302 and response["Location"] == export.get_absolute_url()
    assert export.requested_by == user and export.status == ExportStatus.QUEUED
    again = client.post(url, {"period": checklist.period}, follow=True)
    assert ReportExport.objects.count() == 1
    assert "already queued" in again.content.decode()
    status = client.get(export.get_absolute_url())
    assert status["Refresh"] == "2" and "Queued" in status.content.decode()


def test_a_request_for_an_unknown_period_is_refused_on_the_page(client, checklist, team, lead):
    client.force_login(lead)
    response = client.post(
        reverse("checklists:report_request", args=[team.slug]), {"period": "2019-Q1"}
    )
    assert response.status_code == 400 and not ReportExport.objects.exists()


def test_the_finished_status_page_links_the_download_and_stops_polling(client, done, team, lead):
    client.force_login(lead)
    response = client.get(done.get_absolute_url())
    assert "Refresh" not in response
    page = response.content.decode()
    assert reverse("checklists:report_download", args=[team.slug, done.pk]) in page
    assert done.sha256 in page and done.signer_fingerprint in page


def test_a_failed_export_shows_its_error_and_a_retry(client, checklist, team, lead, settings):
    settings.REPORT_SIGNING_KEY_PASSPHRASE = "wrong"
    export, _ = services.report_request(team=team, period=checklist.period, by=lead)
    services.report_run(export_id=export.pk)
    client.force_login(lead)
    page = client.get(export.get_absolute_url()).content.decode()
    assert "REPORT_SIGNING_KEY_PASSPHRASE" in page and "Retry" in page
    retry = reverse("checklists:report_retry", args=[team.slug, export.pk])
    assert client.get(retry).status_code == 405
    assert client.post(retry).status_code == 302
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED


def _verify(client, data: bytes):
    return client.post(
        reverse("checklists:report_verify"),
        {"file": SimpleUploadedFile("report.pdf", data, content_type="application/pdf")},
    )


def test_the_verify_page_confirms_an_untouched_report(client, done, nobody):
    client.force_login(nobody)
    page = _verify(client, storage.report_read(done.blob_name)).content.decode()
    assert "Authentic and unmodified" in page
    assert "The signature is intact and trusted" in page
    assert "The attached report data is the one the portal produced." in page


def test_the_verify_page_reports_a_changed_byte_as_modified(client, done, nobody):
    client.force_login(nobody)
    tampered = flip_byte_in_signed_range(storage.report_read(done.blob_name))
    response = _verify(client, tampered)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Modified or not recognised" in page and "Authentic" not in page
    assert "the file was modified" in page


def test_the_verify_page_refuses_a_file_that_is_no_report(client, nobody):
    client.force_login(nobody)
    page = _verify(client, b"just some text").content.decode()
    assert "not a report signed by the portal" in page


def test_the_verify_page_needs_a_file(client, nobody):
    client.force_login(nobody)
    response = client.post(reverse("checklists:report_verify"), {})
    assert response.status_code == 400
