"""Rate limits of the API, counted in the shared cache (CACHE_URL).

Requests with a token are counted per token, signed-in requests per person, anonymous ones
per client address; refused tokens are counted per client address before any look-up. Over
a limit, the answer is a 429 whose body says which limit, and whose Retry-After header says
how many seconds to wait.
"""

import math

from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from portal.api.access import request_token
from portal.audit.context import client_ip

_PERIODS = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}


class RateLimited(Throttled):
    """A 429 naming the limit; Retry-After carries `wait` (whole seconds)."""

    def __init__(self, wait: float, message: str):
        super().__init__(detail=message)
        self.wait = max(1, math.ceil(wait))


class _Limit(SimpleRateThrottle):
    whose = ""  # "with this token", … : completes the refusal

    def get_rate(self):
        # Read at each request, not at import, so a changed setting takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request) or "unknown"

    def wait(self) -> float:
        """Seconds until the oldest request in the window leaves it."""
        if not self.history:
            return self.duration
        return max(0.0, self.history[-1] + self.duration - self.now)

    def refusal(self, wait: int) -> str:
        period = _PERIODS.get(self.duration, f"{self.duration} seconds")
        return (
            f"Too many requests {self.whose}: the limit is {self.num_requests} per {period}. "
            f"Try again in {wait} second{'s' if wait != 1 else ''}."
        )

    def throttle_failure(self):
        wait = max(1, math.ceil(self.wait()))
        raise RateLimited(wait, self.refusal(wait))


class TokenRateThrottle(_Limit):
    scope = "api_token"
    whose = "with this API token"

    def get_cache_key(self, request, view):
        token = request_token(request)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.prefix}


class UserRateThrottle(_Limit):
    """Signed-in people using the API from their browser session."""

    scope = "api_user"
    whose = "from your account"

    def get_cache_key(self, request, view):
        if request_token(request) is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_Limit):
    scope = "api_anon"
    whose = "from this address"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RefusedTokenLimit(_Limit):
    """Refused tokens from one address: checked before a presented token is looked up, and
    counted when it is refused, so guessing tokens is slow and costs the database little."""

    scope = "api_refused_token"
    whose = "with refused API tokens from this address"

    def check(self, request) -> None:
        """Raise RateLimited if the address has used up its refusals."""
        if self.rate is None:
            return
        self.key = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            self.throttle_failure()

    def note_refusal(self) -> None:
        if self.rate is not None:
            self.throttle_success()
