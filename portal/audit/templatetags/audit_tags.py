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


@register.filter
def change(value) -> str:
    """A recorded change for people: [old, new] reads "old → new"; anything else as it is."""
    if isinstance(value, list) and len(value) == 2:
        return f"{_plain(value[0])} → {_plain(value[1])}"
    return _plain(value)
