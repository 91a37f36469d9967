"""The signed team report carries the checklist's OSCAL assessment results: attached under the
signature, with their SHA-256 on the verification page and in the JSON twin, the same bytes
the checklist page's download gives for that quarter."""

import hashlib
import json
import subprocess

from django.urls import reverse

from checklists.models import ExportStatus
from checklists.oscal.assessment_results import assessment_results_document
from checklists.periods import Quarter
from checklists.reports import content, services, signing, storage, verification

# With the helpers, the report tests' signing chain and settings (an autouse fixture).
from tests.checklists.reports.conftest import (  # noqa: F401
    _report_settings,
    fill_checklist,
    pdftotext,
    signing_files,
)


def attachment(pdf_path, number: int, tmp_path) -> bytes:
    """An attached file, as poppler's pdfdetach saves it."""
    out = tmp_path / f"attachment-{number}"
    subprocess.run(
        ["pdfdetach", "-save", str(number), "-o", str(out), str(pdf_path)],
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


def test_a_final_report_holds_the_sha256_of_the_download(
    catalog, team, lead, reviewer, auditor, client, tmp_path
):
    ended_quarter = Quarter.current().previous()
    checklist, _ = fill_checklist(team, lead, reviewer, ended_quarter)
    export, _ = services.report_request(team=team, period=str(ended_quarter), by=auditor)
    services.report_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.kind == "final", export.error
    pdf = storage.report_read(export.blob_name)

    client.force_login(auditor)
    download = client.get(
        reverse("checklists:oscal_assessment_results", args=[team.slug, str(ended_quarter)])
    ).content
    sha256 = hashlib.sha256(download).hexdigest()

    twin = json.loads(verification.attached_json(pdf))
    assert twin["oscal_assessment_results"] == {
        "attachment": content.OSCAL_ATTACHMENT_NAME,
        "sha256": sha256,
        "size": len(download),
    }
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert f"1: {content.ATTACHMENT_NAME}" in listing
    assert f"2: {content.OSCAL_ATTACHMENT_NAME}" in listing
    assert attachment(path, 1, tmp_path) == verification.attached_json(pdf)
    assert attachment(path, 2, tmp_path) == download
    # Printed on the verification page, and covered by the signature.
    squashed = pdftotext(path).replace("\n", "").replace(" ", "")
    assert f"SHA-256{sha256}" in squashed
    assert verification.check_signature(pdf, signing.trust_roots()).ok
    assert services.report_verify(data=pdf).ok
    assert download == assessment_results_document(checklist).data


def test_a_draft_report_attaches_the_same_bytes_as_the_days_download(
    catalog, team, lead, reviewer, tmp_path
):
    open_quarter = Quarter.current()
    checklist, _ = fill_checklist(team, lead, reviewer, open_quarter)
    produced = services.produce_team_report(
        team=team, quarter=open_quarter, kind="draft", generated_by="lead"
    )
    path = tmp_path / "draft.pdf"
    path.write_bytes(produced.pdf)
    attached = attachment(path, 2, tmp_path)
    assert attached == assessment_results_document(checklist).data
    twin = json.loads(produced.content)
    assert twin["oscal_assessment_results"]["sha256"] == hashlib.sha256(attached).hexdigest()
