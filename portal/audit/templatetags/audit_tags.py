from django import template

from portal.audit import selectors

register = template.Library()


@register.inclusion_tag("audit/_object_history.html", takes_context=True)
def audit_history(context, obj, limit: int = 20):
    """`{% load audit_tags %}{% audit_history obj %}`: the object's own events the signed-in
    user may see (nothing at all for users without audit access)."""
    user = context["request"].user
    return {"history": selectors.object_history(obj=obj, user=user, limit=limit), "obj": obj}
