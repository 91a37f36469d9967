"""Settings for the compliance portal, read from the environment (see README)."""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from portal.env import (
    cache_config,
    database_config,
    email_config,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    local_secret_key,
)
from portal.log import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# `make` leaves var/local.env (DEBUG=true) on a developer's machine, so that the manage.py
# commands the README shows run as written there. The environment always wins, and a server,
# which never runs `make run` or `make test`, has no such file. PORTAL_LOCAL_ENV="" skips it.
LOCAL_ENV_FILE = Path(os.environ.get("PORTAL_LOCAL_ENV", BASE_DIR / "var" / "local.env"))
if LOCAL_ENV_FILE.is_file():
    environ.Env.read_env(LOCAL_ENV_FILE)
DATA_DIR = Path(env_str("PORTAL_DATA_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off")
    SECRET_KEY = local_secret_key(DATA_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal",  # first: its `changepassword` (audited) replaces django.contrib.auth's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_guid",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets, served as the portal's static files
    "portal.accounts",
    "portal.audit",
    "checklists",
    "portal.api",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.accounts.two_factor_middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.audit.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "portal.error_pages.PortalErrorPagesMiddleware",  # DEBUG only: the 404/400 users see
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.accounts.context_processors.navigation",
            ],
        },
    },
]

# DATABASE_URL (or DATABASE_URL_FILE, as it holds a password).
DATABASES = {
    "default": database_config(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Creates the file (and its folder) owner-only on first connection, not at import.
    DATABASES["default"]["ENGINE"] = "portal.sqlite3"
    # A file, not memory, so a Celery worker started by the tests sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # Several people at once on the embedded database: readers never wait for the writer
    # (WAL), a writer waits up to 20 s for another (busy timeout) instead of failing with
    # "database is locked", and a transaction takes the write lock when it starts (IMMEDIATE),
    # so it cannot fail half-way when it first writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
else:
    # Keep connections between requests (a new one per request costs more than the page),
    # checked before each request reuses them.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.accounts.password_validation.PatternPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

# Sessions end after 30 minutes without a request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: five failures lock the username from that address until an admin unlocks it.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = None
# Failures are forgotten when sign-in completes (after the second factor, see
# portal/accounts/two_factor.py), not when the password alone was right: otherwise signing in
# again with the password would wipe the count of wrong codes.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "portal.audit.context.client_ip"

# django-otp: authenticator apps show the account under this name. Its own throttling stays
# on (each wrong code doubles the wait), and wrong codes also count towards the lockout above.
OTP_TOTP_ISSUER = "Compliance portal"

# How many reverse proxies sit in front of the portal and append to X-Forwarded-For; 0 means
# clients connect directly and REMOTE_ADDR is their address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# django-guardian: no anonymous user row; permissions live in direct foreign-key tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Filled by collectstatic for production. Local runs (DEBUG) serve from the apps' folders
# through whitenoise's finders and have none, so nothing looks for a folder that isn't there.
STATIC_ROOT = None if DEBUG else DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Transport and cookie hardening, on by default whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# EMAIL_URL (or EMAIL_URL_FILE). Local runs print mail to the console; with DEBUG off and no
# EMAIL_URL nothing is sent (reset links must never reach a log), and the deploy check fails.
EMAIL_URL = env_str("EMAIL_URL") or ("consolemail://" if DEBUG else None)
_email = email_config(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"]
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@localhost")
# The portal's address as people reach it, for links in mails (no trailing slash needed).
PORTAL_URL = env_str("PORTAL_URL", "http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# CACHE_URL: the cache that throttles are counted in; every web node must share it in
# production (e.g. redis://redis:6379/1). The default is per process.
CACHES = {"default": cache_config(env_str("CACHE_URL") or "locmemcache://")}

# Password reset requests per hour, counted per client address and per e-mail address.
PASSWORD_RESET_PER_ADDRESS = env_int("PASSWORD_RESET_PER_ADDRESS", 10)
PASSWORD_RESET_PER_ACCOUNT = env_int("PASSWORD_RESET_PER_ACCOUNT", 3)
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for an hour

# Celery: with no broker configured, tasks run in-process and their errors propagate.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or None
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "portal.accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    "audit-checkpoint-sign": {
        "task": "portal.audit.tasks.audit_checkpoint_sign",
        "schedule": crontab(hour=0, minute=5),
    },
    "audit-log-verify": {
        "task": "portal.audit.tasks.audit_log_verify",
        "schedule": crontab(hour=0, minute=35),
    },
    "reports-quarterly-export": {
        "task": "checklists.tasks.reports_quarterly_export",
        # 02:30 UTC on the first day of each quarter: the quarter that just ended.
        "schedule": crontab(minute=30, hour=2, day_of_month=1, month_of_year="1,4,7,10"),
    },
    "obligations-nightly": {
        "task": "checklists.tasks.obligations_nightly",
        # 01:30 UTC: note the occurrences that went overdue yesterday.
        "schedule": crontab(hour=1, minute=30),
    },
    "reminders-send-daily": {
        "task": "checklists.tasks.reminders_send_daily",
        # 06:00 UTC: each person's digest, before the working day.
        "schedule": crontab(hour=6, minute=0),
    },
}

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    "INTEGRATIONS": [],
    "UUID_LENGTH": 32,
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = logging_config(LOG_LEVEL)  # JSON lines, request ids, secrets masked

# The audit trail's checkpoint signing key (PEM, Ed25519 or ECDSA P-256); required to sign
# when DEBUG is off, generated under DATA_DIR/keys for local runs. Only the signing node
# needs it: verification reads public keys.
AUDIT_SIGNING_KEY_FILE = env_str("AUDIT_SIGNING_KEY_FILE") or None
# The public keys (PEM files) whose checkpoints verification accepts: the current one
# (`manage.py audit_public_key` prints it) and, after a rotation, the retired ones.
# AUDIT_RETIRED_PUBLIC_KEY_FILES is an older name for the same list; both are read.
AUDIT_PUBLIC_KEY_FILES = env_list("AUDIT_PUBLIC_KEY_FILES", [])
AUDIT_RETIRED_PUBLIC_KEY_FILES = env_list("AUDIT_RETIRED_PUBLIC_KEY_FILES", [])
# Seconds the newest signed checkpoint may age before verify_audit_log exits 2 (stale).
AUDIT_CHECKPOINT_MAX_AGE = env_int("AUDIT_CHECKPOINT_MAX_AGE", 2 * 24 * 3600)
# Exports of more events than this are prepared by a Celery task into AUDIT_EXPORT_DIR (a
# private folder) instead of streaming within the request, which would outlast its timeout.
AUDIT_EXPORT_STREAM_LIMIT = env_int("AUDIT_EXPORT_STREAM_LIMIT", 50_000)
AUDIT_EXPORT_DIR = Path(env_str("AUDIT_EXPORT_DIR") or DATA_DIR / "exports")
# The key of every audit event's MAC (portal/audit/mac.py): held by the web and worker nodes,
# never by the database. Appending events needs it when DEBUG is off; generated under
# DATA_DIR/keys for local runs. Verification without it reports "MAC not checked".
AUDIT_MAC_KEY = env_str("AUDIT_MAC_KEY") or None
if not AUDIT_MAC_KEY and DEBUG:
    AUDIT_MAC_KEY = local_secret_key(DATA_DIR / "keys" / "audit-mac-key")

# Object storage for evidence and reports (checklists/evidence/stores.py). "folder" (the
# default) keeps blobs under EVIDENCE_ROOT and REPORT_ROOT; "s3" keeps them in the bucket
# AWS_STORAGE_BUCKET_NAME of any S3-compatible service through django-storages (STORAGES
# "evidence" and "reports"), evidence under the key prefix EVIDENCE_STORAGE_PREFIX and reports
# under REPORT_STORAGE_PREFIX, so web and worker nodes share no volume. REPORT_STORAGE follows
# EVIDENCE_STORAGE unless set. Only ciphertext is uploaded: evidence is always sealed, and
# reports kept in a bucket are sealed under EVIDENCE_KEYS too. Without AWS_ACCESS_KEY_ID, boto3
# finds credentials itself (instance or task role). `manage.py check` reports a missing bucket.
BLOB_STORAGE_KINDS = ("folder", "s3")
EVIDENCE_STORAGE = env_choice("EVIDENCE_STORAGE", BLOB_STORAGE_KINDS, "folder")
REPORT_STORAGE = env_choice("REPORT_STORAGE", BLOB_STORAGE_KINDS, EVIDENCE_STORAGE)
EVIDENCE_STORAGE_PREFIX = (env_str("EVIDENCE_STORAGE_PREFIX") or "evidence").strip("/")
REPORT_STORAGE_PREFIX = (env_str("REPORT_STORAGE_PREFIX") or "reports").strip("/")
S3_OPTIONS = {
    "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME") or None,
    "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
    "region_name": env_str("AWS_S3_REGION_NAME") or None,
    "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,
    "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
    "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
    "file_overwrite": True,  # a blob is replaced in place, never saved under a new name
    "default_acl": None,  # the bucket's own policy: private
    "max_memory_size": 1024 * 1024,  # a larger download spools to a temp file (ciphertext)
}
for _alias, _kind, _prefix in (
    ("evidence", EVIDENCE_STORAGE, EVIDENCE_STORAGE_PREFIX),
    ("reports", REPORT_STORAGE, REPORT_STORAGE_PREFIX),
):
    if _kind == "s3":
        STORAGES[_alias] = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**S3_OPTIONS, "location": _prefix},
        }
# botocore's debug lines carry signed request headers and credential lookups: keep them out.
for _logger in ("boto3", "botocore", "s3transfer", "urllib3"):
    LOGGING["loggers"][_logger] = {"level": "WARNING"}

# Evidence files (checklists/evidence): encrypted at rest with AES-256-GCM under random names,
# outside the static and media roots. EVIDENCE_KEYS (or EVIDENCE_KEYS_FILE) is a comma- or
# newline-separated list of keyid:base64(32 bytes), newest first: the first seals new files,
# all of them open old ones (`manage.py rotate_evidence_keys` re-seals under the first and
# rewrites format version 1 blobs as version 2). With DEBUG on and no keys, a local key is
# generated under DATA_DIR/keys; with DEBUG off and no keys, storing or opening evidence raises
# ImproperlyConfigured.
EVIDENCE_ROOT = Path(env_str("EVIDENCE_ROOT") or DATA_DIR / "evidence")
# Which BlobStore keeps the sealed blobs (checklists/evidence/stores.py).
_BLOB_STORES = {
    "folder": "checklists.evidence.stores.FolderStore",
    "s3": "checklists.evidence.stores.StorageStore",
}
EVIDENCE_STORE = env_str("EVIDENCE_STORE") or _BLOB_STORES[EVIDENCE_STORAGE]
# Multipart bodies: refused unread when declared larger than EVIDENCE_MAX_BYTES plus
# EVIDENCE_UPLOAD_FORM_MARGIN (or than the margin alone, signed out), stopped once that much
# is received, and a file part from a signed-out request is refused before a byte is kept.
# Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE wait in EVIDENCE_SPOOL_DIR, sealed under a
# key held only in memory, until they are scanned and encrypted; they go when the request ends.
FILE_UPLOAD_HANDLERS = [
    "checklists.evidence.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "checklists.evidence.uploads.SealedFileUploadHandler",
]
EVIDENCE_SPOOL_DIR = Path(env_str("EVIDENCE_SPOOL_DIR") or DATA_DIR / "uploads")
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
EVIDENCE_UPLOAD_FORM_MARGIN = 64 * 1024
EVIDENCE_KEYS = [
    entry.strip()
    for entry in (env_str("EVIDENCE_KEYS") or "").replace("\n", ",").split(",")
    if entry.strip()
]

# Signed PDF reports (checklists/reports). The signing key (PEM, ECDSA P-256 preferred, with
# REPORT_SIGNING_KEY_PASSPHRASE or REPORT_SIGNING_KEY_PASSPHRASE_FILE if it is encrypted) and
# its certificate chain (PEM, the signing certificate first) are required when DEBUG is off;
# with DEBUG on and neither set, a self-signed development certificate is generated under
# DATA_DIR/keys on first use. REPORT_TRUST_ROOT_FILES (PEM, comma-separated) are the
# certificates verification trusts; with DEBUG on and none given, the signing certificate.
# REPORT_TSA_URL names an RFC 3161 timestamp authority: set, signatures are PAdES B-T.
REPORT_ROOT = Path(env_str("REPORT_ROOT") or DATA_DIR / "reports")
# The blob store (checklists/evidence/stores.py) that keeps reports: on REPORT_ROOT, or the
# "reports" storage backend.
REPORT_STORE = env_str("REPORT_STORE") or _BLOB_STORES[REPORT_STORAGE]
REPORT_SIGNING_KEY_FILE = env_str("REPORT_SIGNING_KEY_FILE") or None
REPORT_SIGNING_CERT_FILE = env_str("REPORT_SIGNING_CERT_FILE") or None
REPORT_SIGNING_KEY_PASSPHRASE = env_str("REPORT_SIGNING_KEY_PASSPHRASE") or None
# Or the key and its chain in one PKCS#12 bundle (its passphrase as above).
REPORT_SIGNING_PKCS12_FILE = env_str("REPORT_SIGNING_PKCS12_FILE") or None
REPORT_TRUST_ROOT_FILES = env_list("REPORT_TRUST_ROOT_FILES", [])
REPORT_TSA_URL = env_str("REPORT_TSA_URL") or None
# Largest PDF the verify page and command accept.
REPORT_VERIFY_MAX_BYTES = env_int("REPORT_VERIFY_MAX_BYTES", 50 * 1024 * 1024)

# The API (portal/api): a token (Authorization: Bearer cpt_…) or the signed-in session, which
# must have finished two-factor sign-in like any page. Requests per minute, counted in the
# shared cache: per token, per signed-in person, per address for anonymous requests, and
# refused tokens per address.
API_TOKEN_RATE_PER_MINUTE = env_int("API_TOKEN_RATE_PER_MINUTE", 600)
API_USER_RATE_PER_MINUTE = env_int("API_USER_RATE_PER_MINUTE", 600)
API_ANON_RATE_PER_MINUTE = env_int("API_ANON_RATE_PER_MINUTE", 60)
API_REFUSED_TOKEN_RATE_PER_MINUTE = env_int("API_REFUSED_TOKEN_RATE_PER_MINUTE", 30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttles.TokenRateThrottle",
        "portal.api.throttles.UserRateThrottle",
        "portal.api.throttles.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": f"{API_TOKEN_RATE_PER_MINUTE}/minute",
        "api_user": f"{API_USER_RATE_PER_MINUTE}/minute",
        "api_anon": f"{API_ANON_RATE_PER_MINUTE}/minute",
        "api_refused_token": f"{API_REFUSED_TOKEN_RATE_PER_MINUTE}/minute",
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.api_exception_handler",
}

# The API's OpenAPI 3 description (drf-spectacular) at /api/schema/, and Swagger UI at
# /api/docs/. Swagger UI's assets come from drf-spectacular-sidecar through the portal's own
# static files, since the Content-Security-Policy allows scripts and styles from 'self' only.
SPECTACULAR_SETTINGS = {
    "TITLE": "Compliance portal API",
    "DESCRIPTION": (
        "Read a team's checklists, answers, what is due and its signed reports, and upload "
        "evidence, through the same checks and audit trail as the portal's pages.\n\n"
        "Authenticate with an API token, `Authorization: Bearer cpt_…`: your own from "
        "**Your API tokens** (`/accounts/api-tokens/`), or for a pipeline a service account's, "
        "which a team lead makes (`/teams/<team>/service-accounts/`). "
        "A token reaches its own team only; another team's "
        "objects answer 404. The `read` scope reads; `evidence-write` also uploads evidence. "
        "An expired or revoked token answers 401, a read token that tries to write 403. "
        "Signed-in people may also use the API from their browser session.\n\n"
        'Every refusal is JSON: `{"detail": "…", "code": "…", "errors": {"field": ["…"]}}` '
        "(`errors` for invalid input only). Evidence refused by the portal (a secret found in "
        "it, a type it does not take, too large, a period that ends before it starts) answers "
        "400 with the reason, and nothing is stored.\n\n"
        "A pipeline client: `/api/client/upload_evidence.py`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [
        {"name": "caller", "description": "Who the token or session acts as."},
        {"name": "teams", "description": "The teams you may see."},
        {"name": "checklists", "description": "A team's checklists and their answers."},
        {"name": "evidence", "description": "Evidence of an answer: list and upload."},
        {"name": "due", "description": "What waits for a team, with due dates."},
        {"name": "obligations", "description": "Occurrences of recurring duties."},
        {"name": "reports", "description": "Signed PDF reports."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "AnswerStatusEnum": "checklists.models.AnswerStatus",
        "ReportStatusEnum": "checklists.models.ExportStatus",
        "OccurrenceStatusEnum": "portal.api.serializers.OCCURRENCE_STATUSES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}
