"""Re-computes the audit hash chain and checks it against its head, its MACs and its signed
checkpoints.

Events are streamed in sequence order (an iterator with a chunk size, only the hashed
columns), so memory stays bounded however long the chain is. The first problem found stops
verification and names the sequence number where the chain stops being trustworthy.

What is checked:

* every event's hash, its link to the one before, and sequence numbers without gaps;
* the chain head agrees with the last event, and nothing lies beyond it;
* every checkpoint is signed by a trusted public key (no private key needed here), pins a
  hash the chain has, and every `audit.checkpoint.signed` event finds its checkpoint row,
  so deleting checkpoints shows;
* with the MAC key present, every event from canonical version 2 on carries a valid MAC,
  and versions never go down along the chain; without the key this is reported as
  "MAC not checked";
* freshness: the newest checkpoint is at most AUDIT_CHECKPOINT_MAX_AGE old (or, with no
  checkpoint at all, no event is older than that); otherwise the result is `stale`.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from portal.audit import chain, mac, signing
from portal.audit.models import CHAIN_HEAD_ID, AuditChainHead, AuditCheckpoint, AuditEvent

CHECKPOINT_SIGNED = "audit.checkpoint.signed"


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    count: int  # events verified (before the break, when broken)
    head_sequence: int
    head_hash: str
    checkpoints: int
    first_bad_sequence: int | None = None
    problem: str = ""
    recorded: bool = True  # whether the audit.log.verified event could be appended
    mac_checked: bool = False
    stale: bool = False
    latest_checkpoint_at: dt.datetime | None = None
    stale_reason: str = ""


class _Broken(Exception):
    def __init__(self, sequence: int, problem: str):
        super().__init__(problem)
        self.sequence = sequence
        self.problem = problem


@dataclass(frozen=True)
class _Checkpoint:
    pk: int
    hash: str
    key_id: str
    created_at: dt.datetime


def _signed_checkpoints(sequence: int | None = None) -> dict[int, _Checkpoint]:
    """Every checkpoint (or those at one sequence) by sequence, after checking its signature
    with a trusted key."""
    trusted = signing.trusted_public_keys()
    by_sequence: dict[int, _Checkpoint] = {}
    rows = AuditCheckpoint.objects.all()
    if sequence is not None:
        rows = rows.filter(sequence=sequence)
    rows = rows.order_by("sequence", "id").values_list(
        "id", "sequence", "hash", "created_at", "key_id", "signature"
    )
    for pk, sequence, hash_, created_at, key_id, signature in rows.iterator(chunk_size=2000):
        if key_id not in trusted:
            hint = "" if trusted else " (no public key is configured: AUDIT_PUBLIC_KEY_FILES)"
            raise _Broken(
                sequence, f"checkpoint {pk} is signed by an unknown key {key_id[:16]}{hint}"
            )
        message = chain.checkpoint_message(
            sequence=sequence, hash=hash_, created_at=created_at, key_id=key_id
        )
        if not signing.signature_valid(message, signature, trusted[key_id]):
            raise _Broken(sequence, f"checkpoint {pk} has an invalid signature")
        if sequence in by_sequence and by_sequence[sequence].hash != hash_:
            raise _Broken(sequence, f"checkpoints disagree about sequence {sequence}")
        by_sequence[sequence] = _Checkpoint(pk, hash_, key_id, created_at)
    return by_sequence


class _Walk:
    """One pass over the events; `verified` counts the events that passed every check."""

    def __init__(self, checkpoints: dict[int, _Checkpoint], mac_key: bytes | None):
        self.checkpoints = checkpoints
        self.mac_key = mac_key
        self.verified = 0
        self.last_hash = chain.GENESIS_HASH
        self.first_created_at: dt.datetime | None = None

    def run(self, head_sequence: int, chunk_size: int) -> None:
        expected, previous, version = 1, chain.GENESIS_HASH, 1
        rows = (
            AuditEvent.objects.filter(sequence__lte=head_sequence)
            .order_by("sequence")
            .values_list(*chain.HASHED_FIELDS, "hash", "mac")
        )
        for row in rows.iterator(chunk_size=chunk_size):
            values = dict(zip(chain.HASHED_FIELDS, row, strict=False))
            sequence, stored_hash, stored_mac = values["sequence"], row[-2], row[-1]
            if sequence != expected:
                raise _Broken(
                    expected, f"sequence {expected} is missing (the next event is {sequence})"
                )
            if values["prev_hash"] != previous:
                raise _Broken(sequence, "its previous hash does not match the event before it")
            if values["canonical_version"] < version:
                raise _Broken(
                    sequence,
                    f"its canonical version {values['canonical_version']} is older than the "
                    f"version {version} of the event before it",
                )
            version = values["canonical_version"]
            try:
                recomputed = chain.event_hash(values)
            except ValueError as exc:
                raise _Broken(sequence, f"it cannot be put in canonical form: {exc}") from exc
            if recomputed != stored_hash:
                raise _Broken(sequence, "its contents do not match its hash")
            checks_mac = self.mac_key is not None and version >= 2
            if checks_mac and not mac.mac_valid(stored_hash, stored_mac, self.mac_key):
                raise _Broken(sequence, "its MAC is missing or wrong")
            pinned = self.checkpoints.get(sequence)
            if pinned is not None and pinned.hash != stored_hash:
                raise _Broken(sequence, "its hash differs from the signed checkpoint")
            if values["action"] == CHECKPOINT_SIGNED:
                self._check_checkpoint_event(sequence, values["changes"])
            if self.first_created_at is None:
                self.first_created_at = values["created_at"]
            expected, previous = expected + 1, stored_hash
            self.verified += 1
            self.last_hash = stored_hash

    def _check_checkpoint_event(self, sequence: int, changes) -> None:
        changes = changes if isinstance(changes, dict) else {}
        signed_at = changes.get("sequence")
        if not isinstance(signed_at, int):
            raise _Broken(sequence, "it records a checkpoint without a sequence")
        row = self.checkpoints.get(signed_at)
        if row is None:
            # Signed after the checkpoints were read (its row and event commit together)?
            row = _signed_checkpoints(signed_at).get(signed_at)
        if row is None:
            raise _Broken(
                sequence, f"it records a checkpoint at sequence {signed_at} that is missing"
            )
        if (row.hash, row.key_id) != (changes.get("hash"), changes.get("key_id")):
            raise _Broken(sequence, f"it records a checkpoint at sequence {signed_at} differently")


def verify_chain(*, chunk_size: int = 5000) -> VerificationResult:
    head_sequence, head_hash = 0, chain.GENESIS_HASH
    checkpoints: dict[int, _Checkpoint] = {}
    mac_key = mac.mac_key()
    walk = _Walk(checkpoints, mac_key)
    try:
        # Checkpoints before the head: a checkpoint signed while we read can then never lie
        # beyond the head we compare it with.
        checkpoints = _signed_checkpoints()
        walk = _Walk(checkpoints, mac_key)
        head = (
            AuditChainHead.objects.filter(pk=CHAIN_HEAD_ID)
            .values_list("last_sequence", "last_hash")
            .first()
        )
        if head is None and AuditEvent.objects.exists():
            raise _Broken(1, "the chain head row is missing")
        head_sequence, head_hash = head or (0, chain.GENESIS_HASH)
        walk.run(head_sequence, chunk_size)
        count = walk.verified
        if count != head_sequence:
            raise _Broken(count + 1, f"the chain ends at {count} but its head says {head_sequence}")
        if walk.last_hash != head_hash:
            raise _Broken(head_sequence, "the chain head's hash differs from the last event's")
        latest_checkpoint = max(checkpoints, default=0)
        if latest_checkpoint > count:
            raise _Broken(
                count + 1, f"the chain was cut below the signed checkpoint at {latest_checkpoint}"
            )
        _check_nothing_beyond(head_sequence)
    except _Broken as broken:
        return VerificationResult(
            ok=False,
            count=walk.verified,
            head_sequence=head_sequence,
            head_hash=head_hash,
            checkpoints=len(checkpoints),
            first_bad_sequence=broken.sequence,
            problem=broken.problem,
            mac_checked=mac_key is not None,
        )
    latest_at = max((c.created_at for c in checkpoints.values()), default=None)
    return VerificationResult(
        ok=True,
        count=walk.verified,
        head_sequence=head_sequence,
        head_hash=head_hash,
        checkpoints=len(checkpoints),
        mac_checked=mac_key is not None,
        latest_checkpoint_at=latest_at,
        stale_reason=_staleness(latest_at, walk.first_created_at),
        stale=bool(_staleness(latest_at, walk.first_created_at)),
    )


def _staleness(latest_at: dt.datetime | None, first_event_at: dt.datetime | None) -> str:
    """Why the chain's newest signature is too old to vouch for the recent events, or ""."""
    max_age = dt.timedelta(seconds=settings.AUDIT_CHECKPOINT_MAX_AGE)
    now = timezone.now()
    if latest_at is not None:
        if now - latest_at > max_age:
            return f"the newest signed checkpoint is from {chain.format_time(latest_at)}"
        return ""
    # No checkpoint yet: a new installation has until its first events are that old.
    if first_event_at is not None and now - first_event_at > max_age:
        return f"no signed checkpoint, and events date back to {chain.format_time(first_event_at)}"
    return ""


def _check_nothing_beyond(head_sequence: int) -> None:
    """Events past the head are fine only if a writer appended them (and moved the head)
    while we were reading; the events are read first, so a committed append shows in the head."""
    beyond = (
        AuditEvent.objects.filter(sequence__gt=head_sequence)
        .order_by("sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if beyond is None:
        return
    now = AuditChainHead.objects.filter(pk=CHAIN_HEAD_ID).values_list("last_sequence", flat=True)
    if beyond > (now.first() or 0):
        raise _Broken(beyond, f"event {beyond} lies beyond the chain head")
