"""A reviewer requests a signed report, watches it finish, downloads it and verifies it."""

import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from checklists.models import ReportExport
from checklists.periods import Quarter
from checklists.reports import services, signing
from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def report_signing(settings, tmp_path):
    bundle = tmp_path / "keys" / "signing.pem"
    bundle.parent.mkdir()
    signing._create_dev_bundle(bundle)
    settings.REPORT_ROOT = tmp_path / "reports"
    settings.REPORT_SIGNING_KEY_FILE = settings.REPORT_SIGNING_CERT_FILE = str(bundle)
    settings.REPORT_SIGNING_KEY_PASSPHRASE = None
    settings.REPORT_TRUST_ROOT_FILES = [str(bundle)]


def _run_export(export_id: int) -> None:
    try:
        services.report_run(export_id=export_id)
    finally:
        connection.close()


def test_a_reviewer_requests_watches_downloads_and_verifies_a_report(
    page, catalog, team, lead, reviewer, report_signing, monkeypatch, tmp_path
):
    period = str(Quarter.current())
    make_checklist(team, lead, period=period, providers=("mixpay",))
    # The job waits in the queue until the "worker" below takes it.
    monkeypatch.setattr(services, "_enqueue", lambda export: None)

    _sign_in(page, "reviewer")
    page.goto(f"/teams/{team.slug}/reports/")
    expect(page.get_by_role("heading", name="Signed reports of Kopi Kita")).to_be_visible()
    page.get_by_label("Period").select_option(period)
    page.get_by_role("button", name="Request report").click()

    expect(page.get_by_role("heading", name=f"Kopi Kita {period} Draft report")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Queued")
    expect(page.get_by_role("status")).to_contain_text("refreshes every 2 seconds")

    export = ReportExport.objects.get()
    # The worker's part, off this thread (Playwright keeps an event loop on it).
    worker = threading.Thread(target=_run_export, args=[export.pk])
    worker.start()

    # The page reloads itself and offers the download.
    download_link = page.get_by_role("link", name=re.compile(r"^Download "))
    expect(download_link).to_be_visible(timeout=30_000)
    worker.join()
    expect(page.get_by_role("status")).to_contain_text("Done")
    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / "downloaded.pdf"
    info.value.save_as(saved)
    export.refresh_from_db()
    assert services.content.sha256_hex(saved.read_bytes()) == export.sha256

    page.goto("/reports/verify/")
    page.get_by_label("Report (PDF)").set_input_files(str(saved))
    page.get_by_role("button", name="Verify").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Authentic and unmodified"))
    ).to_be_visible()

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(saved.read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    page.get_by_label("Report (PDF)").set_input_files(str(tampered))
    page.get_by_role("button", name="Verify").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Modified or not recognised"))
    ).to_be_visible()
