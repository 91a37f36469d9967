"""Secrets never reach a log line: each shape, through the handler the settings configure."""

import io
import json
import logging

import pytest

from portal.audit.redaction import (
    MASK,
    RedactingFilter,
    redact,
    redact_audit,
    redact_audit_value,
)

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


def test_it_leaves_ordinary_text_alone():
    text = "checklists.attestation.approved for kopi-kita, 3 answers, version 12"
    assert redact(text) == text


HEX40 = "8b1a9953c4611296a827abf8c47804d7a1b2c3d4"
HEX64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.mark.parametrize("secret", [HEX40, HEX64, HEX64.upper()])
def test_it_masks_40_and_64_hex_digit_secrets_in_log_lines(log_lines, secret):
    logging.getLogger("portal.test").warning("provider answered with %s", secret)
    (line,) = log_lines()
    assert secret not in json.dumps(line)
    assert line["message"] == f"provider answered with {MASK}"


def test_the_audit_rule_masks_only_structured_secrets():
    assert redact_audit(f"Authorization: Bearer {JWT}") == f"Authorization: Bearer {MASK}"
    assert redact_audit(f"api_key={CLIENT_TOKEN}&x=1") == f"api_key={MASK}&x=1"
    assert MASK in redact_audit(f"key {PEM}") and "MIIEvQ" not in redact_audit(f"key {PEM}")
    for text in (
        "pen-test-report-2026Q3-final_v2.pdf",
        f"sha256 {HEX64}",
        "stray value wK9pL2mN7qR4sT1vX8yZ3bC6dF0gH5jA in a message",
    ):
        assert redact_audit(text) == text
    assert redact_audit_value({"client_secret": "abc", "file": "final_v2_2026Q3.pdf"}) == {
        "client_secret": MASK,
        "file": "final_v2_2026Q3.pdf",
    }


def test_the_log_rule_stays_broad():
    assert redact("pen-test-report-2026Q3-final_v2.pdf") == f"{MASK}.pdf"


def test_a_record_may_name_fields_that_are_public_by_design(log_lines):
    logging.getLogger("portal.test").info(
        "signed",
        extra={
            "checkpoint": {"hash": HEX64, "signature": "c2lnbmF0dXJl" * 8},
            "other": {"hash": HEX64},
            "unredacted": ("checkpoint",),
        },
    )
    (line,) = log_lines()
    assert line["checkpoint"] == {"hash": HEX64, "signature": "c2lnbmF0dXJl" * 8}
    assert line["other"] == {"hash": MASK}


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


@pytest.mark.parametrize(
    "token", ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "Zx9-Qw_3", "only-letters-and-dashes"]
)
def test_it_masks_a_calendar_feed_address_whatever_its_token_looks_like(token):
    line = f'"GET /calendar/{token}.ics HTTP/1.1" 404'
    assert token not in redact(line)
    assert "/calendar/" in redact(line)
