"""How each person hears about what falls due: the reminder digest's frequency, and the
calendar feed's secret address (created, rotated, revoked).

A feed's token is shown once, when it is made; only its SHA-256 hash is kept, with its first
characters so the person can tell feeds apart. Neither the token nor its hash reaches the
audit trail.
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from checklists.models import CalendarFeed, DigestFrequency, ReminderPreference
from checklists.selectors.schedule import token_hash
from checklists.services.common import refuse
from portal.audit import services as audit

PREFIX_LENGTH = 8

ALREADY_ACTIVE = (
    "You already have a calendar feed. Rotate it for a new address, or revoke it first."
)
NONE_ACTIVE = "You have no calendar feed; create one first."


def reminder_preference_set(*, user, frequency: str) -> ReminderPreference:
    """How often the person's reminder digest comes: daily, or weekly on Mondays."""
    refuse(
        None
        if frequency in DigestFrequency.values
        else "Choose how often the reminders come: daily or weekly."
    )
    with transaction.atomic():
        preference, created = ReminderPreference.objects.select_for_update(
            of=("self",), no_key=True
        ).get_or_create(user=user, defaults={"frequency": frequency})
        before = None if created else preference.frequency
        if before == frequency:
            return preference
        if not created:
            preference.frequency = frequency
            preference.save(update_fields=["frequency"])
        audit.record(
            "checklists.reminders.preference_changed",
            actor=user,
            obj=preference,
            changes={"frequency": audit.change(before, frequency)},
        )
    return preference


def _new_feed(user) -> tuple[CalendarFeed, str]:
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(
                user=user, token_hash=token_hash(token), prefix=token[:PREFIX_LENGTH]
            )
    except IntegrityError:
        # Another request made the person's feed at the same moment (one active each).
        refuse(ALREADY_ACTIVE)
    return feed, token


def _locked_active(user) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.select_for_update(of=("self",), no_key=True)
        .filter(user=user, revoked_at__isnull=True)
        .first()
    )


def calendar_feed_create(*, user) -> tuple[CalendarFeed, str]:
    """A new feed and its token, which is returned here and never again."""
    with transaction.atomic():
        refuse(ALREADY_ACTIVE if _locked_active(user) else None)
        feed, token = _new_feed(user)
        audit.record(
            "checklists.calendar_feed.created",
            actor=user,
            obj=feed,
            changes={"prefix": feed.prefix},
        )
    return feed, token


def calendar_feed_rotate(*, user) -> tuple[CalendarFeed, str]:
    """Revoke the active feed and make a new one: the old address stops working at once."""
    with transaction.atomic():
        old = _locked_active(user)
        refuse(None if old else NONE_ACTIVE)
        old.revoked_at = timezone.now()
        old.save(update_fields=["revoked_at"])
        feed, token = _new_feed(user)
        audit.record(
            "checklists.calendar_feed.rotated",
            actor=user,
            obj=feed,
            changes={"prefix": audit.change(old.prefix, feed.prefix)},
        )
    return feed, token


def calendar_feed_revoke(*, user) -> CalendarFeed:
    with transaction.atomic():
        feed = _locked_active(user)
        refuse(None if feed else NONE_ACTIVE)
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit.record(
            "checklists.calendar_feed.revoked",
            actor=user,
            obj=feed,
            changes={"prefix": feed.prefix},
        )
    return feed


def calendar_feed_used(*, feed: CalendarFeed) -> None:
    """Note when a calendar last fetched the feed (not audited: calendars poll all day)."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
