"""Reads of the audit trail that pages, reports and other apps share.

Who sees which events (the one rule every audit page and export applies):

* Portal administrators (superusers) and holders of `audit.view_auditevent` (the admin's view
  permission on events): every event.
* Auditors: every team's events, including teams deleted since, and the events that belong
  to no team (sign-ins, lockouts, portal role grants, user changes).
* Security reviewers (any other holder of the portal-wide view_team): every team's events,
  including deleted teams; not the team-less ones, which carry personal data (addresses,
  usernames tried) that reviewing attestations does not need.
* Team leads: the events of the teams they manage (`teams_for(user, "manage_team")`).
* Everybody else, plain members included: nothing; the audit pages answer 404.
"""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from portal.accounts.models import Team
from portal.accounts.permissions import AUDITORS_GROUP, teams_for
from portal.audit.chain import GENESIS_HASH, format_time
from portal.audit.models import CHAIN_HEAD_ID, AuditChainHead, AuditCheckpoint, AuditEvent

User = AbstractBaseUser | AnonymousUser
PAGE_SIZE = 50


@dataclass(frozen=True)
class ChainHead:
    sequence: int
    hash: str
    checkpoint_sequence: int | None
    checkpoint_at: dt.datetime | None


def chain_head() -> ChainHead:
    """The chain's current head and its latest signed checkpoint (printed on reports)."""
    head = (
        AuditChainHead.objects.filter(pk=CHAIN_HEAD_ID)
        .values_list("last_sequence", "last_hash")
        .first()
    )
    checkpoint = (
        AuditCheckpoint.objects.order_by("-sequence", "-id")
        .values_list("sequence", "created_at")
        .first()
    )
    sequence, hash_ = head or (0, GENESIS_HASH)
    return ChainHead(
        sequence=sequence,
        hash=hash_,
        checkpoint_sequence=checkpoint[0] if checkpoint else None,
        checkpoint_at=checkpoint[1] if checkpoint else None,
    )


@dataclass(frozen=True)
class AuditScope:
    every_team: bool = False
    team_ids: frozenset[int] = frozenset()
    teamless: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.every_team or self.team_ids or self.teamless)

    def as_q(self) -> Q:
        q = Q(pk__in=[])
        if self.every_team:
            q |= Q(team_id__isnull=False)
        elif self.team_ids:
            q |= Q(team_id__in=sorted(self.team_ids))
        if self.teamless:
            q |= Q(team_id__isnull=True)
        return q


def audit_scope(*, user: User) -> AuditScope:
    """Which events the user may see (see the module docstring)."""
    if not user.is_authenticated or not user.is_active:
        return AuditScope()
    if user.is_superuser or user.has_perm("audit.view_auditevent"):
        return AuditScope(every_team=True, teamless=True)
    if user.has_perm("accounts.view_team"):  # portal-wide, through the reviewers or auditors group
        is_auditor = user.groups.filter(name=AUDITORS_GROUP).exists()
        return AuditScope(every_team=True, teamless=is_auditor)
    led = teams_for(user, "manage_team").values_list("pk", flat=True)
    return AuditScope(team_ids=frozenset(led))


def visible_teams(*, user: User, scope: AuditScope) -> QuerySet[Team]:
    """The teams the user may filter the audit pages by."""
    if scope.every_team:
        return Team.objects.order_by("name")
    return Team.objects.filter(pk__in=sorted(scope.team_ids)).order_by("name")


def events_for(*, user: User, scope: AuditScope | None = None) -> QuerySet[AuditEvent]:
    scope = scope if scope is not None else audit_scope(user=user)
    if scope.is_empty:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(scope.as_q())


def event_get_or_404(*, user: User, sequence: int) -> AuditEvent:
    """The event, if the user may see it; a 404 otherwise, so outsiders learn nothing."""
    event = events_for(user=user).select_related("team").filter(sequence=sequence).first()
    if event is None:
        raise Http404("No such audit event.")
    return event


def events_filter(
    *,
    events: QuerySet[AuditEvent],
    actor: str = "",
    action: str = "",
    team: Team | None = None,
    object_type: str = "",
    object_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Narrow `events` by the audit page filters. An action ending in "*" is a prefix."""
    if actor:
        events = events.filter(actor_label=actor)
    if action.endswith("*"):
        events = events.filter(action__startswith=action[:-1])
    elif action:
        events = events.filter(action=action)
    if team is not None:
        events = events.filter(team_id=team.pk)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if date_from:
        events = events.filter(created_at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(created_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return events


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def events_page(
    *, events: QuerySet[AuditEvent], before: int | None = None, size: int = PAGE_SIZE
) -> tuple[list[AuditEvent], int | None]:
    """One page, newest first, keyset-paginated on sequence (no OFFSET, fast at any depth).

    Returns the events and the `before` value of the next (older) page, or None.
    """
    if before is not None:
        events = events.filter(sequence__lt=before)
    rows = list(events.select_related("team").order_by("-sequence")[: size + 1])
    if len(rows) > size:
        return rows[:size], rows[size - 1].sequence
    return rows, None


def object_history(*, obj: models.Model, user: User, limit: int = 20) -> list[AuditEvent]:
    """The newest events about `obj` that the user may see, for embedding in its page."""
    events = events_for(user=user).filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(events.select_related("team").order_by("-sequence")[:limit])


CSV_HEADER = (
    "sequence",
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "team",
    "changes",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "prev_hash",
    "hash",
)
_CSV_COLUMNS = (
    "sequence",
    "created_at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "team__slug",
    "changes",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "prev_hash",
    "hash",
)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_time(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    # Spreadsheets run cells that start like a formula; an audit export must not.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def events_csv_rows(*, events: QuerySet[AuditEvent], chunk_size: int = 2000) -> Iterator[list[str]]:
    """The header, then every event in chain order, streamed from the database."""
    yield list(CSV_HEADER)
    rows = events.order_by("sequence").values_list(*_CSV_COLUMNS)
    for row in rows.iterator(chunk_size=chunk_size):
        yield [_csv_cell(value) for value in row]
