"""Requesting, producing and verifying report exports: every state change of a ReportExport.

A request is idempotent: while an export of the same team and quarter is queued or running,
asking again returns it; a quarter's FINAL report is made once and then only returned. The
work runs in `report_run`, which claims the export with a conditional update (queued to
running), so two workers never produce the same one.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from checklists.models import (
    Checklist,
    ExportStatus,
    ReportExport,
    ReportKind,
    ReportScope,
    RequestedVia,
)
from checklists.oscal.services import assessment_results_for_report
from checklists.periods import Quarter
from checklists.reports import content, rendering, signing, storage, verification
from portal.accounts.models import Team
from portal.audit import services as audit
from portal.audit.models import AuditEvent

logger = logging.getLogger(__name__)

# A running export older than this was left by a worker that died: it no longer blocks.
ABANDONED_AFTER = timedelta(minutes=15)


def _enqueue(export: ReportExport) -> None:
    from checklists.tasks import report_export_run

    report_export_run.delay_on_commit(export.pk)


def _scope(team: Team | None) -> str:
    return ReportScope.TEAM if team is not None else ReportScope.ORGANISATION


def _active_or_final(team: Team | None, period: str):
    return ReportExport.objects.filter(
        Q(status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)) | Q(kind=ReportKind.FINAL),
        scope=_scope(team),
        team=team,
        period=period,
    ).order_by("-requested_at", "-pk")


def _release_abandoned(team: Team | None, period: str) -> None:
    stuck = ReportExport.objects.filter(
        team=team,
        period=period,
        status=ExportStatus.RUNNING,
        started_at__lt=timezone.now() - ABANDONED_AFTER,
    )
    for export in stuck:
        if _fail(export, "The export stopped before it finished (its worker ended); retry it."):
            logger.warning("report export %s abandoned by its worker", export.pk)


def report_request(
    *, team: Team | None, period: str, by=None, via: str = RequestedVia.WEB
) -> tuple[ReportExport, bool]:
    """The team's report for `period` (with `team` None, the organisation report), queued if
    needed; returns (export, whether new).

    DRAFT while the quarter is open, FINAL once it has ended. An export already queued or
    running, or the quarter's FINAL report once made, is returned as it is; a FINAL that
    failed is queued again (the same row). `by` is the person asking, None when `via` is
    the quarterly schedule or the command line.
    """
    if by is None and via == RequestedVia.WEB:
        raise ValueError("a request through the portal needs the person asking")
    quarter = Quarter.parse(period)
    today = timezone.localdate()
    if quarter.first_day > today:
        raise ValidationError(f"{quarter} has not started yet: there is nothing to report.")
    checklists = Checklist.objects.filter(period=str(quarter))
    if team is not None and not checklists.filter(team=team).exists():
        raise ValidationError(f"{team.name} has no checklist for {quarter}: nothing to report.")
    if team is None and not checklists.exists():
        raise ValidationError(f"No team has a checklist for {quarter}: nothing to report.")
    kind = content.kind_for(quarter, today)
    _release_abandoned(team, str(quarter))
    with transaction.atomic():
        existing = _active_or_final(team, str(quarter)).first()
        if existing is not None:
            if existing.status == ExportStatus.FAILED:
                return report_retry(export=existing, by=by), True
            return existing, False
        try:
            with transaction.atomic():
                export = ReportExport.objects.create(
                    scope=_scope(team),
                    team=team,
                    period=str(quarter),
                    kind=kind,
                    requested_by=by,
                    requested_via=via,
                )
        except IntegrityError:
            # Another request for the same team and quarter got there first: return it.
            return _active_or_final(team, str(quarter)).first(), False
        audit.record(
            "checklists.report.requested",
            actor=by,
            actor_label="" if by else export.get_requested_via_display(),
            obj=export,
            team=team,
            changes={"period": export.period, "kind": export.kind, "scope": export.scope},
        )
        _enqueue(export)
    return export, True


def report_retry(*, export: ReportExport, by=None) -> ReportExport:
    """Queue a failed export again (the same row, its error cleared)."""
    with transaction.atomic():
        requeued = ReportExport.objects.filter(pk=export.pk, status=ExportStatus.FAILED).update(
            status=ExportStatus.QUEUED,
            error="",
            started_at=None,
            finished_at=None,
            requested_at=timezone.now(),
        )
        if requeued != 1:
            raise ValidationError("Only a failed export can be retried.")
        export.refresh_from_db()
        audit.record(
            "checklists.report.retried",
            actor=by,
            actor_label="" if by else export.get_requested_via_display(),
            obj=export,
            team=export.team,
            changes={"period": export.period, "kind": export.kind, "attempt": export.attempts + 1},
        )
        _enqueue(export)
    return export


@dataclass(frozen=True)
class Produced:
    pdf: bytes
    page_count: int
    content: bytes
    signer: signing.ReportSigner
    render_ms: int
    sign_ms: int


def produce_team_report(
    *,
    team: Team | None,
    quarter: Quarter,
    kind: str,
    generated_by: str,
    export_id: int | None = None,
    generated_at: datetime | None = None,
) -> Produced:
    """Read, render and sign a team report (with `team` None, the organisation report);
    stores nothing."""
    signer = signing.load_signer()
    facts = {
        "quarter": quarter,
        "kind": kind,
        "generated_by": generated_by,
        "generated_at": generated_at or timezone.now(),
    }
    report = (
        content.team_report(team=team, **facts)
        if team is not None
        else content.organisation_report(**facts)
    )
    report["export"] = {"id": export_id}
    report["signer"] = {"subject": signer.subject, "certificate_sha256": signer.fingerprint}
    extra: tuple[rendering.ExtraAttachment, ...] = ()
    if team is not None:
        oscal = assessment_results_for_report(team=team, quarter=quarter)
        report["oscal_assessment_results"] = {
            "attachment": content.OSCAL_ATTACHMENT_NAME,
            "sha256": oscal.sha256,
            "size": oscal.size,
        }
        extra = (
            rendering.ExtraAttachment(
                name=content.OSCAL_ATTACHMENT_NAME,
                data=oscal.data,
                description=f"{team.name} {quarter} checklist as OSCAL assessment results",
            ),
        )
    started = time.perf_counter()
    rendered = rendering.render_report(
        report, verify_url=reverse("checklists:report_verify"), extra=extra
    )
    rendered_at = time.perf_counter()
    pdf = signing.sign_pdf(rendered.data, signer)
    signed_at = time.perf_counter()
    return Produced(
        pdf=pdf,
        page_count=rendered.page_count,
        content=rendered.content,
        signer=signer,
        render_ms=round((rendered_at - started) * 1000),
        sign_ms=round((signed_at - rendered_at) * 1000),
    )


def _readable(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, content.NoChecklist | ImproperlyConfigured):
        return str(error)
    return (
        f"The report could not be produced ({type(error).__name__}); the worker's log has the "
        "details. Retry it, and tell an administrator if it fails again."
    )


def _fail(export: ReportExport, message: str) -> bool:
    with transaction.atomic():
        failed = ReportExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
        )
        if failed == 1:
            audit.record(
                "checklists.report.failed",
                obj=export,
                team=export.team,
                changes={"period": export.period, "kind": export.kind, "error": message},
            )
    return failed == 1


def report_run(*, export_id: int) -> ReportExport | None:
    """Produce a queued export: claim it, render, sign, store, record. Returns the export, or
    None if it was not queued (another worker has it, or it is finished)."""
    claimed = ReportExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if claimed != 1:
        return None  # another worker got there first
    export = ReportExport.objects.select_related("team", "requested_by").get(pk=export_id)
    try:
        produced = produce_team_report(
            team=export.team,
            quarter=Quarter.parse(export.period),
            kind=export.kind,
            generated_by=export.requester_label,
            export_id=export.pk,
        )
        name = storage.report_store(produced.pdf)
    except Exception as error:
        logger.exception("report export %s failed", export.pk)
        _fail(export, _readable(error))
        export.refresh_from_db()
        return export
    try:
        with transaction.atomic():
            done = ReportExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
                status=ExportStatus.DONE,
                finished_at=timezone.now(),
                blob_name=name,
                sha256=content.sha256_hex(produced.pdf),
                size=len(produced.pdf),
                page_count=produced.page_count,
                content_sha256=content.sha256_hex(produced.content),
                signer_fingerprint=produced.signer.fingerprint,
                signer_subject=produced.signer.subject[:300],
                render_ms=produced.render_ms,
                sign_ms=produced.sign_ms,
                error="",
            )
            if done != 1:
                raise RuntimeError("the export was no longer running when it finished")
            export.refresh_from_db()
            audit.record(
                "checklists.report.exported",
                obj=export,
                team=export.team,
                changes={
                    "period": export.period,
                    "kind": export.kind,
                    "sha256": export.sha256,
                    "pages": export.page_count,
                    "signer": export.signer_fingerprint,
                },
            )
    except Exception:
        storage.report_discard(name)
        raise
    return export


# Verification ------------------------------------------------------------------------------


@dataclass
class Finding:
    ok: bool
    text: str


@dataclass
class ReportVerification:
    sha256: str
    size: int
    signature: verification.SignatureCheck
    export: ReportExport | None = None
    # A document signed on request and not stored (a campaign's record): what it is.
    exported: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    @property
    def verdict(self) -> str:
        if self.ok and self.exported:
            return (
                f"Authentic and unmodified: this is {self.exported}, exactly as the portal "
                "signed and handed it out."
            )
        if self.ok:
            return (
                f"Authentic and unmodified: this is {self.export}, exactly as the portal "
                "signed and stored it."
            )
        if not self.signature.signed:
            return "Not verified: this file is not a report signed by the portal."
        return "Modified or not recognised: do not rely on this file."


def _claimed_export(attached: bytes | None) -> tuple[dict[str, Any] | None, int | None]:
    if attached is None:
        return None, None
    try:
        data = json.loads(attached)
    except ValueError:
        return None, None
    claimed = data.get("export", {}).get("id") if isinstance(data, dict) else None
    return data, claimed if isinstance(claimed, int) else None


def report_verify(*, data: bytes) -> ReportVerification:
    """Check a PDF: the signature (intact, whole file, trusted), a stored export with the same
    SHA-256, and the attached JSON the same as the one that export stored."""
    digest = content.sha256_hex(data)
    signature = verification.check_signature(data, signing.trust_roots())
    result = ReportVerification(sha256=digest, size=len(data), signature=signature)
    findings = result.findings
    if signature.ok:
        findings.append(
            Finding(
                True, f"The signature is intact and trusted; signed by {signature.signer_subject}."
            )
        )
    else:
        findings.append(Finding(False, signature.problem or "The signature does not verify."))
    export = (
        ReportExport.objects.filter(sha256=digest, status=ExportStatus.DONE)
        .select_related("team")
        .first()
    )
    attached = verification.attached_json(data)
    parsed, claimed_id = _claimed_export(attached)
    handed_out = None if export is not None else _exported_record(digest)
    if handed_out is not None:
        result.exported = handed_out
        findings.append(
            Finding(True, f"The file is identical to {handed_out}, with SHA-256 {digest}.")
        )
        if attached is None:
            findings.append(Finding(False, "The file carries no readable attached data."))
        return result
    if export is not None:
        result.export = export
        findings.append(
            Finding(True, f"The file is identical to {export}, stored with SHA-256 {digest}.")
        )
    else:
        claimed = (
            ReportExport.objects.filter(pk=claimed_id, status=ExportStatus.DONE)
            .select_related("team")
            .first()
            if claimed_id
            else None
        )
        if claimed is not None:
            findings.append(
                Finding(
                    False,
                    f"The file says it is {claimed}, but it differs from the stored file "
                    f"(SHA-256 {claimed.sha256}): it was modified.",
                )
            )
        else:
            findings.append(Finding(False, "No report stored in this portal has this SHA-256."))
    if attached is None:
        findings.append(Finding(False, "The file carries no readable attached report data."))
    elif export is not None:
        same = content.sha256_hex(attached) == export.content_sha256 and claimed_id == export.pk
        findings.append(
            Finding(True, "The attached report data is the one the portal produced.")
            if same
            else Finding(False, "The attached report data differs from the one produced.")
        )
    elif parsed is None:
        findings.append(Finding(False, "The attached report data is not readable JSON."))
    return result


def _exported_record(digest: str) -> str | None:
    """A signed document the portal handed out without storing it (an access review's
    record), found by the SHA-256 its audited export recorded."""
    event = (
        AuditEvent.objects.filter(
            action="checklists.access_review.exported", changes__sha256=digest
        )
        .order_by("sequence")
        .first()
    )
    if event is None:
        return None
    changes = event.changes
    return (
        f"the signed record of the access review of {changes.get('system')} for "
        f"{changes.get('period')}, exported on {event.created_at:%Y-%m-%d %H:%M} UTC "
        f"(audit event {event.sequence})"
    )


def report_open(*, export: ReportExport, by):
    """The stored PDF's bytes in chunks; the download is recorded in the audit trail."""
    if export.status != ExportStatus.DONE:
        raise ValidationError("The report is not ready yet.")
    with transaction.atomic():
        audit.record(
            "checklists.report.downloaded",
            actor=by,
            obj=export,
            team=export.team,
            changes={"sha256": export.sha256},
        )
    return storage.report_chunks(export.blob_name)


@dataclass
class QuarterRequests:
    queued: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # team slug or "organisation" -> why


def report_request_quarter(*, period: str) -> QuarterRequests:
    """Request the FINAL report of every team that kept a checklist for `period`, then the
    organisation report (the quarterly schedule). Idempotent: each FINAL report is requested
    once; one failure is recorded and the others go on."""
    quarter = Quarter.parse(period)
    outcome = QuarterRequests()
    teams = Team.objects.filter(checklists__period=str(quarter)).distinct().order_by("slug")
    for team in teams:
        try:
            export, created = report_request(
                team=team, period=str(quarter), via=RequestedVia.SCHEDULE
            )
        except Exception as error:
            logger.exception("quarterly report request for %s failed", team.slug)
            outcome.failed[team.slug] = _readable(error)
            continue
        (outcome.queued if created else outcome.existing).append(export.pk)
    if teams:
        try:
            export, created = report_request(
                team=None, period=str(quarter), via=RequestedVia.SCHEDULE
            )
        except Exception as error:
            logger.exception("quarterly organisation report request failed")
            outcome.failed["organisation"] = _readable(error)
        else:
            (outcome.queued if created else outcome.existing).append(export.pk)
    return outcome
