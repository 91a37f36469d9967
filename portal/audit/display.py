"""Events as the audit pages show them: what happened, to what (with a link when the
viewer may open it), in which team, and what changed. Templates only print these."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from portal.audit import actions, changes, objects
from portal.audit.models import AuditEvent


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    what: str
    object_name: str
    object_url: str
    team_name: str
    changes: list[changes.ChangeRow]

    @property
    def sequence(self) -> int:
        return self.event.sequence

    @property
    def created_at(self) -> dt.datetime:
        return self.event.created_at

    @property
    def who(self) -> str:
        return self.event.actor_label


def team_name(event: AuditEvent) -> str:
    if event.team_id is None:
        return ""
    if event.team is not None:
        return event.team.name
    return f"Deleted team {event.team_id}"


def rows_for(events: Iterable[AuditEvent], *, user, with_links: bool = True) -> list[EventRow]:
    """Rows for events fetched with their team (`select_related("team")`); links cost one
    query per kind of object on the page, whatever the number of events."""
    events = list(events)
    links = objects.links_for(events, user=user) if with_links else {}
    return [
        EventRow(
            event=event,
            what=actions.label(event.action),
            object_name=objects.object_name(event.object_type, event.object_id, event.object_label),
            object_url=links.get((event.object_type, event.object_id), ""),
            team_name=team_name(event),
            changes=changes.rows(event.changes, event.canonical_version),
        )
        for event in events
    ]
