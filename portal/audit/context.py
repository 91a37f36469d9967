"""How a change reached the portal (address, user agent, request id), for the audit trail."""

from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.conf import settings
from django.http import HttpRequest
from django_guid import get_guid


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    # Who every event of the request names instead of the user, e.g. the API token used.
    actor_label: str = ""


_OUTSIDE_REQUESTS = RequestContext()
# RequestContext is a frozen dataclass, so sharing the default instance is safe.
_current: ContextVar[RequestContext] = ContextVar(
    "audit_request_context",
    default=_OUTSIDE_REQUESTS,  # noqa: B039
)


def set_current(context: RequestContext):
    return _current.set(context)


def reset(token) -> None:
    _current.reset(token)


def current() -> RequestContext:
    return _current.get()


def act_as(label: str) -> None:
    """From now until the request ends, every event names `label` as its actor. Only inside
    a request (RequestContextMiddleware), whose end undoes it; elsewhere nothing changes."""
    now = _current.get()
    if now is not _OUTSIDE_REQUESTS:
        _current.set(replace(now, actor_label=label))


def request_id() -> str:
    return get_guid() or ""


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind TRUSTED_PROXY_COUNT reverse proxies, the address the
    outermost trusted proxy saw; a client cannot choose it by sending X-Forwarded-For."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
