"""How an audit event's hash is computed, so verification re-computes it exactly.

The canonical form of an event (version 1) is the UTF-8 bytes of a JSON object with exactly
these keys, sorted, no insignificant whitespace (separators "," and ":"), non-ASCII escaped
as \\uXXXX, no NaN or infinity:

    v             1
    sequence      integer, 1, 2, 3, ...
    created_at    "YYYY-MM-DDTHH:MM:SS.ffffffZ": UTC, always six microsecond digits
    actor_id      integer or null
    actor_label   string
    action        string, a dotted name such as "checklists.attestation.approved"
    object_type   string ("app_label.model"), object_id string, object_label string
    team_id       integer or null
    changes       the stored JSON value (nested object keys sorted too)
    reason        string
    ip            string as the database returns it (IPv6 compressed), or null
    user_agent    string
    request_id    string
    prev_hash     the previous event's hash; GENESIS_HASH (64 zeros) for sequence 1

    hash = lowercase hex SHA-256 of those bytes.

Every value is hashed exactly as it reads back from SQLite or PostgreSQL: `changes` is
normalised through a JSON round trip before it is stored (jsonb reorders keys, which sorting
makes harmless), times carry microseconds on both, and IPv6 addresses are compressed first.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

CANONICAL_VERSION = 1
GENESIS_HASH = "0" * 64

# The event columns the hash covers, in the order verification reads them.
HASHED_FIELDS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "team_id",
    "changes",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "prev_hash",
)


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_json(value: Any) -> Any:
    """The value as the JSON column gives it back: tuples become lists, keys strings,
    dates and decimals strings (Django's JSON encoder)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False))


def canonical_dumps(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def canonical_event(values: Mapping[str, Any]) -> bytes:
    payload = {name: values[name] for name in HASHED_FIELDS}
    payload["created_at"] = format_time(values["created_at"])
    payload["v"] = CANONICAL_VERSION
    return canonical_dumps(payload)


def event_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_event(values)).hexdigest()


def checkpoint_message(*, sequence: int, hash: str, created_at: datetime, key_id: str) -> bytes:
    """What a checkpoint's signature covers: the same canonical JSON rules as events."""
    return canonical_dumps(
        {
            "type": "portal.audit.checkpoint",
            "v": CANONICAL_VERSION,
            "sequence": sequence,
            "hash": hash,
            "created_at": format_time(created_at),
            "key_id": key_id,
        }
    )
