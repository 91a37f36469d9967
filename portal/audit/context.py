"""How a change reached the portal (address, user agent, request id), for the audit trail."""

from contextvars import ContextVar
from dataclasses import dataclass

from django_guid import get_guid


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""


# RequestContext is a frozen dataclass, so sharing the default instance is safe.
_current: ContextVar[RequestContext] = ContextVar(
    "audit_request_context",
    default=RequestContext(),  # noqa: B039
)


def set_current(context: RequestContext):
    return _current.set(context)


def reset(token) -> None:
    _current.reset(token)


def current() -> RequestContext:
    return _current.get()


def request_id() -> str:
    return get_guid() or ""
