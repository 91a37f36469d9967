"""The audit trail's only write path."""

from typing import Any

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from portal.audit import context
from portal.audit.models import AuditEvent
from portal.audit.redaction import redact_changes


def record(
    action: str,
    *,
    actor=None,
    actor_label: str = "",
    obj: models.Model | None = None,
    team=None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event inside the caller's transaction.

    `action` is a dotted name such as "accounts.membership.added"; `changes` maps a field
    to [old, new] (secrets in it are masked before they are stored).
    """
    how = context.current()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    with transaction.atomic():
        last = AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0
        return AuditEvent.objects.create(
            sequence=last + 1,
            created_at=timezone.now(),
            actor=actor,
            actor_label=actor_label or (actor.get_username() if actor else ""),
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_label=str(obj)[:200] if obj is not None else "",
            team=team,
            changes=redact_changes(changes or {}),
            reason=reason,
            ip=how.ip,
            user_agent=how.user_agent,
            request_id=context.request_id(),
        )
