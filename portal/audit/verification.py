"""Re-computes the audit hash chain and checks it against its head and signed checkpoints.

Events are streamed in sequence order (an iterator with a chunk size, only the hashed
columns), so memory stays bounded however long the chain is. The first problem found stops
verification and names the sequence number where the chain stops being trustworthy.
"""

from dataclasses import dataclass

from portal.audit import chain, signing
from portal.audit.models import CHAIN_HEAD_ID, AuditChainHead, AuditCheckpoint, AuditEvent


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    count: int
    head_sequence: int
    head_hash: str
    checkpoints: int
    first_bad_sequence: int | None = None
    problem: str = ""
    recorded: bool = True  # whether the audit.log.verified event could be appended


class _Broken(Exception):
    def __init__(self, sequence: int, problem: str):
        super().__init__(problem)
        self.sequence = sequence
        self.problem = problem


def _signed_checkpoints() -> dict[int, str]:
    """Every checkpoint's (sequence -> hash), after checking its signature with a trusted key."""
    trusted = signing.trusted_public_keys()
    by_sequence: dict[int, str] = {}
    rows = AuditCheckpoint.objects.order_by("sequence", "id").values_list(
        "id", "sequence", "hash", "created_at", "key_id", "signature"
    )
    for pk, sequence, hash_, created_at, key_id, signature in rows.iterator(chunk_size=2000):
        if key_id not in trusted:
            raise _Broken(sequence, f"checkpoint {pk} is signed by an unknown key {key_id[:16]}")
        message = chain.checkpoint_message(
            sequence=sequence, hash=hash_, created_at=created_at, key_id=key_id
        )
        if not signing.signature_valid(message, signature, trusted[key_id]):
            raise _Broken(sequence, f"checkpoint {pk} has an invalid signature")
        if by_sequence.get(sequence, hash_) != hash_:
            raise _Broken(sequence, f"checkpoints disagree about sequence {sequence}")
        by_sequence[sequence] = hash_
    return by_sequence


def _walk(head_sequence: int, checkpoints: dict[int, str], chunk_size: int) -> tuple[int, str]:
    expected, previous = 1, chain.GENESIS_HASH
    rows = (
        AuditEvent.objects.filter(sequence__lte=head_sequence)
        .order_by("sequence")
        .values_list(*chain.HASHED_FIELDS, "hash")
    )
    for row in rows.iterator(chunk_size=chunk_size):
        values = dict(zip(chain.HASHED_FIELDS, row, strict=False))
        sequence, stored_hash = values["sequence"], row[-1]
        if sequence != expected:
            raise _Broken(
                expected, f"sequence {expected} is missing (the next event is {sequence})"
            )
        if values["prev_hash"] != previous:
            raise _Broken(sequence, "its previous hash does not match the event before it")
        if chain.event_hash(values) != stored_hash:
            raise _Broken(sequence, "its contents do not match its hash")
        if checkpoints.get(sequence, stored_hash) != stored_hash:
            raise _Broken(sequence, "its hash differs from the signed checkpoint")
        expected, previous = expected + 1, stored_hash
    return expected - 1, previous


def verify_chain(*, chunk_size: int = 5000) -> VerificationResult:
    head_sequence, head_hash = 0, chain.GENESIS_HASH
    count, checkpoints = 0, {}
    try:
        # Checkpoints before the head: a checkpoint signed while we read can then never lie
        # beyond the head we compare it with.
        checkpoints = _signed_checkpoints()
        head = (
            AuditChainHead.objects.filter(pk=CHAIN_HEAD_ID)
            .values_list("last_sequence", "last_hash")
            .first()
        )
        if head is None and AuditEvent.objects.exists():
            raise _Broken(1, "the chain head row is missing")
        head_sequence, head_hash = head or (0, chain.GENESIS_HASH)
        count, last_hash = _walk(head_sequence, checkpoints, chunk_size)
        if count != head_sequence:
            raise _Broken(count + 1, f"the chain ends at {count} but its head says {head_sequence}")
        if last_hash != head_hash:
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
            count=count,
            head_sequence=head_sequence,
            head_hash=head_hash,
            checkpoints=len(checkpoints),
            first_bad_sequence=broken.sequence,
            problem=broken.problem,
        )
    return VerificationResult(
        ok=True,
        count=count,
        head_sequence=head_sequence,
        head_hash=head_hash,
        checkpoints=len(checkpoints),
    )


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
