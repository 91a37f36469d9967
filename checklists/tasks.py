"""Background work of the checklists app: each task loads by id and calls a service."""

from celery import shared_task

from checklists.periods import Quarter
from checklists.reports import services as reports


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def report_export_run(export_id: int) -> str | None:
    """Produce one queued report export; returns its status, or None if another worker has
    it. Running it twice is harmless: only the run that claims the export does the work."""
    export = reports.report_run(export_id=export_id)
    return export.status if export is not None else None


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def reports_quarterly_export() -> dict:
    """After each quarter ends (see CELERY_BEAT_SCHEDULE): request every team's FINAL report
    of the quarter that just ended. Each export then runs as its own task."""
    outcome = reports.report_request_quarter(period=str(Quarter.current().previous()))
    return {
        "queued": outcome.queued,
        "existing": outcome.existing,
        "failed": outcome.failed,
    }


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def obligations_nightly() -> dict:
    """Every night (see CELERY_BEAT_SCHEDULE): note the occurrences that went overdue, one
    team per transaction. Running it twice is harmless: the second run notes nothing."""
    from checklists.services.nightly import obligations_nightly as run

    counts = run()
    return {"teams": counts.teams, "noted": counts.noted, "failed": counts.failed}


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def reminders_send_daily() -> dict:
    """Every morning (see CELERY_BEAT_SCHEDULE): each person's reminder digest. Running it
    twice the same day sends nothing new: each digest is claimed before it is sent."""
    from checklists.services.reminders import send_reminders

    counts = send_reminders()
    return {
        "sent": counts.sent,
        "nothing_due": counts.nothing_due,
        "already_sent": counts.already_sent,
        "failed": counts.failed,
    }
