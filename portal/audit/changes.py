"""How an event's `changes` read for people: the one describer every page and export uses.

Since canonical version 2 a change is stored as {"from": old, "to": new} and anything else
is a plain fact (a count, a name, a list of providers). Before version 2 changes were
[old, new] lists, so for those events a two-item list is drawn as a change.
"""

from dataclasses import dataclass
from typing import Any

# Field names whose plain humanising would read wrong.
_FIELD_LABELS = {
    "sha256": "SHA-256",
    "roster_sha256": "Account list SHA-256",
    "result_sha256": "Result SHA-256",
    "asvs_level": "ASVS level",
    "ip": "IP address",
    "url": "Address",
    "id": "ID",
    "key_id": "Key ID",
}


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str | None  # None: a fact, not a change
    after: str

    @property
    def is_change(self) -> bool:
        return self.before is not None

    @property
    def text(self) -> str:
        return f"{self.before} → {self.after}" if self.is_change else self.after


def field_label(name: str) -> str:
    known = _FIELD_LABELS.get(name)
    if known:
        return known
    words = str(name).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else "—"


def plain(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(plain(item) for item in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{field_label(k)}: {plain(v)}" for k, v in value.items()) or "—"
    return str(value)


def is_change(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"from", "to"}


def describe(value: Any, *, legacy_pairs: bool = False) -> tuple[str | None, str]:
    """(before, after) of a change, or (None, value) of a fact."""
    if is_change(value):
        return plain(value["from"]), plain(value["to"])
    if legacy_pairs and isinstance(value, list) and len(value) == 2:
        return plain(value[0]), plain(value[1])
    return None, plain(value)


def rows(changes: Any, canonical_version: int | None) -> list[ChangeRow]:
    """One row a field, by field name: PostgreSQL keeps a JSON object's keys in an order of
    its own, so the order recorded is not the order read back."""
    if not isinstance(changes, dict):
        return []
    legacy = (canonical_version or 1) < 2
    result = []
    for name, value in sorted(changes.items()):
        before, after = describe(value, legacy_pairs=legacy)
        result.append(ChangeRow(field_label(name), before, after))
    return result


def summary(changes: Any, canonical_version: int | None) -> str:
    """All of an event's changes on one line ("Status: partial → implemented; Version: 3"),
    for exports."""
    return "; ".join(f"{row.field}: {row.text}" for row in rows(changes, canonical_version))
