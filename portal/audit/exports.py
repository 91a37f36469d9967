"""Exports of the audit trail too large for one request: a Celery task writes them into a
private file, which the person who asked downloads when the status page says it is ready.

Small exports still stream straight away (see views.py); the size at which they move here is
AUDIT_EXPORT_STREAM_LIMIT events.
"""

import csv
import hashlib
import io
import secrets
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.audit import selectors, services
from portal.audit.forms import EventFilterForm
from portal.audit.models import AuditExport, ExportStatus
from portal.env import private_dir


def export_dir() -> Path:
    return private_dir(Path(settings.AUDIT_EXPORT_DIR))


def export_request(*, by, export_format: str, filters: dict) -> AuditExport:
    """Record the export (in the audit trail too) and queue it once the request commits."""
    from portal.audit.tasks import audit_export_run

    with transaction.atomic():
        export = AuditExport.objects.create(
            requested_by=by, export_format=export_format, filters=filters
        )
        services.log_export_record(by=by, filters=filters, export_format=export_format)
    audit_export_run.delay_on_commit(export.pk)
    return export


def export_run(export_id: int) -> None:
    """Write the export's file. A conditional update claims it, so two workers never both do."""
    claimed = AuditExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if claimed != 1:
        return
    export = AuditExport.objects.select_related("requested_by").get(pk=export_id)
    target = export_dir() / f"{secrets.token_hex(16)}.{export.export_format}"
    try:
        lines, size, digest = _write(export, target)
    except Exception as error:  # the person sees why, and can ask again
        target.unlink(missing_ok=True)
        AuditExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED,
            error=f"The export failed ({type(error).__name__}); ask for it again.",
            finished_at=timezone.now(),
        )
        raise
    AuditExport.objects.filter(pk=export_id).update(
        status=ExportStatus.DONE,
        file_name=target.name,
        lines=lines,
        size=size,
        sha256=digest,
        finished_at=timezone.now(),
    )


def _lines(export: AuditExport) -> Iterator[str]:
    """The same lines the streamed export gives, for the same person and filters."""
    user = export.requested_by
    scope = selectors.audit_scope(user=user)
    form = EventFilterForm(
        export.filters,
        teams=selectors.visible_teams(user=user, scope=scope),
        people=selectors.people(scope=scope),
    )
    if not form.is_valid():
        raise ValueError("the filters no longer apply")
    matching = selectors.events_filter(
        events=selectors.events_for(user=user, scope=scope), **form.filters()
    )
    if export.export_format == "jsonl":
        yield from selectors.events_jsonl_lines(events=matching, filters=export.filters)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in selectors.events_csv_rows(events=matching):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _write(export: AuditExport, target: Path) -> tuple[int, int, str]:
    digest, lines, size = hashlib.sha256(), 0, 0
    with target.open("xb") as out:
        target.chmod(0o600)
        for line in _lines(export):
            data = line.encode()
            out.write(data)
            digest.update(data)
            lines, size = lines + 1, size + len(data)
    return lines, size, digest.hexdigest()


def export_file(export: AuditExport) -> Path:
    return export_dir() / export.file_name
