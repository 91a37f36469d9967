import pytest
from django.db import DatabaseError, connection, transaction

from portal.audit import services as audit
from portal.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from tests.audit.conftest import record_many, require_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql("The append-only triggers")


def rejected(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(error.value)


def test_it_rejects_update_of_an_event():
    record_many(2)
    assert "append-only: UPDATE" in rejected("UPDATE audit_auditevent SET reason = 'x'")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(reason="x")
    assert AuditEvent.objects.get(sequence=1).reason == ""


def test_it_rejects_delete_of_an_event():
    record_many(2)
    assert "append-only: DELETE" in rejected("DELETE FROM audit_auditevent WHERE sequence = 2")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 2


def test_it_rejects_truncate_of_the_events():
    record_many(2)
    assert "append-only: TRUNCATE" in rejected("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 2


def test_it_rejects_truncate_even_with_the_test_flush_setting_off():
    rejected_message = rejected("SET LOCAL audit.allow_truncate = 'off'; TRUNCATE audit_auditevent")
    assert "append-only" in rejected_message


def test_it_rejects_changing_a_checkpoint():
    record_many(1)
    audit.checkpoint_create()
    assert "append-only: UPDATE" in rejected("UPDATE audit_auditcheckpoint SET hash = 'x'")
    assert "append-only: DELETE" in rejected("DELETE FROM audit_auditcheckpoint")
    assert "append-only: TRUNCATE" in rejected("TRUNCATE audit_auditcheckpoint")
    assert AuditCheckpoint.objects.count() == 1


def test_it_lets_the_chain_head_move_forward_only():
    first, second = record_many(2)
    assert "only moves forward" in rejected(
        "UPDATE audit_auditchainhead SET last_sequence = 1, last_hash = %s", [first.hash]
    )
    assert "only moves forward" in rejected(
        "UPDATE audit_auditchainhead SET last_sequence = 9, last_hash = %s", [second.hash]
    )
    assert "append-only: DELETE" in rejected("DELETE FROM audit_auditchainhead")
    assert "append-only: TRUNCATE" in rejected("TRUNCATE audit_auditchainhead")
    assert AuditChainHead.objects.get().last_sequence == 2
    assert audit.record("tests.thing.done").sequence == 3
