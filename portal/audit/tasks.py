from celery import shared_task

from portal.audit import services


@shared_task(time_limit=120, soft_time_limit=100)
def audit_checkpoint_sign() -> int:
    """Daily (see CELERY_BEAT_SCHEDULE): sign the chain head; returns the checkpoint's id.

    Running it twice only adds a second, equally valid checkpoint.
    """
    return services.checkpoint_create().pk


@shared_task(time_limit=3600, soft_time_limit=3500)
def audit_log_verify() -> bool:
    """Nightly (see CELERY_BEAT_SCHEDULE): verify the whole chain and record the result,
    which the audit trail page shows; returns whether the chain is intact."""
    return services.log_verify(how=NIGHTLY_CHECK).ok


NIGHTLY_CHECK = "Nightly check"


@shared_task(time_limit=3600, soft_time_limit=3500)
def audit_export_run(export_id: int) -> None:
    """Prepare a large audit export (see portal/audit/exports.py)."""
    from portal.audit import exports

    exports.export_run(export_id)
