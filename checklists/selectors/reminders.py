"""What each person is reminded of, for the reminder digest.

A person hears about the open occurrences of the obligations they own and the stale approved
answers they own; what nobody owns goes to the team's leads (as does what an owner who can
no longer sign in owns). A daily digest lists what falls due in exactly 30, 7 or 1 days and
everything overdue, every day while it stays overdue. A weekly digest comes on Mondays only
and lists everything open due within the next 30 days, overdue included.

Items come from `ITEM_SOURCES`, one function per kind of thing a person is reminded of;
each reads the rows that match for every person at once (or for one person) in one query.
A new kind (access reviews, say) is one more function appended there.

The digest carries only what is safe to mail: obligation titles, control refs and titles,
team names, dates, statuses in words and links. Never notes, evidence, credential
locations, contact addresses or other typed text.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from checklists import access_rules, rules, schedule
from checklists.models import (
    Attestation,
    DigestFrequency,
    Occurrence,
    ReminderPreference,
    ReviewState,
)
from checklists.models.access_reviews import AccessReview, CampaignState
from checklists.periods import Quarter
from portal.accounts.models import Membership, Role

# A daily digest warns this many days before an occurrence falls due, and on the day itself.
REMIND_DAYS_BEFORE = (30, 7, 1, 0)
# A weekly digest lists everything due within this many days.
WEEKLY_HORIZON_DAYS = 30
WEEKLY_ON = 0  # Monday, as date.weekday() counts


@dataclass(frozen=True)
class Item:
    """One line of a digest."""

    kind: str  # "occurrence", "answer" or "access-review"
    title: str
    team: str
    due_on: date
    status: str  # in words
    path: str  # the item's page, without the portal's address
    overdue: bool  # its due date has passed


@dataclass(frozen=True)
class Window:
    """Which due dates a digest of one frequency lists today."""

    frequency: str
    today: date

    @property
    def sends_today(self) -> bool:
        return self.frequency == DigestFrequency.DAILY or self.today.weekday() == WEEKLY_ON

    def includes(self, due_on: date) -> bool:
        if not self.sends_today:
            return False
        if self.frequency == DigestFrequency.WEEKLY:
            return due_on <= self.today + timedelta(days=WEEKLY_HORIZON_DAYS)
        return due_on < self.today or (due_on - self.today).days in REMIND_DAYS_BEFORE

    def q(self, field_name: str) -> Q:
        """`includes` as a filter on a date field."""
        if not self.sends_today:
            return Q(pk__in=[])
        if self.frequency == DigestFrequency.WEEKLY:
            return Q(**{f"{field_name}__lte": self.today + timedelta(days=WEEKLY_HORIZON_DAYS)})
        days = [self.today + timedelta(days=n) for n in REMIND_DAYS_BEFORE]
        return Q(**{f"{field_name}__lt": self.today}) | Q(**{f"{field_name}__in": days})


def widest_window(today: date) -> Window:
    """The one window that holds every frequency's window today, so one query serves
    everybody: the weekly one on Mondays, the daily one otherwise."""
    weekly = Window(DigestFrequency.WEEKLY, today)
    return weekly if weekly.sends_today else Window(DigestFrequency.DAILY, today)


@dataclass(frozen=True)
class Scope:
    """Whose items a source reads: one person (their own, and what nobody owns in the teams
    they lead), or everybody when `user_id` is None."""

    user_id: int | None = None
    lead_team_ids: frozenset[int] = frozenset()

    def q(self, owner: str, team: str) -> Q:
        """A filter on rows whose owner and team sit at these paths."""
        if self.user_id is None:
            return Q()
        return Q(**{owner: self.user_id, f"{owner}__is_active": True}) | (
            _unowned(owner) & Q(**{f"{team}__in": self.lead_team_ids})
        )


@dataclass(frozen=True)
class Routed:
    """An item and who it goes to: its owner, or the team's leads when `owner_id` is None."""

    item: Item
    owner_id: int | None
    team_id: int


def _unowned(owner: str) -> Q:
    return Q(**{f"{owner}__isnull": True}) | Q(**{f"{owner}__is_active": False})


ItemSource = Callable[[Window, Scope], Iterable[Routed]]


def open_occurrences(window: Window, scope: Scope) -> Iterator[Routed]:
    """Open occurrences of the obligations still kept, due in the window. Unverified incident
    contacts come through here too, as their verification obligation's occurrences."""
    rows = (
        Occurrence.objects.filter(
            window.q("due_on"),
            scope.q("obligation__owner", "obligation__team"),
            done_at__isnull=True,
            obligation__retired_at__isnull=True,
        )
        .select_related("obligation__team", "obligation__owner")
        .only(
            "due_on",
            "completed_at",
            "done_at",
            "obligation__title",
            "obligation__owner__is_active",
            "obligation__team__name",
            "obligation__team__slug",
        )
        .order_by("due_on", "pk")
    )
    for occurrence in rows:
        obligation = occurrence.obligation
        owner = obligation.owner
        status = schedule.status(
            due_on=occurrence.due_on,
            today=window.today,
            completed=occurrence.completed_at is not None,
            done=False,
        )
        yield Routed(
            Item(
                kind="occurrence",
                title=obligation.title,
                team=obligation.team.name,
                due_on=occurrence.due_on,
                status=status.label,
                path=occurrence.get_absolute_url(),
                overdue=occurrence.due_on < window.today,
            ),
            owner_id=owner.pk if owner is not None and owner.is_active else None,
            team_id=obligation.team_id,
        )


def stale_answers(window: Window, scope: Scope) -> Iterator[Routed]:
    """Approved answers to recurring controls gone stale (overdue from the day after their
    review fell due), unless the team approved the same control again since; one per team
    and control, the newest checklist's."""
    if not window.sends_today:
        return
    approved_again = Attestation.objects.filter(
        checklist__team=OuterRef("checklist__team"),
        control=OuterRef("control"),
        review_state=ReviewState.APPROVED,
        approved_at__gt=OuterRef("approved_at"),
    )
    rows = (
        Attestation.objects.filter(
            rules.stale_q(window.today),
            scope.q("owner", "checklist__team"),
            satisfied_through__isnull=True,
        )
        .exclude(Exists(approved_again))
        .select_related("checklist__team", "control", "owner")
        .only(
            "next_review_due",
            "review_state",
            "control__ref",
            "control__title",
            "checklist__period",
            "checklist__team__name",
            "checklist__team__slug",
            "owner__is_active",
        )
        .order_by("checklist__team_id", "control_id", "-checklist__period")
    )
    seen = set()
    for answer in rows:
        key = (answer.checklist.team_id, answer.control_id)
        if key in seen:
            continue
        seen.add(key)
        owner = answer.owner
        yield Routed(
            Item(
                kind="answer",
                title=f"{answer.control.ref} {answer.control.title}",
                team=answer.checklist.team.name,
                due_on=answer.next_review_due,
                status="Approval stale",
                path=answer.get_absolute_url(),
                overdue=True,  # stale: its review date has passed
            ),
            owner_id=owner.pk if owner is not None and owner.is_active else None,
            team_id=answer.checklist.team_id,
        )


def access_reviews(window: Window, scope: Scope) -> Iterator[Routed]:
    """Access-review campaigns of the team, for its leads: entries still to decide, and
    revocations or role changes decided but not confirmed done. Due when the open occurrence
    of the campaign's obligation is, or else at the end of the campaign's quarter."""
    if not window.sends_today:
        return
    rows = AccessReview.objects.filter(
        state__in=(CampaignState.IN_REVIEW, CampaignState.PENDING_ACTIONS)
    )
    if scope.user_id is not None:
        rows = rows.filter(team__in=scope.lead_team_ids)
    rows = (
        rows.annotate(
            undecided=Count("entries", filter=Q(entries__decision="")),
            actions_open=Count("entries", filter=access_rules.action_open_q("entries__")),
            due_on=Subquery(
                Occurrence.objects.filter(obligation=OuterRef("obligation"), done_at__isnull=True)
                .order_by("due_on", "pk")
                .values("due_on")[:1]
            ),
        )
        .select_related("team")
        .only("system", "period", "team__name", "team__slug")
        .order_by("pk")
    )
    for review in rows:
        due_on = review.due_on
        if due_on is None:
            try:
                due_on = Quarter.parse(review.period).last_day
            except ValidationError:
                due_on = window.today
        if not window.includes(due_on):
            continue
        status = schedule.status(
            due_on=due_on, today=window.today, completed=False, done=False
        ).label
        name = f"Access review of {review.system} ({review.period})"
        found = []
        if review.undecided:
            found.append(
                f"{name}: {review.undecided} entr{'y' if review.undecided == 1 else 'ies'} "
                "to decide"
            )
        if review.actions_open:
            found.append(
                f"{name}: {review.actions_open} revocation"
                f"{'' if review.actions_open == 1 else 's'} or role "
                f"change{'' if review.actions_open == 1 else 's'} to carry out"
            )
        for title in found:
            yield Routed(
                Item(
                    kind="access-review",
                    title=title,
                    team=review.team.name,
                    due_on=due_on,
                    status=status,
                    path=review.get_absolute_url(),
                    overdue=due_on < window.today,
                ),
                owner_id=None,
                team_id=review.team_id,
            )


# Every kind of thing a person is reminded of.
ITEM_SOURCES: list[ItemSource] = [open_occurrences, stale_answers, access_reviews]


def _sorted(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda item: (item.due_on, item.team, item.title))


def _lead_teams(user_id: int) -> frozenset[int]:
    return frozenset(
        Membership.objects.filter(user_id=user_id, role=Role.LEAD).values_list("team_id", flat=True)
    )


def frequency_of(user) -> str:
    return (
        ReminderPreference.objects.filter(user=user).values_list("frequency", flat=True).first()
        or DigestFrequency.DAILY
    )


def items_for_person(user, *, today: date, frequency: str | None = None) -> list[Item]:
    """What the person's digest lists today, soonest first (empty for an inactive person, or
    a weekly reader on a day other than Monday). A few queries, however much there is."""
    if not user.is_active:
        return []
    window = Window(frequency or frequency_of(user), today)
    if not window.sends_today:
        return []
    scope = Scope(user.pk, _lead_teams(user.pk))
    return _sorted(
        routed.item
        for source in ITEM_SOURCES
        for routed in source(window, scope)
        if window.includes(routed.item.due_on)
    )


def items_for_everyone(*, today: date) -> dict[int, list[Item]]:
    """Every active person's digest for today, by user id, for those who have something:
    one query per item source, one for the leads of teams with unowned items, one for the
    preferences of the people found. Only the rows that fall due are read."""
    window = widest_window(today)
    routed = [r for source in ITEM_SOURCES for r in source(window, Scope())]
    leads: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in Membership.objects.filter(
        role=Role.LEAD,
        user__is_active=True,
        team_id__in={r.team_id for r in routed if r.owner_id is None},
    ).values_list("team_id", "user_id"):
        leads[team_id].add(user_id)
    found: dict[int, list[Item]] = defaultdict(list)
    for r in routed:
        for user_id in {r.owner_id} if r.owner_id is not None else leads[r.team_id]:
            found[user_id].append(r.item)
    frequencies = dict(
        ReminderPreference.objects.filter(user_id__in=found).values_list("user_id", "frequency")
    )
    digests = {}
    for user_id, items in found.items():
        mine = Window(frequencies.get(user_id, DigestFrequency.DAILY), today)
        items = [item for item in items if mine.includes(item.due_on)]
        if items:
            digests[user_id] = _sorted(items)
    return digests
