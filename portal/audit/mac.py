"""The MAC every audit event carries (canonical version 2 on), so that somebody holding only
the database cannot append or rewrite an event that verifies.

MAC = lowercase hex HMAC-SHA256, keyed with AUDIT_MAC_KEY (or AUDIT_MAC_KEY_FILE), over the
bytes "portal.audit.event-mac:" followed by the event's hash. The hash already commits to
every hashed field, so a MAC over it covers them all. The key lives on the web and worker
nodes only; the database never stores it. With DEBUG on and no key, settings generate one
under DATA_DIR/keys; with DEBUG off and no key, appending an event raises
ImproperlyConfigured, while verification still runs and reports "MAC not checked".
"""

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_LENGTH = 32
_DOMAIN = b"portal.audit.event-mac:"


def mac_key() -> bytes | None:
    """The configured key, or None where it is absent (an auditor's machine)."""
    key = settings.AUDIT_MAC_KEY
    if not key:
        return None
    if len(key) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(f"AUDIT_MAC_KEY must be at least {MIN_KEY_LENGTH} characters")
    return key.encode("utf-8")


def required_mac_key() -> bytes:
    key = mac_key()
    if key is None:
        raise ImproperlyConfigured(
            "AUDIT_MAC_KEY (or AUDIT_MAC_KEY_FILE) is required to append audit events"
        )
    return key


def event_mac(event_hash: str, key: bytes) -> str:
    return hmac.new(key, _DOMAIN + event_hash.encode("ascii"), hashlib.sha256).hexdigest()


def mac_valid(event_hash: str, mac: str, key: bytes) -> bool:
    return hmac.compare_digest(event_mac(event_hash, key), mac or "")
