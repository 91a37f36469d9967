"""The digest mail: one per person with something due, at most once a day, with no secrets."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from checklists.models import (
    Channel,
    Credential,
    CredentialKind,
    DigestFrequency,
    Environment,
    IncidentContact,
    ObligationKind,
    Provider,
    ReminderPreference,
)
from checklists.services.obligations import occurrence_complete
from checklists.services.reminders import send_reminders
from portal.audit.models import AuditEvent
from portal.env import UNCONFIGURED_EMAIL_BACKEND
from tests.checklists.reminders.conftest import MONDAY, WEDNESDAY, due_in, on
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_URL = "https://portal.example.com"
    settings.DEFAULT_FROM_EMAIL = "portal@example.com"


def mails_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_it_mails_each_person_one_digest_of_their_items(wednesday, team, lead, member, nobody):
    overdue = due_in(-2, team=team, by=lead, owner=member, title="Rotate the API key")
    soon = due_in(7, team=team, by=lead, owner=member, title="Scan the web front")
    due_in(1, team=team, by=lead, owner=None, title="Verify the contacts")
    due_in(8, team=team, by=lead, owner=member, title="Not yet")

    counts = send_reminders()

    assert (counts.sent, counts.nothing_due, counts.already_sent, counts.failed) == (2, 1, 0, 0)
    [digest] = mails_to(member)
    assert digest.subject == "Compliance portal: 1 overdue, 1 due soon"
    assert digest.from_email == "portal@example.com"
    html, kind = digest.alternatives[0]
    assert kind == "text/html"
    for body in (digest.body, html):
        assert "Rotate the API key" in body and "Scan the web front" in body
        assert "Kopi Kita" in body
        assert "Not yet" not in body and "Verify the contacts" not in body
        assert "https://portal.example.com" + overdue.get_absolute_url() in body
        assert "https://portal.example.com" + soon.get_absolute_url() in body
    assert "7 December 2026" in digest.body and "Overdue" in digest.body
    [to_lead] = mails_to(lead)
    assert to_lead.subject == "Compliance portal: 1 due soon"
    assert "Verify the contacts" in to_lead.body
    assert mails_to(nobody) == []
    # A person without a preference reads daily; the row now holds the day sent.
    preference = ReminderPreference.objects.get(user=member)
    assert (preference.frequency, preference.last_digest_on) == (DigestFrequency.DAILY, WEDNESDAY)


def test_running_twice_the_same_day_sends_nothing_new(wednesday, team, lead, member):
    due_in(-1, team=team, by=lead, owner=member)
    first = send_reminders()
    second = send_reminders()
    assert (first.sent, second.sent, second.already_sent) == (1, 0, 1)
    assert len(mail.outbox) == 1
    with on(WEDNESDAY + timedelta(days=1)):
        assert send_reminders().sent == 1  # overdue: again the next day
    assert len(mail.outbox) == 2


def test_a_weekly_reader_gets_mail_on_mondays_only(db, team, lead, member):
    ReminderPreference.objects.create(user=member, frequency=DigestFrequency.WEEKLY)
    with on(MONDAY - timedelta(days=2)):
        due_in(20, team=team, by=lead, owner=member, title="Within the month", today=MONDAY)
        due_in(31, team=team, by=lead, owner=member, title="Next month", today=MONDAY)
        assert send_reminders().sent == 0
    with on(MONDAY):
        assert send_reminders().sent == 1
    [digest] = mails_to(member)
    assert "Within the month" in digest.body and "Next month" not in digest.body
    assert digest.subject == "Compliance portal: 1 due soon"


def test_a_failed_mail_gives_the_claim_back(wednesday, team, lead, member, settings, caplog):
    due_in(-1, team=team, by=lead, owner=member, title="Rotate the API key")
    settings.EMAIL_BACKEND = UNCONFIGURED_EMAIL_BACKEND  # refuses to send
    counts = send_reminders()
    assert (counts.sent, counts.failed) == (0, 1)
    assert ReminderPreference.objects.get(user=member).last_digest_on is None
    assert member.email not in caplog.text and "Rotate the API key" not in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_reminders().sent == 1  # the next run sends it
    assert len(mails_to(member)) == 1


def test_each_run_records_one_audit_event_with_counts(wednesday, team, lead, member, nobody):
    due_in(-1, team=team, by=lead, owner=member)
    due_in(7, team=team, by=lead, owner=None)
    send_reminders()
    send_reminders()
    events = list(AuditEvent.objects.filter(action="checklists.reminders.sent").order_by("pk"))
    assert [event.changes for event in events] == [
        {
            "date": "2026-12-09",
            "sent": 2,
            "nothing_due": 1,
            "already_sent": 0,
            "failed": 0,
        },
        {
            "date": "2026-12-09",
            "sent": 0,
            "nothing_due": 1,
            "already_sent": 2,
            "failed": 0,
        },
    ]
    assert member.email not in str(events[0].changes)


def test_no_secrets_reach_the_mail(catalog, wednesday, team, lead, member):
    gopay = Provider.objects.get(slug="gopay")
    credential = Credential.objects.create(
        team=team,
        name="GoPay merchant key",
        provider=gopay,
        kind=CredentialKind.MERCHANT_KEY,
        environment=Environment.PRODUCTION,
        kept_in="vault:secret/payments/gopay",
        notes="Second copy with the finance team",
        created_on=WEDNESDAY - timedelta(days=400),
        created_by=lead,
    )
    IncidentContact.objects.create(
        team=team,
        provider=gopay,
        position=1,
        name="GoPay duty desk",
        channel=Channel.EMAIL,
        address="incident-desk@gopay.example",
        notes="Call before mailing",
    )
    rotation = due_in(
        -3,
        team=team,
        by=lead,
        owner=member,
        title="Rotate the GoPay merchant key",
        kind=ObligationKind.KEY_ROTATION,
        credential=credential,
        description="Ask finance for the new key file",
    )
    # Completed, awaiting a second person: still open, and its note must not travel.
    occurrence_complete(
        occurrence=rotation, by=member, note="Rotated in the gateway; old key revoked at 10:40"
    )
    due_in(
        -1,
        team=team,
        by=lead,
        owner=member,
        title="Verify GoPay incident contacts",
        kind=ObligationKind.CONTACT_VERIFICATION,
        provider=gopay,
    )

    send_reminders()

    [digest] = mails_to(member)
    html = digest.alternatives[0][0]
    assert "Rotate the GoPay merchant key" in digest.body and "Rotate the GoPay" in html
    assert "Verify GoPay incident contacts" in digest.body
    for body in (digest.subject, digest.body, html):
        for secret in (
            "vault:secret/payments/gopay",
            "Rotated in the gateway",
            "old key revoked",
            "incident-desk@gopay.example",
            "GoPay duty desk",
            "Call before mailing",
            "Second copy with the finance team",
            "Ask finance for the new key file",
        ):
            assert secret not in body
    assert "Awaiting confirmation" in digest.body


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_mail_per_person(team, lead, member):
    """On PostgreSQL this is the real race: both runs read the same people, and only the
    conditional update lets one of them send."""
    others = [make_user(f"owner-{n}") for n in range(4)]
    from portal.accounts import services as accounts

    for person in others:
        accounts.membership_add(team=team, user=person, role="member")
    with on(WEDNESDAY):
        for person in [member, *others]:
            due_in(-1, team=team, by=lead, owner=person)
        start = threading.Barrier(2)
        results, errors = [], []

        def run():
            try:
                start.wait()
                results.append(send_reminders())
            except BaseException as error:  # reported in the test's thread
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert sum(counts.sent for counts in results) == 5
    assert sum(counts.already_sent for counts in results) == 5
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        person.email for person in [member, *others]
    )


def test_the_daily_task_sends_the_digests(wednesday, team, lead, member):
    from checklists.tasks import reminders_send_daily

    due_in(-1, team=team, by=lead, owner=member)
    assert reminders_send_daily.delay().get() == {
        "sent": 1,
        "nothing_due": 1,
        "already_sent": 0,
        "failed": 0,
    }
    assert len(mails_to(member)) == 1
