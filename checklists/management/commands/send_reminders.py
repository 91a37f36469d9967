"""Send today's reminder digests now, as the daily task does.

    manage.py send_reminders
    manage.py send_reminders --date 2026-12-07

Each person gets at most one digest per day: running it again the same day sends nothing new.
"""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError

from checklists.services.reminders import send_reminders


class Command(BaseCommand):
    help = "Mail each person their reminder digest for today (or --date), once per day."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to send for, YYYY-MM-DD (default: today)")

    def handle(self, *args, date: str | None = None, **options):
        day = _parse(date) if date else None
        counts = send_reminders(today=day)
        self.stdout.write(counts.describe())
        if counts.failed:
            raise CommandError(f"{counts.failed} digest(s) could not be sent; see the log.")


def _parse(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"--date must be a day as YYYY-MM-DD, not {text!r}.") from None
