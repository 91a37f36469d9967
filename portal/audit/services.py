"""The audit trail's only write path: events, checkpoints and the record of verifications."""

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from portal.audit import chain, context, mac, signing
from portal.audit.models import CHAIN_HEAD_ID, AuditChainHead, AuditCheckpoint, AuditEvent
from portal.audit.redaction import redact_audit, redact_changes
from portal.audit.verification import VerificationResult, verify_chain

checkpoint_logger = logging.getLogger("portal.audit.checkpoint")


def change(old: Any, new: Any) -> dict[str, Any]:
    """One changed field, as `changes` holds it: {"from": old, "to": new}."""
    return {"from": old, "to": new}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The changes between two snapshots of the same fields, one `change` per differing key."""
    return {
        key: change(before.get(key), after.get(key))
        for key in sorted(set(before) | set(after), key=str)
        if before.get(key) != after.get(key)
    }


def is_change(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"from", "to"}


def _normalise_changes(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """`changes` as stored: JSON values only, no floats (jsonb re-renders them, which would
    break the hash), checked before anything is written."""
    if changes is not None and not isinstance(changes, Mapping):
        raise ValueError("audit changes must be a mapping of field to change or fact")
    where = chain.float_path(dict(changes or {}))
    if where:
        raise ValueError(
            f"audit changes hold a float at {where!r}: pass a Decimal or a string instead"
        )
    return chain.normalise_json(dict(changes or {}))


def _normalise_ip(value: str | None) -> str | None:
    if not value:
        return None
    # The form the column gives back (IPv6 compressed), so the hash survives the round trip.
    return AuditEvent._meta.get_field("ip").get_prep_value(value)


def _lock_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (created if missing,
    as after a test flush)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=CHAIN_HEAD_ID).first()
    if head is None:
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=CHAIN_HEAD_ID, last_sequence=0, last_hash=chain.GENESIS_HASH)],
            ignore_conflicts=True,
        )
        head = AuditChainHead.objects.select_for_update().get(pk=CHAIN_HEAD_ID)
    return head


@dataclasses.dataclass(frozen=True)
class Entry:
    """One event to append; see `record` for what each part holds."""

    action: str
    actor: Any = None
    actor_label: str = ""
    obj: models.Model | None = None
    team: Any = None
    changes: Mapping[str, Any] | None = None
    reason: str = ""


def record(
    action: str,
    *,
    actor=None,
    actor_label: str = "",
    obj: models.Model | None = None,
    team=None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event inside the caller's transaction.

    `action` is a dotted name such as "accounts.membership.added". `changes` maps a field
    either to a change, `change(old, new)` ({"from": old, "to": new}, see also `diff`), or to
    a plain fact (a count, a name, a list of providers). Floats are refused with a
    ValueError naming the key; pass a Decimal or a string. Secrets under secret-named keys,
    PEM blocks and Authorization headers are masked before anything is stored and hashed.
    Appends are serialised by a row lock on the chain head, so the chain stays linear.
    """
    entry = Entry(action, actor, actor_label, obj, team, changes, reason)
    return record_many([entry])[0]


def record_many(entries: Iterable[Entry]) -> list[AuditEvent]:
    """Append several events, in order, inside the caller's transaction: everything is
    prepared first, then the chain head is locked once and the events inserted at once, so a
    change of many rows holds the head (and every other audited write waits) only briefly.
    Call it last in the transaction: the head stays locked until the transaction ends."""
    how = context.current()
    key = mac.required_mac_key()
    events = [_event(entry, how) for entry in entries]
    if not events:
        return []
    with transaction.atomic():
        head = _lock_head()
        sequence, previous = head.last_sequence, head.last_hash
        # Taken under the lock, so times never go backwards along the chain.
        now = timezone.now()
        for event in events:
            sequence += 1
            event.sequence, event.prev_hash, event.created_at = sequence, previous, now
            event.hash = previous = chain.event_hash(vars(event))
            event.mac = mac.event_mac(event.hash, key)
        _insert(events)
        AuditChainHead.objects.filter(pk=CHAIN_HEAD_ID).update(
            last_sequence=sequence, last_hash=previous, updated_at=now
        )
    return events


COPY_FROM = 50  # events; below this an INSERT is as quick


def _insert(events: list[AuditEvent]) -> None:
    """Insert the events while the head is held. Many at once on PostgreSQL go through COPY,
    several times quicker than an INSERT of as many rows, which shortens the wait of every
    other audited write; their ids are then not read back."""
    if connection.vendor != "postgresql" or len(events) < COPY_FROM:
        AuditEvent.objects.bulk_create(events)
        return
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN"  # names from the model
        ) as copy,
    ):
        for event in events:
            copy.write_row(
                [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
            )


def _event(entry: Entry, how) -> AuditEvent:
    actor = entry.actor
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    obj = entry.obj
    label = how.actor_label or entry.actor_label or (actor.get_username() if actor else "")
    return AuditEvent(
        actor=actor,
        actor_label=redact_audit(label)[:150],
        action=entry.action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk)[:64] if obj is not None else "",
        object_label=redact_audit(str(obj))[:200] if obj is not None else "",
        team_id=entry.team.pk if entry.team is not None else None,
        changes=redact_changes(_normalise_changes(entry.changes)),
        reason=redact_audit(entry.reason or ""),
        ip=_normalise_ip(how.ip),
        user_agent=redact_audit(how.user_agent or "")[:400],
        request_id=(context.request_id() or "")[:64],
        canonical_version=chain.CANONICAL_VERSION,
    )


def checkpoint_create() -> AuditCheckpoint:
    """Sign the chain head (sequence, hash, time) with the portal's key and keep it."""
    key = signing.signing_key()
    key_id = signing.key_id(key)
    with transaction.atomic():
        head = _lock_head()
        now = timezone.now()
        message = chain.checkpoint_message(
            sequence=head.last_sequence, hash=head.last_hash, created_at=now, key_id=key_id
        )
        checkpoint = AuditCheckpoint.objects.create(
            sequence=head.last_sequence,
            hash=head.last_hash,
            created_at=now,
            key_id=key_id,
            signature=signing.sign(message, key),
        )
        record(
            "audit.checkpoint.signed",
            changes={"sequence": checkpoint.sequence, "hash": checkpoint.hash, "key_id": key_id},
        )
        transaction.on_commit(lambda: _log_checkpoint(checkpoint))
    return checkpoint


def _log_checkpoint(checkpoint: AuditCheckpoint) -> None:
    """The checkpoint outside the database too, for a SIEM: somebody who later rewrites the
    database cannot reach the copies a log pipeline already shipped."""
    fields = {
        "sequence": checkpoint.sequence,
        "hash": checkpoint.hash,
        "created_at": chain.format_time(checkpoint.created_at),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }
    checkpoint_logger.info(
        "audit checkpoint signed at sequence %s",
        checkpoint.sequence,
        # Hashes and signatures are public by design: keep them verbatim for the SIEM.
        extra={"checkpoint": fields, "unredacted": ("checkpoint",)},
    )


def log_verify(*, by=None, how: str = "", chunk_size: int = 5000) -> VerificationResult:
    """Verify the whole chain and record that it was verified, and what was found; `how`
    (kept as the event's reason) says what ran it when no person did ("Nightly check").

    A chain broken past its head (an event already holds the next sequence number) cannot
    take the record; nor can a machine without the MAC key (an auditor's). The result then
    says so in `recorded`.
    """
    result = verify_chain(chunk_size=chunk_size)
    if not result.mac_checked:
        return dataclasses.replace(result, recorded=False)
    try:
        with transaction.atomic():
            record(
                "audit.log.verified",
                actor=by,
                changes={
                    "intact": result.ok,
                    "count": result.count,
                    "head_sequence": result.head_sequence,
                    "head_hash": result.head_hash,
                    "checkpoints": result.checkpoints,
                    "first_bad_sequence": result.first_bad_sequence,
                    "problem": result.problem,
                    "stale": result.stale,
                },
                reason=how,
            )
    except IntegrityError:
        if result.ok:
            raise
        return dataclasses.replace(result, recorded=False)
    return result


def log_export_record(*, by, filters: dict[str, Any], export_format: str = "csv") -> AuditEvent:
    changes: dict[str, Any] = {"filters": filters}
    if export_format != "csv":
        changes["format"] = export_format
    return record("audit.log.exported", actor=by, changes=changes)
