"""Reads of the audit trail that pages, reports and other apps share.

Who sees which events (the one rule every audit page and export applies) is decided by
`portal.accounts.permissions.audit_visibility`:

* Holders of `audit.view_auditevent` (superusers, the Auditors group): every event, including
  deleted teams' and the events that belong to no team (sign-ins, lockouts, role grants).
* Other holders of the portal-wide view_team (security reviewers): every team's events,
  including deleted teams; not the team-less ones, which carry personal data (addresses,
  usernames tried) that reviewing attestations does not need.
* Team leads: the events of the teams they manage.
* Everybody else, plain members included: nothing; the audit pages answer 404.
"""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from portal.accounts.models import Team
from portal.accounts.permissions import GLOBAL_GROUP_PERMISSIONS, audit_visibility
from portal.audit import actions, changes, objects
from portal.audit.chain import GENESIS_HASH, HASHED_FIELDS, canonical_payload, format_time
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


VERIFIED = "audit.log.verified"


@dataclass(frozen=True)
class LastVerification:
    at: dt.datetime
    by: str  # "by <username>", or what ran it ("Nightly check")
    intact: bool
    count: int
    head_sequence: int | None
    first_bad_sequence: int | None
    problem: str
    stale: bool


@dataclass(frozen=True)
class LastCheckpoint:
    at: dt.datetime
    sequence: int
    key_id: str


@dataclass(frozen=True)
class TrailStatus:
    verification: LastVerification | None
    checkpoint: LastCheckpoint | None


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def trail_status() -> TrailStatus:
    """The last recorded verification of the chain and the latest signed checkpoint (two
    queries, both on an index)."""
    verified = (
        AuditEvent.objects.filter(action=VERIFIED)
        .order_by("-sequence")
        .values("created_at", "actor_label", "reason", "changes")
        .first()
    )
    verification = None
    if verified is not None:
        found = verified["changes"] if isinstance(verified["changes"], dict) else {}
        verification = LastVerification(
            at=verified["created_at"],
            by=(
                f"by {verified['actor_label']}"
                if verified["actor_label"]
                else verified["reason"] or "run by the portal"
            ),
            intact=found.get("intact") is True,
            count=_int_or_none(found.get("count")) or 0,
            head_sequence=_int_or_none(found.get("head_sequence")),
            first_bad_sequence=_int_or_none(found.get("first_bad_sequence")),
            problem=str(found.get("problem") or ""),
            stale=found.get("stale") is True,
        )
    checkpoint = (
        AuditCheckpoint.objects.order_by("-sequence", "-id")
        .values_list("created_at", "sequence", "key_id")
        .first()
    )
    return TrailStatus(
        verification=verification,
        checkpoint=LastCheckpoint(*checkpoint) if checkpoint else None,
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
    """Which events the user may see: decided by `permissions.audit_visibility`."""
    visibility = audit_visibility(user)
    return AuditScope(
        every_team=visibility.every_team,
        team_ids=visibility.team_ids,
        teamless=visibility.teamless,
    )


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


NO_PERSON = "(system)"  # the actor filter's value for events no person caused


def events_filter(
    *,
    events: QuerySet[AuditEvent],
    actor: str = "",
    what: str = "",
    action: str = "",
    team: Team | None = None,
    object_type: str = "",
    object_id: str = "",
    q: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Narrow `events` by the audit page filters, in the database.

    `actor` is a username (as it was when the event was recorded, or the person's now) or
    NO_PERSON; `what` a group of actions (portal.audit.actions); `action` one dotted name, or
    a prefix ending in "*"; `q` a piece of the object's name.
    """
    if actor == NO_PERSON:
        events = events.filter(actor_label="")
    elif actor:
        # What they did through an API token carries the token's name, not theirs.
        person = get_user_model().objects.filter(username=actor).values("pk")
        events = events.filter(Q(actor_label=actor) | Q(actor_id__in=person))
    if what:
        events = events.filter(action__in=actions.actions_in(what))
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
    if q:
        events = events.filter(object_label__icontains=q)
    if date_from:
        events = events.filter(created_at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(created_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return events


def people(*, scope: AuditScope) -> list[tuple[str, str]]:
    """(username, name to show) of the people the actor filter offers: everybody for those
    who see every team; for a lead, their teams' members and the holders of portal-wide
    roles (the reviewers who decide on their answers)."""
    users = get_user_model().objects.all()
    if not scope.every_team:
        users = users.filter(
            Q(memberships__team_id__in=sorted(scope.team_ids))
            | Q(groups__name__in=sorted(GLOBAL_GROUP_PERMISSIONS))
            | Q(is_superuser=True)
        ).distinct()
    rows = users.order_by("username").values_list("username", "first_name", "last_name")
    choices = []
    for username, first, last in rows:
        full_name = " ".join(filter(None, (first, last)))
        choices.append((username, f"{username} ({full_name})" if full_name else username))
    return choices


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
    # The same, as the audit pages word it.
    "what_happened",
    "object_name",
    "changes_readable",
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
    rows = events.order_by("sequence").values_list(*_CSV_COLUMNS, "canonical_version")
    for row in rows.iterator(chunk_size=chunk_size):
        values = dict(zip(_CSV_COLUMNS, row, strict=False))
        readable = (
            actions.label(values["action"]),
            objects.object_name(values["object_type"], values["object_id"], values["object_label"]),
            changes.summary(values["changes"], row[-1]),
        )
        yield [_csv_cell(value) for value in (*row[:-1], *readable)]


EXPORT_FORMAT = "portal.audit.export"
EXPORT_VERSION = 1


def _json_line(value: dict) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":")) + "\n"


def events_jsonl_lines(
    *, events: QuerySet[AuditEvent], filters: dict | None = None, chunk_size: int = 2000
) -> Iterator[str]:
    """An export an auditor can verify without the portal (portal/audit/offline_verify.py).

    JSON Lines: a header, then every sequence from the first to the last matching event,
    then every signed checkpoint.

    * {"type": "export", "format": "portal.audit.export", "version": 1, "first_sequence",
      "last_sequence", "exported_at", "filters"}
    * {"type": "event", "hash", "event": {the canonical object that is hashed}} for each
      matching event;
    * {"type": "link", "sequence", "prev_hash", "hash"} for the events in between that the
      filters or the reader's scope leave out: the chain stays checkable end to end (a removed
      line shows) without telling anything about those events but their place;
    * {"type": "checkpoint", "sequence", "hash", "created_at", "key_id", "signature"}.
    """
    bounds = events.order_by().aggregate(first=Min("sequence"), last=Max("sequence"))
    yield _json_line(
        {
            "type": "export",
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "first_sequence": bounds["first"],
            "last_sequence": bounds["last"],
            "exported_at": format_time(timezone.now()),
            "filters": filters or {},
        }
    )
    if bounds["first"] is not None:
        rows = (
            AuditEvent.objects.filter(sequence__gte=bounds["first"], sequence__lte=bounds["last"])
            .annotate(in_export=Exists(events.order_by().filter(pk=OuterRef("pk"))))
            .order_by("sequence")
            .values_list(*HASHED_FIELDS, "hash", "in_export")
        )
        for row in rows.iterator(chunk_size=chunk_size):
            values = dict(zip(HASHED_FIELDS, row, strict=False))
            hash_, in_export = row[-2], row[-1]
            if in_export:
                yield _json_line(
                    {"type": "event", "hash": hash_, "event": canonical_payload(values)}
                )
            else:
                yield _json_line(
                    {
                        "type": "link",
                        "sequence": values["sequence"],
                        "prev_hash": values["prev_hash"],
                        "hash": hash_,
                    }
                )
    checkpoints = AuditCheckpoint.objects.order_by("sequence", "id").values_list(
        "sequence", "hash", "created_at", "key_id", "signature"
    )
    for sequence, hash_, created_at, key_id, signature in checkpoints.iterator(
        chunk_size=chunk_size
    ):
        yield _json_line(
            {
                "type": "checkpoint",
                "sequence": sequence,
                "hash": hash_,
                "created_at": format_time(created_at),
                "key_id": key_id,
                "signature": signature,
            }
        )
