"""The signed report draws its posture chart with the dashboards' SVG module: the chart in the
report's HTML is valid SVG with a title and a text alternative, and the PDF shows it."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from checklists.models import ExportStatus
from checklists.reports import rendering, services, storage, verification
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.reports.conftest import pdftotext

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
LEGEND = "Answered, not approved"  # drawn only by the chart's legend


def test_the_signed_report_shows_the_posture_chart(
    catalog, team, lead, open_quarter, tmp_path, django_capture_on_commit_callbacks
):
    checklist = make_checklist(team, lead, period=str(open_quarter), providers=("mixpay",))
    with django_capture_on_commit_callbacks(execute=True):
        export, _ = services.report_request(team=team, period=checklist.period, by=lead)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    pdf = storage.report_read(export.blob_name)

    report = json.loads(verification.attached_json(pdf))
    html = rendering.team_report_html(report, verify_url=reverse("checklists:report_verify"))
    charts = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(charts) == 1
    chart = ET.fromstring(charts[0])  # noqa: S314 - markup the portal just drew
    assert chart.tag == f"{SVG}svg" and chart.get("role") == "img"
    assert chart.findtext(f"{SVG}title") == rendering.PROVIDER_CHART_TITLE
    assert "MixPay" in chart.findtext(f"{SVG}desc")
    assert LEGEND in charts[0] and LEGEND not in html.replace(charts[0], "")

    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    assert LEGEND in " ".join(pdftotext(path).split())
