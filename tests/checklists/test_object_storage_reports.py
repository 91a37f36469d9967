"""Signed reports kept in an S3-compatible bucket: sealed there, downloaded and verified as the
PDF that was signed."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from checklists.models import ExportStatus, ReportExport
from checklists.periods import Quarter
from checklists.reports import services, storage
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.reports.conftest import (  # noqa: F401
    _report_settings,
    signing_files,
)
from tests.s3_server import REPORT_PREFIX


@pytest.fixture
def checklist(s3_bucket, catalog, team, lead):
    return make_checklist(team, lead, period=str(Quarter.current()), providers=("mixpay",))


@pytest.fixture
def done(checklist, team, lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.report_request(team=team, period=checklist.period, by=lead)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return export


def test_a_report_reaches_the_bucket_sealed_under_a_random_name(done, s3_bucket, settings, team):
    (key,) = s3_bucket.object_keys()
    assert key == f"{REPORT_PREFIX}/{done.blob_name}"
    assert re.fullmatch(rf"{REPORT_PREFIX}/[0-9a-f]{{32}}", key)
    stored = s3_bucket.read(key)
    assert stored.startswith(b"PEVD") and b"%PDF" not in stored
    assert team.name.encode() not in stored and team.slug.encode() not in stored
    assert hashlib.sha256(stored).hexdigest() != done.sha256
    assert not settings.REPORT_ROOT.exists()  # nothing kept on the worker


def test_the_downloaded_report_is_the_signed_pdf_and_verifies(client, done, team, lead, nobody):
    client.force_login(lead)
    response = client.get(reverse("checklists:report_download", args=[team.slug, done.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == done.sha256

    client.force_login(nobody)
    page = client.post(
        reverse("checklists:report_verify"),
        {"file": SimpleUploadedFile("report.pdf", pdf, content_type="application/pdf")},
    ).content.decode()
    assert "Authentic and unmodified" in page
    assert "The signature is intact and trusted" in page
    assert "The attached report data is the one the portal produced." in page


def test_export_report_writes_the_pdf_from_the_bucket(checklist, s3_bucket, team, tmp_path):
    out = tmp_path / "report.pdf"
    call_command(
        "export_report",
        "--team",
        team.slug,
        "--period",
        checklist.period,
        "--out",
        str(out),
        stdout=StringIO(),
    )
    export = ReportExport.objects.get()
    assert s3_bucket.object_keys() == [f"{REPORT_PREFIX}/{export.blob_name}"]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == export.sha256
    assert services.report_verify(data=out.read_bytes()).ok


def test_a_report_in_a_folder_stays_a_plain_signed_pdf(settings):
    assert settings.REPORT_STORE == "checklists.evidence.stores.FolderStore"
    name = storage.report_store(b"%PDF-1.7 signed bytes")
    assert (settings.REPORT_ROOT / name).read_bytes() == b"%PDF-1.7 signed bytes"
    assert storage.report_read(name) == b"%PDF-1.7 signed bytes"
