import io
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.audit import chain, services
from portal.audit.models import AuditCheckpoint, AuditEvent
from portal.audit.verification import verify_chain
from tests.audit.conftest import record_many, tampering

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit_log", "--chunk-size", "2", stdout=out)
    return out.getvalue()


def broken_at() -> str:
    with pytest.raises(CommandError) as error:
        verify()
    return str(error.value)


def test_it_reports_the_count_and_head_hash_of_an_intact_chain():
    events = record_many(5)
    output = verify()
    assert "intact: 5 events" in output
    assert f"head 5 {events[-1].hash}" in output


def test_it_passes_an_empty_chain():
    assert "intact: 0 events" in verify()


def test_it_exits_non_zero_when_broken():
    record_many(3)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'edited' WHERE sequence = 2")
    with pytest.raises(CommandError) as error:
        verify()
    assert error.value.returncode == 1  # what manage.py exits with
    assert "broken at sequence 2" in str(error.value)


def test_it_records_the_verification_as_an_event():
    record_many(3)
    verify()
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "audit.log.verified"
    assert event.changes["intact"] is True
    assert event.changes["count"] == 3
    assert "intact: 4 events" in verify()  # the record of a verification is chained too


def test_it_records_a_failed_verification_too():
    record_many(3)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE sequence = 1")
    broken_at()
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "audit.log.verified"
    assert event.changes["intact"] is False
    assert event.changes["first_bad_sequence"] == 1


def test_it_names_a_changed_row():
    record_many(5)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET changes = %s WHERE sequence = 3", ['{"n": [null, 99]}']
        )
    assert "broken at sequence 3: its contents do not match its hash" in broken_at()


def test_it_names_a_row_whose_hash_was_recomputed_after_a_change(settings):
    events = record_many(5)
    values = AuditEvent.objects.filter(sequence=3).values(*chain.HASHED_FIELDS).get()
    forged = chain.event_hash(dict(values, reason="quietly edited"))
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = 'quietly edited', hash = %s WHERE sequence = 3",
            [forged],
        )
    assert events[3].prev_hash != forged
    assert "broken at sequence 3: its MAC is missing or wrong" in broken_at()
    settings.AUDIT_MAC_KEY = None  # what the hash chain alone finds
    assert "broken at sequence 4: its previous hash does not match" in broken_at()


def test_it_names_a_removed_row():
    record_many(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 3")
    assert "broken at sequence 3: sequence 3 is missing (the next event is 4)" in broken_at()


def _shift_up_from(cursor, sequence: int) -> None:
    cursor.execute(
        "UPDATE audit_auditevent SET sequence = sequence + 1000000 WHERE sequence >= %s", [sequence]
    )
    cursor.execute(
        "UPDATE audit_auditevent SET sequence = sequence - 999999 WHERE sequence >= 1000000"
    )


def test_it_names_an_inserted_row():
    events = record_many(5)
    with tampering() as cursor:
        _shift_up_from(cursor, 3)
        cursor.execute(
            "INSERT INTO audit_auditevent (sequence, created_at, actor_label, action, object_type,"
            " object_id, object_label, changes, reason, user_agent, request_id, prev_hash, hash,"
            " canonical_version)"
            " VALUES (3, %s, 'mallory', 'tests.thing.done', '', '', '', '{}', '', '', '',"
            " %s, %s, 2)",
            [events[2].created_at, events[1].hash, "f" * 64],
        )
    assert "broken at sequence 3: its contents do not match its hash" in broken_at()


def test_it_names_the_row_after_an_inserted_row_with_a_correct_hash(settings):
    events = record_many(5)
    values = dict(
        AuditEvent.objects.filter(sequence=3).values(*chain.HASHED_FIELDS).get(),
        actor_id=None,
        actor_label="mallory",
        prev_hash=events[1].hash,
    )
    with tampering() as cursor:
        _shift_up_from(cursor, 3)
        cursor.execute(
            "INSERT INTO audit_auditevent (sequence, created_at, actor_label, action, object_type,"
            " object_id, object_label, changes, reason, user_agent, request_id, prev_hash, hash,"
            " canonical_version)"
            " VALUES (3, %s, 'mallory', %s, '', '', '', %s, '', '', '', %s, %s, 2)",
            [
                values["created_at"],
                values["action"],
                json.dumps(values["changes"]),
                events[1].hash,
                chain.event_hash(values),
            ],
        )
    assert "broken at sequence 3: its MAC is missing or wrong" in broken_at()
    settings.AUDIT_MAC_KEY = None
    assert "broken at sequence 4" in broken_at()


def test_it_names_a_row_appended_past_the_chain_head():
    events = record_many(3)
    with tampering() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (sequence, created_at, actor_label, action, object_type,"
            " object_id, object_label, changes, reason, user_agent, request_id, prev_hash, hash)"
            " VALUES (4, %s, 'mallory', 'tests.thing.done', '', '', '', '{}', '', '', '', %s, %s)",
            [events[2].created_at, events[2].hash, "e" * 64],
        )
    assert "broken at sequence 4: event 4 lies beyond the chain head" in broken_at()


def test_it_names_reordered_rows():
    record_many(5)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = 2")
        cursor.execute("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 3")
        cursor.execute("UPDATE audit_auditevent SET sequence = 3 WHERE sequence = -1")
    assert "broken at sequence 2" in broken_at()


def test_it_detects_a_truncated_tail_the_head_still_counts():
    record_many(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence >= 4")
    assert "broken at sequence 4: the chain ends at 3 but its head says 5" in broken_at()


def test_it_detects_a_chain_head_that_disagrees_with_the_last_event():
    record_many(3)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditchainhead SET last_hash = %s", ["a" * 64])
    assert "broken at sequence 3: the chain head's hash differs" in broken_at()


def test_it_detects_a_truncated_tail_below_the_latest_checkpoint():
    events = record_many(5)
    services.checkpoint_create()  # signs head 5, then records event 6
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence >= 4")
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_sequence = 3, last_hash = %s", [events[2].hash]
        )
    assert "broken at sequence 4: the chain was cut below the signed checkpoint at 5" in broken_at()


def test_it_detects_a_checkpoint_whose_hash_is_not_on_the_chain():
    record_many(3)
    services.checkpoint_create()
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditcheckpoint SET hash = %s", ["b" * 64])
    assert "broken at sequence 3: checkpoint" in broken_at()
    assert "invalid signature" in broken_at()


def test_it_detects_a_rewritten_chain_that_a_checkpoint_still_pins(settings):
    record_many(3)
    services.checkpoint_create()
    # Rewrite event 2 and re-hash everything after it, as someone with the table would.
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'rewritten' WHERE sequence = 2")
    previous = AuditEvent.objects.get(sequence=1).hash
    for event in AuditEvent.objects.filter(sequence__gte=2).order_by("sequence"):
        values = AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS).get()
        values["prev_hash"] = previous
        previous = chain.event_hash(values)
        with tampering() as cursor:
            cursor.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [values["prev_hash"], previous, event.pk],
            )
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditchainhead SET last_hash = %s", [previous])
    settings.AUDIT_MAC_KEY = None  # even without the MACs, the signed checkpoint pins it
    assert "broken at sequence 3: its hash differs from the signed checkpoint" in broken_at()


def test_it_rejects_a_checkpoint_signed_by_another_key(settings, tmp_path):
    record_many(2)
    services.checkpoint_create()
    other = tmp_path / "other.pem"
    other.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.AUDIT_SIGNING_KEY_FILE = str(other)  # the portal trusts a different key from now on
    assert "signed by an unknown key" in broken_at()
    assert AuditCheckpoint.objects.count() == 1


def test_it_accepts_checkpoints_of_a_retired_key_after_rotation(
    settings, tmp_path, audit_signing_key_file
):
    record_many(2)
    services.checkpoint_create()
    old_public = tmp_path / "retired.pub.pem"
    old_key = serialization.load_pem_private_key(audit_signing_key_file.read_bytes(), password=None)
    old_public.write_bytes(
        old_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    new_key = tmp_path / "new.pem"
    new_key.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.AUDIT_SIGNING_KEY_FILE = str(new_key)
    settings.AUDIT_RETIRED_PUBLIC_KEY_FILES = [str(old_public)]
    record_many(1)
    services.checkpoint_create()
    assert verify_chain().ok


def public_key_file(tmp_path, name="audit-public.pem"):
    """The public key as `manage.py audit_public_key` prints it for publishing."""
    out = io.StringIO()
    call_command("audit_public_key", stdout=out)
    path = tmp_path / name
    path.write_text(out.getvalue())
    return path


def test_it_verifies_with_the_published_public_key_and_no_private_key(settings, tmp_path):
    record_many(2)
    services.checkpoint_create()
    settings.AUDIT_PUBLIC_KEY_FILES = [str(public_key_file(tmp_path))]
    settings.AUDIT_SIGNING_KEY_FILE = None  # a verifying node without the private key
    assert not settings.DEBUG
    assert "intact: 3 events" in verify()
    assert "1 signed checkpoint" in verify()


def test_it_does_not_generate_a_local_key_to_verify_with(settings, tmp_path):
    record_many(2)
    services.checkpoint_create()
    settings.AUDIT_PUBLIC_KEY_FILES = [str(public_key_file(tmp_path))]
    settings.AUDIT_SIGNING_KEY_FILE = None
    settings.DEBUG = True  # local runs once generated a key here, which trusted nothing signed
    assert "intact: 3 events" in verify()
    assert not (tmp_path / "keys").exists()


def test_it_reads_the_retired_key_setting_as_public_keys_too(settings, tmp_path):
    record_many(1)
    services.checkpoint_create()
    settings.AUDIT_RETIRED_PUBLIC_KEY_FILES = [str(public_key_file(tmp_path))]
    settings.AUDIT_SIGNING_KEY_FILE = None
    assert verify_chain().ok


def test_it_names_the_missing_public_key_setting(settings):
    record_many(1)
    services.checkpoint_create()
    settings.AUDIT_SIGNING_KEY_FILE = None
    assert "no public key is configured: AUDIT_PUBLIC_KEY_FILES" in broken_at()


def test_it_detects_that_every_checkpoint_was_deleted():
    record_many(3)
    services.checkpoint_create()  # checkpoint at 3, recorded as event 4
    record_many(2)
    services.checkpoint_create()  # checkpoint at 6, recorded as event 7
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint")
    message = broken_at()
    assert "broken at sequence 4: it records a checkpoint at sequence 3 that is missing" in message
    assert "(3 events verified before it)" in message


def test_it_detects_one_deleted_checkpoint():
    record_many(3)
    services.checkpoint_create()
    services.checkpoint_create()  # checkpoint at 4, recorded as event 5
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE sequence = 4")
    assert "broken at sequence 5: it records a checkpoint at sequence 4" in broken_at()


def test_it_counts_the_events_verified_before_a_break_in_the_middle():
    record_many(210)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'edited' WHERE sequence = 208")
    message = broken_at()
    assert "broken at sequence 208" in message
    assert "(207 events verified before it)" in message
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.changes["count"] == 207


def stale_error() -> CommandError:
    with pytest.raises(CommandError) as error:
        verify()
    return error.value


def test_it_exits_2_when_the_newest_checkpoint_is_too_old(settings):
    record_many(2)
    services.checkpoint_create()
    assert "intact" in verify()  # the default allows two days
    settings.AUDIT_CHECKPOINT_MAX_AGE = 0
    error = stale_error()
    assert error.returncode == 2
    assert "stale: the newest signed checkpoint is from" in str(error)


def test_it_exits_2_without_any_checkpoint_once_events_are_older_than_allowed(settings):
    record_many(2)
    assert "intact: 2 events, head 2" in verify()  # a new installation gets a grace period
    settings.AUDIT_CHECKPOINT_MAX_AGE = 0
    error = stale_error()
    assert error.returncode == 2
    assert "no signed checkpoint, and events date back to" in str(error)


def test_it_defaults_to_two_days_of_checkpoint_age():
    from django.conf import settings

    assert settings.AUDIT_CHECKPOINT_MAX_AGE == 2 * 24 * 3600


def _forge_after(head_event, *, action: str, version: int = 2, mac: str = "") -> None:
    """Append an event with a correct hash, as somebody holding only the database would."""
    values = dict(
        AuditEvent.objects.filter(pk=head_event.pk).values(*chain.HASHED_FIELDS).get(),
        sequence=head_event.sequence + 1,
        action=action,
        actor_label="mallory",
        actor_id=None,
        changes={"approved": True},
        prev_hash=head_event.hash,
        canonical_version=version,
    )
    forged = chain.event_hash(values)
    with tampering() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (sequence, created_at, actor_label, action, object_type,"
            " object_id, object_label, changes, reason, user_agent, request_id, prev_hash, hash,"
            " canonical_version, mac)"
            " VALUES (%s, %s, 'mallory', %s, '', '', '', %s, '', '', '', %s, %s, %s, %s)",
            [
                values["sequence"],
                values["created_at"],
                action,
                json.dumps(values["changes"]),
                head_event.hash,
                forged,
                version,
                mac,
            ],
        )
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_sequence = %s, last_hash = %s",
            [values["sequence"], forged],
        )


def test_it_detects_an_event_forged_after_the_last_checkpoint():
    record_many(3)
    services.checkpoint_create()
    (last,) = record_many(1)
    _forge_after(last, action="checklists.attestation.approved", mac="0" * 64)
    assert "broken at sequence 6: its MAC is missing or wrong" in broken_at()


def test_it_detects_a_forged_event_that_claims_the_old_canonical_version():
    (last,) = record_many(1)
    _forge_after(last, action="checklists.attestation.approved", version=1)
    assert "broken at sequence 2: its canonical version 1 is older" in broken_at()


def test_it_says_the_macs_were_not_checked_without_the_key(settings):
    record_many(2)
    before = AuditEvent.objects.count()
    settings.AUDIT_MAC_KEY = None  # an auditor's machine
    err = io.StringIO()
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out, stderr=err)
    assert "intact: 2 events" in out.getvalue()
    assert "MAC not checked" in out.getvalue() and "MAC not checked" in err.getvalue()
    assert AuditEvent.objects.count() == before  # appending needs the key: not recorded


def test_it_checks_the_macs_with_the_key():
    record_many(2)
    assert "MAC not checked" not in verify()
    assert verify_chain().mac_checked


def test_the_deploy_check_requires_the_mac_key_when_debug_is_off(settings):
    from portal.audit.checks import audit_mac_key

    settings.DEBUG = False
    settings.AUDIT_MAC_KEY = None
    assert [e.id for e in audit_mac_key(None)] == ["audit.E001"]
    settings.AUDIT_MAC_KEY = "short"
    assert [e.id for e in audit_mac_key(None)] == ["audit.E002"]
    settings.AUDIT_MAC_KEY = "x" * 48
    assert audit_mac_key(None) == []
