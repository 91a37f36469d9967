import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from portal.audit import chain, signing
from portal.audit.models import AuditCheckpoint, AuditEvent
from portal.audit.tasks import audit_checkpoint_sign
from portal.audit.verification import verify_chain
from portal.celery import app as celery_app
from tests.audit.conftest import record_many

pytestmark = pytest.mark.django_db


def test_it_signs_the_chain_head():
    events = record_many(3)
    checkpoint_id = audit_checkpoint_sign.delay().get()
    checkpoint = AuditCheckpoint.objects.get(pk=checkpoint_id)
    assert (checkpoint.sequence, checkpoint.hash) == (3, events[-1].hash)
    assert checkpoint.key_id == signing.key_id()
    message = chain.checkpoint_message(
        sequence=3, hash=events[-1].hash, created_at=checkpoint.created_at, key_id=checkpoint.key_id
    )
    assert signing.signature_valid(message, checkpoint.signature)
    assert not signing.signature_valid(
        message.replace(b'"sequence":3', b'"sequence":2'), checkpoint.signature
    )


def test_it_records_the_checkpoint_as_an_event():
    record_many(2)
    audit_checkpoint_sign.delay()
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "audit.checkpoint.signed"
    assert event.changes["sequence"] == 2
    assert verify_chain().ok


def test_it_signs_an_empty_chain():
    checkpoint = AuditCheckpoint.objects.get(pk=audit_checkpoint_sign.delay().get())
    assert (checkpoint.sequence, checkpoint.hash) == (0, chain.GENESIS_HASH)
    assert verify_chain().ok


def test_it_generates_a_private_local_key_on_first_use(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY_FILE = None
    settings.DEBUG = True  # local runs only
    audit_checkpoint_sign.delay()
    path = tmp_path / "keys" / "audit-signing-key.pem"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    first_id = signing.key_id()
    audit_checkpoint_sign.delay()
    assert set(AuditCheckpoint.objects.values_list("key_id", flat=True)) == {first_id}


def test_it_uses_the_key_named_by_the_settings(settings, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "mounted.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.AUDIT_SIGNING_KEY_FILE = str(path)
    record_many(1)
    checkpoint = AuditCheckpoint.objects.get(pk=audit_checkpoint_sign.delay().get())
    assert checkpoint.key_id == signing.key_id(key)
    assert not (tmp_path / "keys").exists()
    assert verify_chain().ok


def test_it_refuses_a_missing_key_file(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "absent.pem")
    with pytest.raises(ImproperlyConfigured):
        audit_checkpoint_sign.delay()
    assert not AuditCheckpoint.objects.exists()


def test_it_refuses_a_key_of_another_kind(settings, tmp_path):
    key = ec.generate_private_key(ec.SECP384R1())
    path = tmp_path / "p384.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.AUDIT_SIGNING_KEY_FILE = str(path)
    with pytest.raises(ImproperlyConfigured, match="Ed25519 or ECDSA P-256"):
        audit_checkpoint_sign.delay()


def test_it_requires_a_key_file_in_production(settings):
    settings.AUDIT_SIGNING_KEY_FILE = None
    with pytest.raises(ImproperlyConfigured, match="AUDIT_SIGNING_KEY_FILE is required"):
        audit_checkpoint_sign.delay()


def test_it_is_scheduled_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint-sign"]
    assert entry["task"] == "portal.audit.tasks.audit_checkpoint_sign"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {0}


def test_it_writes_each_checkpoint_to_the_log_for_a_siem(django_capture_on_commit_callbacks):
    import io
    import json
    import logging

    from portal.audit.redaction import RedactingFilter

    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactingFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    try:
        record_many(2)
        with django_capture_on_commit_callbacks(execute=True):
            checkpoint = AuditCheckpoint.objects.get(pk=audit_checkpoint_sign.delay().get())
    finally:
        handler.setStream(original)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    (line,) = [line for line in lines if line["logger"] == "portal.audit.checkpoint"]
    assert line["checkpoint"] == {
        "sequence": 2,
        "hash": checkpoint.hash,
        "created_at": chain.format_time(checkpoint.created_at),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }
    assert line["message"] == "audit checkpoint signed at sequence 2"


def test_it_prints_the_public_key_to_publish(tmp_path):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("audit_public_key", stdout=out)
    pem = out.getvalue()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem
    public = serialization.load_pem_public_key(pem.encode())
    assert signing._public_key_id(public) == signing.key_id()
    out = io.StringIO()
    call_command("audit_public_key", "--key-id", stdout=out)
    assert out.getvalue().strip() == signing.key_id()
