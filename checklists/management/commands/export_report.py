"""Export a team's signed report for a quarter to a file, for scripted use.

    manage.py export_report --team kopi-kita --period 2026-Q4 --out kopi-2026-Q4.pdf
    manage.py export_report --all --period 2026-Q4 --out organisation-2026-Q4.pdf

The export is recorded like one requested in the portal (so the verify page recognises the
file), runs here rather than in a worker, and is written to --out only once it is complete.
A quarter's FINAL report that exists already is written out as it was made.
"""

import os
import tempfile
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from checklists.models import ExportStatus, ReportExport, RequestedVia
from checklists.periods import Quarter
from checklists.reports import services, storage
from portal.accounts.models import Team

WAIT_SECONDS = 15 * 60


class Command(BaseCommand):
    help = "Export a team's (or with --all, the organisation's) signed PDF report to a file."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--team", help="the team's slug")
        which.add_argument("--all", action="store_true", help="the organisation report")
        parser.add_argument("--period", required=True, help="a quarter, e.g. 2026-Q4")
        parser.add_argument("--out", required=True, type=Path, help="the PDF file to write")

    def handle(self, *args, period: str, out: Path | str, team=None, **options):
        out = Path(out)
        try:
            quarter = Quarter.parse(period)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        found = Team.objects.filter(slug=team).first() if team else None
        if team and found is None:
            raise CommandError(f"No team has the slug {team!r}.")
        if not out.parent.is_dir():
            raise CommandError(f"The folder of --out ({out.parent}) does not exist.")
        try:
            export, _ = services.report_request(
                team=found, period=str(quarter), via=RequestedVia.COMMAND
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        services.report_run(export_id=export.pk)
        export = self._finished(export)
        if export.status != ExportStatus.DONE:
            raise CommandError(f"The export failed: {export.error}")
        self._write(out, storage.report_read(export.blob_name))
        self.stdout.write(
            f"Wrote {out}: {export}, {export.page_count} pages, {export.size} bytes, "
            f"SHA-256 {export.sha256}."
        )

    def _finished(self, export: ReportExport) -> ReportExport:
        """The export once it is done or failed (a worker may be producing it)."""
        deadline = time.monotonic() + WAIT_SECONDS
        export.refresh_from_db()
        while export.is_active:
            if time.monotonic() > deadline:
                raise CommandError(f"{export} did not finish in time; see its status page.")
            time.sleep(1)
            export.refresh_from_db()
        return export

    def _write(self, out: Path, data: bytes) -> None:
        fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, out)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
