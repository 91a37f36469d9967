"""Name-based identifiers, properties in the portal's namespace, and times as OSCAL writes them."""

import uuid
from datetime import UTC, date, datetime, time, timedelta

from trestle.oscal import common

# Every UUID in the exports is derived from a stable name under this namespace (UUID v5).
PORTAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:compliance-portal:oscal")
# Properties and parts the OSCAL standard does not define carry this namespace.
PORTAL_NS = "urn:compliance-portal:oscal"


def stable_uuid(*names: object) -> str:
    """The UUID of the thing these names identify, the same in every export."""
    return str(uuid.uuid5(PORTAL_NAMESPACE, "/".join(str(name) for name in names)))


def portal_prop(name: str, value: object, *, cls: str | None = None) -> common.Property:
    return common.Property(name=name, value=str(value), ns=PORTAL_NS, class_=cls)


def oscal_prop(name: str, value: object) -> common.Property:
    """A property OSCAL itself defines (label, status, method, type, version)."""
    return common.Property(name=name, value=str(value))


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """The instant the day ends (UTC): the start of the next one."""
    return start_of(day + timedelta(days=1))


def utc(moment: datetime) -> datetime:
    """The moment in UTC to the millisecond, as OSCAL files carry it: trestle writes
    milliseconds, so a finer moment would not read back as it was written."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def or_none(items: list) -> list | None:
    """OSCAL lists hold at least one item: an empty one is left out."""
    return items or None
