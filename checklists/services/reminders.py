"""The daily reminder digest: one mail per person with something due, at most once a day.

Each person's digest for the day is claimed with a conditional UPDATE of their preference
row before the mail goes out, so a second run the same day, or two workers at once, send
nothing new. A mail that fails gives its claim back, so the next run tries again.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from checklists.models import DigestFrequency, ReminderPreference
from checklists.selectors.reminders import Item, items_for_everyone
from portal.audit import services as audit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderCounts:
    sent: int = 0
    nothing_due: int = 0
    already_sent: int = 0
    failed: int = 0

    def describe(self) -> str:
        text = (
            f"Sent {self.sent} digest{'' if self.sent == 1 else 's'}; "
            f"{self.nothing_due} {'person' if self.nothing_due == 1 else 'people'} had "
            f"nothing due; {self.already_sent} already sent today."
        )
        if self.failed:
            text += f" {self.failed} could not be sent (they are tried again on the next run)."
        return text


def digest_subject(items: list[Item]) -> str:
    overdue = sum(item.overdue for item in items)
    soon = len(items) - overdue
    parts = [f"{overdue} overdue"] if overdue else []
    if soon:
        parts.append(f"{soon} due soon")
    return f"Compliance portal: {', '.join(parts)}"


def digest_message(*, user, items: list[Item], today: date) -> EmailMultiAlternatives:
    """The mail, text and HTML, from the templates. Items carry only what is safe to mail."""
    base = settings.PORTAL_URL.rstrip("/")
    context = {
        "today": today,
        "overdue": [_line(item, base) for item in items if item.overdue],
        "due_soon": [_line(item, base) for item in items if not item.overdue],
        "portal_url": base + "/",
    }
    message = EmailMultiAlternatives(
        subject=digest_subject(items),
        body=render_to_string("emails/reminder_digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("emails/reminder_digest.html", context), "text/html"
    )
    return message


def _line(item: Item, base: str) -> dict:
    return {**asdict(item), "url": base + item.path}


def _claim(user, *, today: date) -> tuple[bool, date | None]:
    """Take today's digest for the person; False if a run took it already."""
    preference, _ = ReminderPreference.objects.get_or_create(
        user=user, defaults={"frequency": DigestFrequency.DAILY}
    )
    claimed = (
        ReminderPreference.objects.filter(user=user)
        .filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=today))
        .update(last_digest_on=today)
    )
    return claimed == 1, preference.last_digest_on


def _give_back(user, *, today: date, previous: date | None) -> None:
    ReminderPreference.objects.filter(user=user, last_digest_on=today).update(
        last_digest_on=previous
    )


def send_reminders(*, today: date | None = None) -> ReminderCounts:
    """Mail each active person with something due their digest for `today` (default: the
    portal's today), unless a run sent it already. Records one audit event with the counts."""
    today = today or timezone.localdate()
    reachable = get_user_model().objects.filter(is_active=True).exclude(email="")
    digests = items_for_everyone(today=today)
    people = list(reachable.filter(pk__in=list(digests)).order_by("pk"))
    sent = already = failed = 0
    for person in people:
        items = digests[person.pk]
        claimed, previous = _claim(person, today=today)
        if not claimed:
            already += 1
            continue
        try:
            digest_message(user=person, items=items, today=today).send()
        except Exception as error:  # any failure of the mail server or the backend
            _give_back(person, today=today, previous=previous)
            failed += 1
            # Neither the address nor the content: the class of the failure is enough to act.
            logger.warning(
                "reminder digest for user %s not sent: %s", person.pk, type(error).__name__
            )
            continue
        sent += 1
    counts = ReminderCounts(
        sent=sent,
        nothing_due=reachable.count() - len(people),
        already_sent=already,
        failed=failed,
    )
    with transaction.atomic():
        audit.record(
            "checklists.reminders.sent",
            actor_label="reminders",
            changes={"date": today.isoformat(), **asdict(counts)},
        )
    return counts
