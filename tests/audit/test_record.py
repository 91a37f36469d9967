import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import RequestFactory

from portal.audit import chain, context
from portal.audit import services as audit
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.redaction import MASK
from portal.audit.verification import verify_chain
from tests.audit.conftest import record_many, require_postgresql, tampering

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
    event = audit.record(
        "tests.thing.done", changes={"b": audit.change(1, "2.5"), "a": {"z": None, "y": "é"}}
    )
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
    changes = {
        "api_token": audit.change("", TOKEN),
        "note": audit.change(None, f"rotated, api_key={TOKEN}"),
    }
    event = audit.record("integrations.provider.changed", changes=changes)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert TOKEN not in str(stored.changes)
    assert stored.changes["api_token"] == MASK
    assert stored.changes["note"]["to"] == f"rotated, api_key={MASK}"
    values = AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS).get()
    assert TOKEN.encode() not in chain.canonical_event(values)
    assert chain.event_hash(values) == stored.hash
    assert chain.event_hash(dict(values, changes=changes)) != stored.hash


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


@pytest.mark.parametrize("value", [1e20, -0.0, 2.5, float("inf")])
def test_it_refuses_a_float_naming_its_key(value):
    with pytest.raises(ValueError, match="float at 'fees.rate.to'"):
        audit.record("tests.thing.done", changes={"fees": {"rate": audit.change("1", value)}})
    assert not AuditEvent.objects.exists()
    assert AuditChainHead.objects.get().last_sequence == 0


def test_a_float_stored_on_postgresql_would_read_back_differently():
    """Why floats are refused: jsonb renders numbers its own way, so the hash of what was
    written no longer matches what verification reads."""
    require_postgresql("jsonb's rendering of numbers")
    from django.db import connection

    written = {"a": 1e20, "b": -0.0}
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb::text", [json.dumps(written)])
        (text,) = cursor.fetchone()
    assert text == '{"a": 100000000000000000000, "b": 0.0}'
    assert chain.canonical_dumps(json.loads(text)) != chain.canonical_dumps(written)


def test_it_keeps_decimals_exact_as_strings_on_any_database():
    from decimal import Decimal

    event = audit.record("tests.thing.done", changes={"fee": audit.change(None, Decimal("1e20"))})
    assert AuditEvent.objects.get(pk=event.pk).changes == {"fee": {"from": None, "to": "1E+20"}}
    assert verify_chain().ok


def test_it_writes_the_current_canonical_version_into_the_hash():
    event = audit.record("tests.thing.done")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.canonical_version == chain.CANONICAL_VERSION == 2
    values = AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS).get()
    assert b'"v":2' in chain.canonical_event(values)
    assert chain.event_hash(dict(values, canonical_version=1)) != stored.hash


V1_EVENT = {
    "canonical_version": 1,
    "sequence": 1,
    "created_at": dt.datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=dt.UTC),
    "actor_id": 7,
    "actor_label": "ana",
    "action": "checklists.attestation.approved",
    "object_type": "checklists.attestation",
    "object_id": "12",
    "object_label": "Answer 12",
    "team_id": 3,
    "changes": {"fee": [1.5, 2.25], "state": ["draft", "approved"]},
    "reason": "",
    "ip": "203.0.113.9",
    "user_agent": "Firefox",
    "request_id": "abc",
    "prev_hash": chain.GENESIS_HASH,
}
# What the version 1 code computed for V1_EVENT, before versions were columns.
V1_HASH = "6f9335d3e13740f3acdabc8676502d0773039987d35d40e5bdfc0e32c720d5f7"


def test_events_written_under_version_1_keep_verifying():
    assert chain.event_hash(V1_EVENT) == V1_HASH
    with tampering() as cursor:  # a row as it stood before the migration added the columns
        cursor.execute(
            "INSERT INTO audit_auditevent (sequence, created_at, actor_id, actor_label, action,"
            " object_type, object_id, object_label, team_id, changes, reason, ip, user_agent,"
            " request_id, prev_hash, hash)"
            " VALUES (1, %s, 7, 'ana', 'checklists.attestation.approved',"
            " 'checklists.attestation', '12', 'Answer 12', 3,"
            ' \'{"fee": [1.5, 2.25], "state": ["draft", "approved"]}\','
            " '', '203.0.113.9', 'Firefox', 'abc', %s, %s)",
            [V1_EVENT["created_at"], chain.GENESIS_HASH, V1_HASH],
        )
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_sequence = 1, last_hash = %s", [V1_HASH]
        )
    stored = AuditEvent.objects.get(sequence=1)
    assert (stored.canonical_version, stored.mac) == (1, "")
    audit.record("tests.thing.done")
    result = verify_chain()
    assert result.ok, result.problem
    assert result.count == 2


def test_it_stores_a_mac_of_the_hash_under_the_configured_key(settings):
    settings.AUDIT_MAC_KEY = "k" * 40
    event = audit.record("tests.thing.done")
    expected = hmac.new(
        b"k" * 40, b"portal.audit.event-mac:" + event.hash.encode(), hashlib.sha256
    ).hexdigest()
    assert AuditEvent.objects.get(pk=event.pk).mac == expected
    assert expected.encode() not in chain.canonical_event(
        AuditEvent.objects.filter(pk=event.pk).values(*chain.HASHED_FIELDS).get()
    )


def test_it_refuses_to_append_without_the_mac_key(settings):
    settings.AUDIT_MAC_KEY = None
    with pytest.raises(ImproperlyConfigured, match="AUDIT_MAC_KEY"):
        audit.record("tests.thing.done")
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_short_mac_key(settings):
    settings.AUDIT_MAC_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        audit.record("tests.thing.done")


def test_it_generates_a_local_mac_key_under_debug(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DEBUG": "true",
        "PORTAL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    env.pop("AUDIT_MAC_KEY", None)
    env.pop("AUDIT_MAC_KEY_FILE", None)
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.AUDIT_MAC_KEY)"
    )
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "keys" / "audit-mac-key"
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 32


def test_it_stores_the_user_agent_redacted_with_the_audit_rule():
    agent = f"curl/8.0 Authorization: Bearer {TOKEN} build pen-test-report-2026Q3-final_v2"
    token = context.set_current(context.RequestContext(ip="203.0.113.9", user_agent=agent))
    try:
        event = audit.record("tests.thing.done")
    finally:
        context.reset(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert TOKEN not in stored.user_agent
    assert stored.user_agent == (
        f"curl/8.0 Authorization: Bearer {MASK} build pen-test-report-2026Q3-final_v2"
    )


def test_it_keeps_file_names_and_digests_in_the_trail():
    name = "pen-test-report-2026Q3-final_v2.pdf"
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    event = audit.record(
        "checklists.evidence.added",
        changes={"name": name, "sha256": digest},
        reason=f"uploaded {name}",
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.changes == {"name": name, "sha256": digest}
    assert stored.reason == f"uploaded {name}"


def test_change_and_diff_build_the_typed_shape():
    assert audit.change("member", "lead") == {"from": "member", "to": "lead"}
    assert audit.diff({"name": "Old", "slug": "s", "gone": 1}, {"name": "New", "slug": "s"}) == {
        "gone": {"from": 1, "to": None},
        "name": {"from": "Old", "to": "New"},
    }


def test_it_stores_changes_and_facts_side_by_side():
    event = audit.record(
        "tests.thing.changed",
        changes={"role": audit.change("member", "lead"), "providers": ["gopay", "mixpay"]},
    )
    assert AuditEvent.objects.get(pk=event.pk).changes == {
        "role": {"from": "member", "to": "lead"},
        "providers": ["gopay", "mixpay"],
    }


def test_it_refuses_changes_that_are_not_a_mapping():
    with pytest.raises(ValueError, match="mapping"):
        audit.record("tests.thing.done", changes=[("a", 1)])
