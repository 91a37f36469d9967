"""Deploy checks: what the portal cannot safely run without in production."""

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from portal.env import UNCONFIGURED_EMAIL_BACKEND

# Backends that keep mail in the process or print it (a password reset link in a log is an
# account takeover waiting to happen).
NOT_A_MAIL_SERVER = {
    UNCONFIGURED_EMAIL_BACKEND: "EMAIL_URL (or EMAIL_URL_FILE) is not set",
    "django.core.mail.backends.console.EmailBackend": "EMAIL_URL prints mail to the console",
    "django.core.mail.backends.locmem.EmailBackend": "EMAIL_URL keeps mail in memory",
    "django.core.mail.backends.dummy.EmailBackend": "EMAIL_URL discards mail",
    "django.core.mail.backends.filebased.EmailBackend": "EMAIL_URL writes mail to files",
}
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.security, deploy=True)
def production_keys(app_configs, **kwargs):
    errors = []
    if settings.EVIDENCE_KEYS:
        from checklists.evidence.crypto import parse_keys

        try:
            parse_keys(list(settings.EVIDENCE_KEYS))
        except ImproperlyConfigured as exc:  # the message names the entry, never the key
            errors.append(
                Error(
                    f"EVIDENCE_KEYS is malformed: {exc}",
                    hint="Give keyid:base64(32 random bytes), comma-separated, newest first.",
                    id="portal.E003",
                )
            )
    if settings.DEBUG:
        return errors
    if not settings.EVIDENCE_KEYS:
        errors.append(
            Error(
                "EVIDENCE_KEYS (or EVIDENCE_KEYS_FILE) is not set: evidence cannot be encrypted.",
                hint="Give keyid:base64(32 random bytes), newest first.",
                id="portal.E001",
            )
        )
    if not settings.AUDIT_SIGNING_KEY_FILE:
        errors.append(
            Error(
                "AUDIT_SIGNING_KEY_FILE is not set: audit checkpoints cannot be signed.",
                hint="Mount an Ed25519 or ECDSA P-256 private key (PEM) and name its path.",
                id="portal.E002",
            )
        )
    errors += _report_signing()
    return errors


def _report_signing() -> list[Error]:
    has_pem = settings.REPORT_SIGNING_KEY_FILE and settings.REPORT_SIGNING_CERT_FILE
    if not (has_pem or settings.REPORT_SIGNING_PKCS12_FILE):
        return [
            Error(
                "REPORT_SIGNING_KEY_FILE and REPORT_SIGNING_CERT_FILE (or "
                "REPORT_SIGNING_PKCS12_FILE) are not set: reports cannot be signed.",
                hint="Mount an ECDSA P-256 private key and its certificate chain (PEM, signing "
                "certificate first).",
                id="portal.E010",
            )
        ]
    from checklists.reports.signing import load_signer

    errors = []
    try:
        load_signer()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="portal.E011"))
    if not settings.REPORT_TRUST_ROOT_FILES:
        errors.append(
            Error(
                "REPORT_TRUST_ROOT_FILES is not set: uploaded reports cannot be checked against "
                "a trusted root.",
                hint="Name the PEM certificate(s) that report signatures must chain to.",
                id="portal.E012",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def production_mail(app_configs, **kwargs):
    if settings.DEBUG or settings.EMAIL_BACKEND not in NOT_A_MAIL_SERVER:
        return []
    return [
        Error(
            f"{NOT_A_MAIL_SERVER[settings.EMAIL_BACKEND]}: password reset links and reminders "
            "would not reach people, or would land in the logs.",
            hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
            id="portal.E004",
        )
    ]


@register(deploy=True)
def production_background_work(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    warnings = []
    if not settings.CELERY_BROKER_URL:
        warnings.append(
            Warning(
                "CELERY_BROKER_URL is not set: background tasks run inside the web request "
                "that starts them, and the beat schedule (audit checkpoints, session cleanup) "
                "never runs.",
                hint="Set CELERY_BROKER_URL (e.g. redis://redis:6379/0) and run a worker and "
                "one beat.",
                id="portal.W001",
            )
        )
    if settings.CACHES["default"]["BACKEND"] in PROCESS_LOCAL_CACHES:
        warnings.append(
            Warning(
                "CACHE_URL is not set: the cache is per process, so password reset throttles "
                "are counted separately by every worker.",
                hint="Set CACHE_URL to a cache every web node shares, e.g. redis://redis:6379/1.",
                id="portal.W002",
            )
        )
    return warnings


def _open_to_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except FileNotFoundError:
        return False


@register(Tags.security, deploy=True)
def private_data(app_configs, **kwargs):
    """The data folder holds the SQLite database and local keys: owner only."""
    warnings = []
    data_dir = Path(settings.DATA_DIR)
    database = settings.DATABASES["default"]
    paths = [data_dir]
    if database["ENGINE"] in ("portal.sqlite3", "django.db.backends.sqlite3"):
        paths.append(Path(str(database["NAME"])))
    for path in paths:
        if _open_to_others(path):
            warnings.append(
                Warning(
                    f"{path} can be read by other users of this machine.",
                    hint=f"chmod {'700' if path.is_dir() else '600'} {path}",
                    id="portal.W003",
                )
            )
    return warnings


@register()
def object_storage(app_configs, **kwargs):
    """Evidence or reports kept in a bucket (EVIDENCE_STORAGE / REPORT_STORAGE = s3)."""
    errors = []
    places: dict[tuple, list[str]] = {}
    for setting, alias in (("EVIDENCE_STORAGE", "evidence"), ("REPORT_STORAGE", "reports")):
        if getattr(settings, setting, "folder") != "s3":
            continue
        options = settings.STORAGES.get(alias, {}).get("OPTIONS", {})
        bucket = options.get("bucket_name") or getattr(settings, "AWS_STORAGE_BUCKET_NAME", None)
        if not bucket:
            errors.append(
                Error(
                    f"{setting} is s3 but AWS_STORAGE_BUCKET_NAME is not set: "
                    f"{alias} cannot be stored or read.",
                    hint="Set AWS_STORAGE_BUCKET_NAME (and AWS_S3_ENDPOINT_URL and "
                    "AWS_S3_REGION_NAME for a service other than AWS S3), or unset "
                    f"{setting} to keep {alias} in a folder.",
                    id="portal.E020",
                )
            )
        places.setdefault((bucket, options.get("location", "")), []).append(setting)
    for (bucket, prefix), shared_by in places.items():
        if len(shared_by) > 1:
            errors.append(
                Error(
                    f"Evidence and reports share the prefix {prefix!r} of bucket {bucket!r}: "
                    "each would list the other's blobs.",
                    hint="Give EVIDENCE_STORAGE_PREFIX and REPORT_STORAGE_PREFIX different values.",
                    id="portal.E021",
                )
            )
    return errors
