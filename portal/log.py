"""Logging for every process the portal runs (Django, Celery, gunicorn).

One JSON line per record, carrying the request id; every handler masks secrets
(portal.audit.redaction) in messages, arguments and tracebacks. Nothing here needs Django's
settings, so gunicorn's master process can load it before the application.
"""

from typing import Any


def logging_config(level: str = "INFO") -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "django_guid.log_filters.CorrelationId"},
            "redact": {"()": "portal.audit.redaction.RedactingFilter"},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(correlation_id)s %(message)s",
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                "rename_fields": {
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "correlation_id": "request_id",
                },
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id", "redact"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers would print unredacted lines: route its loggers through ours.
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "django.server": {"handlers": ["console"], "level": level, "propagate": False},
            "django.db.backends": {"level": "INFO"},
            "axes": {"level": "WARNING"},
            "django_guid": {"level": "WARNING"},
            # PDF rendering narrates every step at INFO.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def gunicorn_logging_config(level: str = "INFO") -> dict[str, Any]:
    """The same, with gunicorn's error log (worker tracebacks) and access log routed through
    the JSON and redacting handler instead of gunicorn's plain-text ones."""
    config = logging_config(level)
    config["loggers"].update(
        {
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        }
    )
    return config
