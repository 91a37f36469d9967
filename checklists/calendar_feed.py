"""A person's calendar feed as iCalendar (RFC 5545): one all-day event per open occurrence.

An event carries the obligation's title, the team's name, the due date and a link to the
occurrence, nothing else: no notes, evidence, credential details or other typed text, since
calendar services copy what they fetch to places the portal does not control.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

import icalendar
from django.conf import settings

from checklists.models import Occurrence
from checklists.schedule import Status, status

PRODID = "-//Compliance portal//Due dates//EN"
CALENDAR_NAME = "Compliance portal: due dates"
REFRESH = timedelta(hours=12)
DEFAULT_UID_HOST = "compliance-portal"

SUMMARY_PREFIXES = {
    Status.OVERDUE: "Overdue: ",
    Status.AWAITING_CONFIRMATION: "Awaiting confirmation: ",
}


def uid_host() -> str:
    """The fixed host name in every event's UID, so UIDs never change with the address the
    portal is reached at."""
    return getattr(settings, "CALENDAR_UID_HOST", "") or DEFAULT_UID_HOST


def summary(occurrence: Occurrence, *, today: date) -> str:
    obligation = occurrence.obligation
    state = status(
        due_on=occurrence.due_on,
        today=today,
        completed=occurrence.completed_at is not None,
        done=occurrence.done_at is not None,
    )
    return f"{SUMMARY_PREFIXES.get(state, '')}{obligation.title} — {obligation.team.name}"


def build(
    occurrences: Iterable[Occurrence],
    *,
    today: date,
    now: datetime,
    absolute_url: Callable[[str], str],
) -> bytes:
    """The feed. `occurrences` come with their obligation and team; `absolute_url` turns a
    path into a full address."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("refresh-interval", icalendar.vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    host = uid_host()
    for occurrence in occurrences:
        event = icalendar.Event()
        event.add("uid", f"occurrence-{occurrence.pk}@{host}")
        event.add("sequence", occurrence.sequence)
        event.add("dtstamp", now)
        event.add("dtstart", occurrence.due_on)
        event.add("dtend", occurrence.due_on + timedelta(days=1))
        event.add("summary", summary(occurrence, today=today))
        event.add("url", absolute_url(occurrence.get_absolute_url()))
        calendar.add_component(event)
    return calendar.to_ical()
