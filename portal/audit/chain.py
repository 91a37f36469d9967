"""How an audit event's hash is computed, so verification re-computes it exactly.

The canonical form of an event is the UTF-8 bytes of a JSON object with exactly these keys,
sorted, no insignificant whitespace (separators "," and ":"), non-ASCII escaped as \\uXXXX,
no NaN or infinity:

    v             the canonical version the event was written under (1 or 2, below)
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

Versions. The event's `canonical_version` column says which rules it was written under, and
"v" carries it into the hash, so nobody can move an event from one set of rules to another.
Along the chain the version never goes down.

* 1: the first rules. `changes` could hold floats, which PostgreSQL's jsonb renders its own
  way (1e20 comes back as 100000000000000000000, -0.0 as 0), breaking the hash.
* 2: `changes` holds no floats (`services.record` refuses them, naming the key), and every
  event also carries a MAC under a key the database never sees (see `portal.audit.mac`).

Every value is hashed exactly as it reads back from SQLite or PostgreSQL: `changes` is
normalised through a JSON round trip before it is stored (jsonb reorders keys, which sorting
makes harmless), times carry microseconds on both, and IPv6 addresses are compressed first.
portal/audit/offline_verify.py repeats these rules without Django, for auditors.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

CANONICAL_VERSION = 2
CANONICAL_VERSIONS = (1, 2)
CHECKPOINT_MESSAGE_VERSION = 1
GENESIS_HASH = "0" * 64

# The event columns the hash covers, in the order verification reads them.
HASHED_FIELDS = (
    "canonical_version",
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


def float_path(value: Any, path: str = "") -> str | None:
    """Where the first float in a JSON value sits ("fee", "rates.0"), or None."""
    if isinstance(value, float):
        return path or "(the value itself)"
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = float_path(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def canonical_dumps(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def canonical_payload(values: Mapping[str, Any]) -> dict[str, Any]:
    """The object that is hashed, as plain JSON values (what an export carries)."""
    version = values.get("canonical_version") or 1
    if version not in CANONICAL_VERSIONS:
        raise ValueError(f"unknown canonical version {version!r}")
    payload = {name: values[name] for name in HASHED_FIELDS if name != "canonical_version"}
    if version >= 2:
        where = float_path(payload["changes"])
        if where:
            raise ValueError(f"changes hold a float at {where!r}, which version 2 forbids")
    payload["created_at"] = format_time(values["created_at"])
    payload["v"] = version
    return payload


def canonical_event(values: Mapping[str, Any]) -> bytes:
    return canonical_dumps(canonical_payload(values))


def event_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_event(values)).hexdigest()


def checkpoint_message(*, sequence: int, hash: str, created_at: datetime, key_id: str) -> bytes:
    """What a checkpoint's signature covers: the same canonical JSON rules as events."""
    return canonical_dumps(
        {
            "type": "portal.audit.checkpoint",
            "v": CHECKPOINT_MESSAGE_VERSION,
            "sequence": sequence,
            "hash": hash,
            "created_at": format_time(created_at),
            "key_id": key_id,
        }
    )
