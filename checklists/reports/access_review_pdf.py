"""One completed access review as a signed PDF: the campaign's record of every account, its
change since the last review, its flags and the decision taken on it.

The record is gathered in a fixed number of queries, drawn by the report template pipeline
(`rendering.html_to_pdf`, which attaches the record as JSON) and signed with the portal's
report signing certificate (`signing`), exactly as the quarterly reports are. Nothing is
stored: each export is made on request and its SHA-256 recorded in the audit trail. E-mail
addresses of the accounts are never printed nor attached.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from checklists.models import AccessEntry, AccessReview, CampaignState, EntryChange
from checklists.periods import Quarter
from checklists.reports import content, rendering, signing
from checklists.reports.content import _name, _when
from portal.audit import services as audit

FORMAT = "compliance-portal/access-review"
FORMAT_VERSION = 1
SCOPE = "access-review"

# The diff, in the order the record shows it: what vanished first, what stayed last.
SECTIONS = (
    (EntryChange.REMOVED, "Removed since the last review"),
    (EntryChange.NEW, "New accounts"),
    (EntryChange.ROLE_CHANGED, "Role changed"),
    (EntryChange.UNCHANGED, "Unchanged"),
)


def download_name(review: AccessReview) -> str:
    system = slugify(review.system) or "system"
    return f"access-review-{review.team.slug}-{system}-{review.period}.pdf"


def _entry_row(entry: AccessEntry) -> dict[str, Any]:
    return {
        **content.access_action_row(entry),
        "line": entry.line,
        "change": entry.change,
        "previous_role": entry.previous_role,
        "privileged": entry.privileged,
        "mfa": entry.mfa,
        "last_login": _when(entry.last_login),
        "flags": content.access_entry_flags(entry),
    }


def access_review_record(
    *, review: AccessReview, generated_by: str, generated_at: datetime
) -> dict[str, Any]:
    """What the campaign's PDF says, as one JSON-ready structure. Four queries, whatever the
    number of accounts; entries are read in chunks."""
    review = (
        AccessReview.objects.filter(pk=review.pk)
        .select_related("team", "previous", "imported_by", "started_by", "completed_by")
        .annotate(**content.access_review_counts())
        .get()
    )
    entries = (
        AccessEntry.objects.filter(review=review)
        .select_related("decided_by", "action_done_by")
        .only("line", *content.ACCESS_ENTRY_FIELDS)
        .order_by("account", "pk")
    )
    by_change: dict[str, list[dict]] = {change: [] for change, _ in SECTIONS}
    for entry in entries.iterator(chunk_size=500):
        by_change[entry.change].append(_entry_row(entry))
    quarter = Quarter.parse(review.period)
    figures = content.access_review_figures(review)
    team = review.team
    previous = review.previous
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": SCOPE,
        "team": {"slug": team.slug, "name": team.name},
        "period": {
            "quarter": review.period,
            "first_day": _when(quarter.first_day),
            "last_day": _when(quarter.last_day),
        },
        "generated_at": _when(generated_at),
        "generated_by": generated_by,
        "portal_version": content.portal_version(),
        "campaign": {
            "id": review.pk,
            "system": review.system,
            "state": review.state,
            "state_label": CampaignState(review.state).label,
            "previous": {"id": previous.pk, "period": previous.period} if previous else None,
            "roster_name": review.roster_name,
            "roster_sha256": review.roster_sha256,
            "imported_by": _name(review.imported_by),
            "imported_at": _when(review.imported_at),
            "started_by": _name(review.started_by),
            "started_at": _when(review.started_at),
            "completed_by": _name(review.completed_by),
            "completed_at": _when(review.completed_at),
            "result_sha256": content.sha256_hex(content.canonical_json(review.result))
            if review.result is not None
            else None,
        },
        "figures": figures,
        "sections": [
            {"change": change, "title": title, "entries": by_change[change]}
            for change, title in SECTIONS
        ],
        "audit": content.chain_position(),
        "parameters": {
            "scope": SCOPE,
            "team": team.slug,
            "period": review.period,
            "filters": {},
            "as_of": _when(timezone.localdate()),
            "counts": {
                "entries": figures["entries"],
                "accounts": figures["accounts"],
                "decided": figures["decided"],
                "actions": figures["actions"],
                "actions_done": figures["actions_done"],
            },
        },
    }


def access_review_html(record: dict[str, Any], *, verify_url: str) -> str:
    counts = record["parameters"]["counts"]
    return render_to_string(
        "reports/access_review.html",
        {
            "report": record,
            "kind_label": "Access review",
            "is_final": True,
            "attachment_name": content.ATTACHMENT_NAME,
            "verify_url": verify_url,
            "counts": [(name.replace("_", " ").capitalize(), n) for name, n in counts.items()],
        },
    )


@dataclass(frozen=True)
class SignedAccessReview:
    pdf: bytes
    sha256: str
    page_count: int
    filename: str


def access_review_export(
    *, review: AccessReview, by, generated_at: datetime | None = None
) -> SignedAccessReview:
    """The completed campaign as a signed PDF; the export is recorded in the audit trail."""
    if review.state != CampaignState.COMPLETED:
        raise ValidationError("Only a completed access review has a signed record.")
    signer = signing.load_signer()
    record = access_review_record(
        review=review, generated_by=_name(by), generated_at=generated_at or timezone.now()
    )
    record["signer"] = {"subject": signer.subject, "certificate_sha256": signer.fingerprint}
    campaign = record["campaign"]
    rendered = rendering.html_to_pdf(
        access_review_html(record, verify_url=reverse("checklists:report_verify")),
        content=content.canonical_json(record),
        title=f"{record['team']['name']} access review of {campaign['system']} "
        f"{record['period']['quarter']}",
    )
    pdf = signing.sign_pdf(rendered.data, signer)
    digest = content.sha256_hex(pdf)
    with transaction.atomic():
        audit.record(
            "checklists.access_review.exported",
            actor=by,
            obj=review,
            team=review.team,
            changes={
                "system": campaign["system"],
                "period": review.period,
                "sha256": digest,
                "pages": rendered.page_count,
                "signer": signer.fingerprint,
            },
        )
    return SignedAccessReview(
        pdf=pdf, sha256=digest, page_count=rendered.page_count, filename=download_name(review)
    )
