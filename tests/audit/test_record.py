import pytest
from django.db import transaction
from django.test import RequestFactory

from portal.audit import chain, context
from portal.audit import services as audit
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.redaction import MASK
from tests.audit.conftest import record_many, tampering

pytestmark = pytest.mark.django_db

TOKEN = "ghp_4f9Kq2Lw8Zr7Xy1Vb6Nm3Tp0Hs5Jd2Gc"


def test_it_chains_events_in_sequence():
    first, second, third = record_many(3)
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.prev_hash == chain.GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = AuditChainHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (3, third.hash)


def test_it_stores_a_hash_that_recomputes_from_the_row_read_back():
    event = audit.record("tests.thing.done", changes={"b": [1, 2.5], "a": {"z": None, "y": "é"}})
    row = AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS, "hash").get()
    assert len(row["hash"]) == 64
    assert chain.event_hash(row) == row["hash"]


def test_it_records_who_what_and_how(team, lead):
    request = RequestFactory().post(
        "/", REMOTE_ADDR="2001:0db8:0000:0000:0000:0000:0000:0001", HTTP_USER_AGENT="pytest-agent"
    )
    token = context.set_current(
        context.RequestContext(ip=request.META["REMOTE_ADDR"], user_agent="pytest-agent")
    )
    try:
        event = audit.record(
            "accounts.team.changed",
            actor=lead,
            obj=team,
            team=team,
            changes={"name": ["Old", "New"]},
            reason="Renamed after the merger",
        )
    finally:
        context.reset(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == lead.pk
    assert stored.actor_label == "lead"
    assert (stored.object_type, stored.object_id, stored.object_label) == (
        "accounts.team",
        str(team.pk),
        "Kopi Kita",
    )
    assert stored.team_id == team.pk
    assert stored.changes == {"name": ["Old", "New"]}
    assert stored.reason == "Renamed after the merger"
    assert stored.ip == "2001:db8::1"
    assert stored.user_agent == "pytest-agent"
    values = AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS).get()
    assert chain.event_hash(values) == stored.hash


def test_it_keeps_the_actor_label_when_the_user_is_deleted(lead):
    event = audit.record("tests.thing.done", actor=lead)
    lead.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_label == "lead"
    assert stored.actor_id is not None


def test_it_masks_a_token_in_changes_and_hashes_the_masked_value():
    event = audit.record(
        "integrations.provider.changed",
        changes={"api_token": ["", TOKEN], "note": [None, f"rotated to {TOKEN}"]},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert TOKEN not in str(stored.changes)
    assert stored.changes["api_token"] == MASK
    assert MASK in stored.changes["note"][1]
    values = AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS).get()
    assert TOKEN.encode() not in chain.canonical_event(values)
    assert chain.event_hash(values) == stored.hash
    unmasked = dict(
        values, changes={"api_token": ["", TOKEN], "note": [None, f"rotated to {TOKEN}"]}
    )
    assert chain.event_hash(unmasked) != stored.hash


def test_it_masks_a_token_in_the_reason():
    event = audit.record("tests.thing.done", reason=f"Authorization: Bearer {TOKEN}")
    assert TOKEN not in AuditEvent.objects.get(pk=event.pk).reason


def test_it_stores_dates_and_decimals_as_json_text():
    import datetime as dt
    from decimal import Decimal

    event = audit.record(
        "tests.thing.done",
        changes={"due": [None, dt.date(2026, 1, 31)], "fee": [Decimal("1.50"), None]},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.changes == {"due": [None, "2026-01-31"], "fee": ["1.50", None]}
    values = AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS).get()
    assert chain.event_hash(values) == stored.hash


def test_it_writes_nothing_when_the_callers_transaction_rolls_back():
    record_many(1)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        audit.record("tests.thing.done")
        raise Boom
    assert AuditEvent.objects.count() == 1
    assert AuditChainHead.objects.get().last_sequence == 1
    assert audit.record("tests.thing.done").sequence == 2


def test_it_recreates_a_missing_chain_head_on_an_empty_trail():
    with tampering() as cursor:  # as after a test flush
        cursor.execute("DELETE FROM audit_auditchainhead")
    event = audit.record("tests.thing.done")
    assert event.sequence == 1
    assert event.prev_hash == chain.GENESIS_HASH


def test_it_takes_the_client_address_from_the_trusted_proxy(settings, rf):
    from portal.audit.context import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"  # nobody vouches for X-Forwarded-For
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # what our one proxy saw; the rest is client-made
