"""Fixed-window request counters kept in the shared cache.

Password reset requests are counted per client address and per e-mail address, whether or
not an account has that address, so a refusal says nothing about which accounts exist.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60 * 60


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"throttle:password-reset:{kind}:{digest}"


def _count(key: str) -> int:
    """Count one more request in the key's window (which starts with its first request)."""
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return 1


def password_reset_allowed(*, email: str, ip: str | None) -> bool:
    """Count a reset request; False once either its address or its account is over the limit."""
    over = _count(_key("email", email.strip().lower())) > settings.PASSWORD_RESET_PER_ACCOUNT
    if ip:
        over |= _count(_key("ip", ip)) > settings.PASSWORD_RESET_PER_ADDRESS
    return not over
