from urllib.parse import urlencode

from django import template
from django.urls import reverse

from portal.audit import actions, display, selectors

register = template.Library()


@register.inclusion_tag("audit/_object_history.html", takes_context=True)
def audit_history(context, obj, limit: int = 20):
    """`{% load audit_tags %}{% audit_history obj %}`: the object's own events the signed-in
    user may see (nothing at all for users without audit access), worded as the audit
    pages word them."""
    user = context["request"].user
    events = selectors.object_history(obj=obj, user=user, limit=limit)
    all_url = ""
    if len(events) >= limit:
        query = urlencode({"object_type": obj._meta.label_lower, "object_id": str(obj.pk)})
        all_url = f"{reverse('audit:event_list')}?{query}"
    return {
        "rows": display.rows_for(events, user=user, with_links=False),
        "obj": obj,
        "all_url": all_url,
    }


@register.filter
def action_label(action: str) -> str:
    """`{{ event.action|action_label }}`: what the action is called on the pages."""
    return actions.label(action)
