"""Verify a signed report: the signature, the stored export it came from, its attached JSON.

    manage.py verify_report report.pdf

Exits 0 when every check passes, 1 otherwise, printing each finding in plain words.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from checklists.reports import services


class Command(BaseCommand):
    help = "Verify a signed PDF report produced by the portal."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the PDF to check")

    def handle(self, *args, file: Path | str, **options):
        file = Path(file)
        try:
            size = file.stat().st_size
        except OSError as error:
            raise CommandError(f"{file} cannot be read: {error.strerror}.") from error
        if size > settings.REPORT_VERIFY_MAX_BYTES:
            raise CommandError(f"{file} is larger than any report of the portal.")
        result = services.report_verify(data=file.read_bytes())
        for finding in result.findings:
            self.stdout.write(f"{'ok  ' if finding.ok else 'FAIL'} {finding.text}")
        self.stdout.write(f"SHA-256 {result.sha256}")
        if not result.ok:
            raise CommandError(result.verdict)
        self.stdout.write(self.style.SUCCESS(result.verdict))
