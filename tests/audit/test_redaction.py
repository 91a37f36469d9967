"""Secrets never reach a log line: each shape, through the handler the settings configure."""

import io
import json
import logging

import pytest

from portal.audit.redaction import MASK, RedactingFilter, redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZXJjaGFudC00MiJ9.Zm9vYmFyYmF6cXV4c2VjcmV0"
CLIENT_TOKEN = "gp_live_9fK2mQ7xL4vN8cR1tZ6wB3yH"
PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
    "-----END PRIVATE KEY-----"
)


@pytest.fixture
def log_lines():
    """Route the root logger's configured console handler into a buffer and read JSON lines."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactingFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(original)


@pytest.mark.parametrize(
    "message, secret",
    [
        (f"upstream call with Authorization: Bearer {JWT}", JWT),
        (
            "headers={'Authorization': 'Basic dXNlcjpodW50ZXIyaHVudGVyMg=='}",
            "dXNlcjpodW50ZXIyaHVudGVyMg==",
        ),
        (f"GET /v1/mini-apps/authorizations/token?token={CLIENT_TOKEN}&lang=en", CLIENT_TOKEN),
        ("config api_key=sk-live-2b7Qx9 loaded", "sk-live-2b7Qx9"),
        ('login payload {"username": "ana", "password": "hunter2hunter2"}', "hunter2hunter2"),
        ("app_secret: 1a2b3c", "1a2b3c"),
        (f"key material {PEM}", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"),
        (
            "stray value wK9pL2mN7qR4sT1vX8yZ3bC6dF0gH5jA in a message",
            "wK9pL2mN7qR4sT1vX8yZ3bC6dF0gH5jA",
        ),
        (
            "WeChat AppSecret 8b1a9953c4611296a827abf8c47804d7 rotated",
            "8b1a9953c4611296a827abf8c47804d7",
        ),
    ],
)
def test_it_masks_each_secret_shape_in_log_lines(log_lines, message, secret):
    logging.getLogger("portal.test").warning(message)
    (line,) = log_lines()
    assert secret not in json.dumps(line)
    assert MASK in line["message"]


def test_it_masks_secrets_passed_as_arguments(log_lines):
    logging.getLogger("portal.test").info("calling %s with token=%s", "/rewards", CLIENT_TOKEN)
    (line,) = log_lines()
    assert CLIENT_TOKEN not in line["message"]
    assert line["message"].startswith("calling /rewards with token=")


def test_it_masks_secrets_in_exceptions(log_lines):
    try:
        raise RuntimeError(f"provider refused Authorization: Bearer {JWT}")
    except RuntimeError:
        logging.getLogger("portal.test").exception("payment lookup failed")
    (line,) = log_lines()
    assert JWT not in json.dumps(line)
    assert "RuntimeError: provider refused Authorization: Bearer [REDACTED]" in line["exc_info"]


def test_it_masks_secrets_in_extra_fields(log_lines):
    logging.getLogger("portal.test").info("request", extra={"query": f"api_key={CLIENT_TOKEN}"})
    (line,) = log_lines()
    assert CLIENT_TOKEN not in json.dumps(line)


def test_it_writes_structured_lines_with_the_request_id(client, db, log_lines):
    request_id = "0f3c2a9b6d8e4f1a9c7b5d3e1f2a4b6c"
    response = client.get("/no-such-page?token=" + CLIENT_TOKEN, HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 404
    assert response["X-Request-ID"] == request_id
    line = next(line for line in log_lines() if line["logger"] == "django.request")
    assert line["level"] == "WARNING" and line["request_id"] == request_id
    assert line["time"]
    assert CLIENT_TOKEN not in json.dumps(line)


def test_it_leaves_ordinary_text_and_digests_alone():
    text = (
        "checklists.attestation.approved for kopi-kita sha256="
        + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )
    assert redact(text) == text


def test_every_handler_of_djangos_loggers_redacts():
    for name in ("", "django", "django.request", "django.server", "django.security"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):
                    continue  # pytest's own capture
                assert any(isinstance(f, RedactingFilter) for f in handler.filters), (name, handler)
            logger = logger.parent if logger.propagate else None


def test_an_object_label_is_stored_masked(db):
    from portal.audit import services as audit
    from portal.audit.models import AuditEvent

    class Thing:
        pk = 1

        class _meta:  # noqa: N801  (stands in for a model's options)
            label_lower = "tests.thing"

        def __str__(self):
            return f"callback https://pay.example.com/cb?api_key={CLIENT_TOKEN}"

    event = audit.record("tests.thing.created", obj=Thing())
    stored = AuditEvent.objects.get(pk=event.pk)
    assert CLIENT_TOKEN not in stored.object_label and MASK in stored.object_label
