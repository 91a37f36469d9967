from django import template

from portal.audit import selectors

register = template.Library()


@register.inclusion_tag("audit/_object_history.html", takes_context=True)
def audit_history(context, obj, limit: int = 20):
    """`{% load audit_tags %}{% audit_history obj %}`: the object's own events the signed-in
    user may see (nothing at all for users without audit access)."""
    user = context["request"].user
    return {"history": selectors.object_history(obj=obj, user=user, limit=limit), "obj": obj}


def _plain(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value) or "none"
    return str(value)


def _is_change(value) -> bool:
    return isinstance(value, dict) and set(value) == {"from", "to"}


def describe(value, *, legacy_pairs: bool = False) -> str:
    """One entry of `changes` for people: a change {"from": a, "to": b} reads "a → b"; a fact
    reads as itself (a list as "gopay, mixpay"). Events written before canonical version 2
    stored changes as [old, new] lists; `legacy_pairs` draws those as changes."""
    if _is_change(value):
        return f"{_plain(value['from'])} → {_plain(value['to'])}"
    if legacy_pairs and isinstance(value, list) and len(value) == 2:
        return f"{_plain(value[0])} → {_plain(value[1])}"
    return _plain(value)


@register.filter
def change_rows(event) -> list[tuple[str, str]]:
    """`{% for field, text in event|change_rows %}`: the event's changes, one row a field."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    legacy = (event.canonical_version or 1) < 2
    return [(str(field), describe(value, legacy_pairs=legacy)) for field, value in changes.items()]
