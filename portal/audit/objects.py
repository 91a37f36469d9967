"""What an event's object is called on the audit pages, and the link to its page.

Events keep the object's name as it was (`object_label`), so naming needs no query. Links
need the object itself: `links_for` loads the page's objects with one query per kind of
object (and one for the viewer's teams), and links only those that still exist and whose
page the viewer may open.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.accounts import permissions

# How the object is introduced: "Team Acme Pay", "Credential ‘MixPay API key’".
# An empty noun shows the name alone (an answer's name, "GOPAY-3.1 in Acme Pay 2026-Q4",
# says what it is).
_NOUNS: dict[str, tuple[str, bool]] = {
    "accounts.team": ("Team", False),
    "accounts.membership": ("Membership:", False),
    "accounts.invitation": ("Invitation:", False),
    "auth.user": ("Person", False),
    "auth.group": ("Group", False),
    "checklists.checklist": ("Checklist", False),
    "checklists.attestation": ("", False),
    "checklists.evidence": ("Evidence", True),
    "checklists.credential": ("Credential", True),
    "checklists.obligation": ("Obligation", True),
    "checklists.occurrence": ("Duty", True),
    "checklists.incident": ("Incident", True),
    "checklists.incidentcontact": ("Incident contact", False),
    "checklists.accessreview": ("Access review", False),
    "checklists.accessentry": ("Account", True),
    "checklists.reportexport": ("", False),
    "checklists.calendarfeed": ("Calendar feed", False),
    "checklists.reminderpreference": ("Reminder settings", False),
}


def _noun_of(object_type: str) -> tuple[str, bool]:
    known = _NOUNS.get(object_type)
    if known is not None:
        return known
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return "", False
    return str(model._meta.verbose_name).capitalize(), False


def object_name(object_type: str, object_id: str, object_label: str) -> str:
    """The object as people know it, or "" for an event about no object."""
    if not object_type:
        return ""
    noun, quoted = _noun_of(object_type)
    name = object_label or f"#{object_id}"
    if quoted and object_label:
        name = f"‘{name}’"
    return f"{noun} {name}" if noun else name


@dataclass(frozen=True)
class _Page:
    """Where an object's page is, and whose team it belongs to (None: no team)."""

    related: tuple[str, ...]
    team_id: Callable[[Any], int | None]
    url: Callable[[Any], str]


def _own_url(obj) -> str:
    return obj.get_absolute_url()


def _team_id(obj) -> int | None:
    return obj.team_id


_PAGES: dict[str, _Page] = {
    "accounts.team": _Page((), lambda team: team.pk, _own_url),
    "accounts.membership": _Page(("team",), _team_id, lambda m: m.team.get_absolute_url()),
    "checklists.checklist": _Page(("team",), _team_id, _own_url),
    "checklists.attestation": _Page(
        ("checklist__team", "control"), lambda a: a.checklist.team_id, _own_url
    ),
    "checklists.credential": _Page(("team",), _team_id, _own_url),
    "checklists.obligation": _Page(("team",), _team_id, _own_url),
    "checklists.occurrence": _Page(("obligation__team",), lambda o: o.obligation.team_id, _own_url),
    "checklists.incident": _Page(("team",), _team_id, _own_url),
    "checklists.incidentcontact": _Page(
        ("team",), _team_id, lambda c: reverse("checklists:contact_list", args=[c.team.slug])
    ),
    "checklists.accessreview": _Page(("team",), _team_id, _own_url),
    "checklists.accessentry": _Page(
        ("review__team",), lambda e: e.review.team_id, lambda e: e.review.get_absolute_url()
    ),
    "checklists.reportexport": _Page(("team",), _team_id, _own_url),
}


class _Viewer:
    """What the viewer may open, worked out at most once a page."""

    def __init__(self, user):
        self.user = user
        self._team_ids: set[int] | None = None
        self._organisation: bool | None = None

    def may_open(self, team_id: int | None) -> bool:
        if team_id is None:
            # The one kind without a team: the organisation's reports.
            if self._organisation is None:
                self._organisation = permissions.may_export_organisation(self.user)
            return self._organisation
        if self._team_ids is None:
            self._team_ids = set(permissions.teams_for(self.user).values_list("pk", flat=True))
        return team_id in self._team_ids


def _keys(model, object_ids: Iterable[str]) -> list:
    keys = []
    for object_id in object_ids:
        try:
            keys.append(model._meta.pk.to_python(object_id))
        except ValidationError:
            continue
    return keys


def links_for(events: Iterable, *, user) -> dict[tuple[str, str], str]:
    """{(object_type, object_id): url} for the events' objects the viewer may open."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.object_type in _PAGES and event.object_id:
            wanted[event.object_type].add(event.object_id)
    viewer = _Viewer(user)
    links: dict[tuple[str, str], str] = {}
    for object_type, object_ids in sorted(wanted.items()):
        page = _PAGES[object_type]
        model = apps.get_model(object_type)
        found = model._default_manager.filter(pk__in=_keys(model, object_ids))
        for obj in found.select_related(*page.related):
            if viewer.may_open(page.team_id(obj)):
                links[(object_type, str(obj.pk))] = page.url(obj)
    return links
