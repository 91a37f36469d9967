"""The audit trail's only write path: events, checkpoints and the record of verifications."""

import dataclasses
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from portal.audit import chain, context, signing
from portal.audit.models import CHAIN_HEAD_ID, AuditChainHead, AuditCheckpoint, AuditEvent
from portal.audit.redaction import redact, redact_changes
from portal.audit.verification import VerificationResult, verify_chain


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

    `action` is a dotted name such as "accounts.membership.added"; `changes` maps a field
    to [old, new] (secrets in it are masked before they are stored and hashed).
    Appends are serialised by a row lock on the chain head, so the chain stays linear.
    """
    how = context.current()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent(
        actor=actor,
        actor_label=redact(actor_label or (actor.get_username() if actor else ""))[:150],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk)[:64] if obj is not None else "",
        object_label=redact(str(obj))[:200] if obj is not None else "",
        team_id=team.pk if team is not None else None,
        changes=redact_changes(chain.normalise_json(changes or {})),
        reason=redact(reason or ""),
        ip=_normalise_ip(how.ip),
        user_agent=(how.user_agent or "")[:400],
        request_id=(context.request_id() or "")[:64],
    )
    with transaction.atomic():
        head = _lock_head()
        event.sequence = head.last_sequence + 1
        event.prev_hash = head.last_hash
        # Taken under the lock, so times never go backwards along the chain.
        event.created_at = timezone.now()
        event.hash = chain.event_hash(vars(event))
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=CHAIN_HEAD_ID).update(
            last_sequence=event.sequence, last_hash=event.hash, updated_at=event.created_at
        )
    return event


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
    return checkpoint


def log_verify(*, by=None, chunk_size: int = 5000) -> VerificationResult:
    """Verify the whole chain and record that it was verified, and what was found.

    A chain broken past its head (an event already holds the next sequence number) cannot
    take the record; the result then says so in `recorded`.
    """
    result = verify_chain(chunk_size=chunk_size)
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
                },
            )
    except IntegrityError:
        if result.ok:
            raise
        return dataclasses.replace(result, recorded=False)
    return result


def log_export_record(*, by, filters: dict[str, Any]) -> AuditEvent:
    return record("audit.log.exported", actor=by, changes={"filters": filters})
