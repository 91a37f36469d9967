"""HTML to PDF with WeasyPrint: the report template, with the JSON twin attached.

WeasyPrint fetches nothing: the template is self-contained (inline CSS and SVG) and the
fetcher refuses every URL, so text typed into the portal can never make it read a file or
call out.
"""

import logging
from dataclasses import dataclass
from typing import Any

import weasyprint
from django.template.loader import render_to_string
from weasyprint.urls import URLFetcher

from checklists.charts import posture_rows, stacked_bars
from checklists.models import AnswerStatus, ReportKind
from checklists.reports.content import ATTACHMENT_NAME, ORGANISATION_FORMAT, canonical_json

KIND_NOTES = {
    ReportKind.DRAFT: "The period is still open: answers and reviews may change after this "
    "report was generated.",
    ReportKind.FINAL: "The period has ended: this is the report of record for it.",
}

PROVIDER_CHART_TITLE = "Answers and approvals per provider"
TEAM_CHART_TITLE = "Answers and approvals per team"

# One line per laid-out page is noise in a worker's log; warnings still come through.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class _NoFetching(URLFetcher):
    def fetch(self, url, headers=None):
        raise ValueError(f"reports load nothing from outside ({url[:60]!r})")


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    page_count: int
    content: bytes  # the attached JSON


@dataclass(frozen=True)
class ExtraAttachment:
    """A file the PDF carries besides its JSON twin (a team report's OSCAL results)."""

    name: str
    data: bytes
    description: str


def _common_context(report: dict[str, Any], *, verify_url: str) -> dict[str, Any]:
    kind = ReportKind(report["kind"])
    return {
        "report": report,
        "kind_label": kind.name,
        "is_final": kind == ReportKind.FINAL,
        "kind_note": KIND_NOTES[kind],
        "attachment_name": ATTACHMENT_NAME,
        "verify_url": verify_url,
    }


def team_report_html(report: dict[str, Any], *, verify_url: str) -> str:
    totals = report["summary"]["totals"]["by_answer"]
    counts = report["parameters"]["counts"]
    return render_to_string(
        "reports/team_report.html",
        {
            **_common_context(report, verify_url=verify_url),
            "chart": stacked_bars(
                posture_rows(report["summary"]["providers"]), title=PROVIDER_CHART_TITLE
            ),
            "answer_totals": [(status.label, totals[status.value]) for status in AnswerStatus],
            "counts": [(name.replace("_", " ").capitalize(), n) for name, n in counts.items()],
        },
    )


def organisation_report_html(report: dict[str, Any], *, verify_url: str) -> str:
    reporting = [team for team in report["teams"] if team["has_checklist"]]
    counts = report["parameters"]["counts"]
    return render_to_string(
        "reports/organisation_report.html",
        {
            **_common_context(report, verify_url=verify_url),
            "chart": stacked_bars(posture_rows(reporting), title=TEAM_CHART_TITLE),
            "silent_teams": [team for team in report["teams"] if not team["has_checklist"]],
            "reporting_teams": reporting,
            "counts": [(name.replace("_", " ").capitalize(), n) for name, n in counts.items()],
        },
    )


def html_to_pdf(
    html: str, *, content: bytes, title: str, extra: tuple[ExtraAttachment, ...] = ()
) -> RenderedPdf:
    document = weasyprint.HTML(string=html, url_fetcher=_NoFetching()).render()
    attachment = weasyprint.Attachment(
        string=content,
        url_fetcher=_NoFetching(),
        name=ATTACHMENT_NAME,
        description=f"{title}: the facts of this report as JSON",
        relationship="Data",
    )
    attachments = [attachment] + [
        weasyprint.Attachment(
            string=file.data,
            url_fetcher=_NoFetching(),
            name=file.name,
            description=file.description,
            relationship="Data",
        )
        for file in extra
    ]
    data = document.write_pdf(attachments=attachments, pdf_identifier=None)
    return RenderedPdf(data=data, page_count=len(document.pages), content=content)


def render_report(
    report: dict[str, Any], *, verify_url: str, extra: tuple[ExtraAttachment, ...] = ()
) -> RenderedPdf:
    """A team report, or the organisation report, as a PDF with its JSON attached (and any
    `extra` files after it)."""
    if report["format"] == ORGANISATION_FORMAT:
        title = f"Organisation {report['period']['quarter']} compliance report"
        html = organisation_report_html(report, verify_url=verify_url)
    else:
        title = f"{report['team']['name']} {report['period']['quarter']} compliance report"
        html = team_report_html(report, verify_url=verify_url)
    return html_to_pdf(html, content=canonical_json(report), title=title, extra=extra)
