"""The notification settings page: the reminder digest and the calendar feed's address."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from checklists.models import CalendarFeed, ReminderPreference
from checklists.services import notifications
from portal.audit.models import AuditEvent

PAGE = reverse("checklists:notifications")
FEED_URL_RE = re.compile(r"http://testserver/calendar/([A-Za-z0-9_-]+)\.ics")


def post(client, name, data=None):
    return client.post(reverse(f"checklists:{name}"), data or {})


def shown_token(response) -> str:
    found = FEED_URL_RE.findall(response.content.decode())
    assert len(set(found)) == 1
    return found[0]


def feed_status(client, token) -> int:
    return client.get(reverse("checklists:calendar_feed", args=[token])).status_code


def test_it_requires_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "name",
    [
        "reminder_preference_save",
        "calendar_feed_create",
        "calendar_feed_rotate",
        "calendar_feed_revoke",
    ],
)
def test_write_views_reject_get(client, member, name):
    client.force_login(member)
    assert client.get(reverse(f"checklists:{name}")).status_code == 405


def test_changes_need_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert post(client, "calendar_feed_create").status_code == 403
    assert not CalendarFeed.objects.exists()


def test_the_page_offers_a_feed_and_daily_reminders_by_default(client, member):
    client.force_login(member)
    page = client.get(PAGE).content.decode()
    assert "You have no calendar feed." in page
    assert re.search(r'value="daily"[^>]*checked', page)
    assert 'aria-current="page">Notifications' in page


def test_creating_a_feed_shows_its_address_once(client, member):
    client.force_login(member)

    response = post(client, "calendar_feed_create")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = shown_token(response)
    assert "shown only this once" in response.content.decode()
    assert feed_status(client, token) == 200
    later = client.get(PAGE).content.decode()
    assert token not in later
    assert f"<code>{token[:8]}…</code>" in later
    event = AuditEvent.objects.get(action="checklists.calendar_feed.created")
    assert event.changes == {"prefix": token[:8]}


def test_a_second_feed_is_refused(client, member):
    client.force_login(member)
    post(client, "calendar_feed_create")

    response = post(client, "calendar_feed_create")

    assert response.status_code == 400
    assert "You already have a calendar feed" in response.content.decode()
    assert CalendarFeed.objects.filter(user=member).count() == 1


def test_rotating_replaces_the_address(client, member):
    client.force_login(member)
    old = shown_token(post(client, "calendar_feed_create"))

    response = post(client, "calendar_feed_rotate")

    new = shown_token(response)
    assert new != old
    assert feed_status(client, old) == 404
    assert feed_status(client, new) == 200
    event = AuditEvent.objects.get(action="checklists.calendar_feed.rotated")
    assert event.changes == {"prefix": {"from": old[:8], "to": new[:8]}}


def test_revoking_ends_the_address(client, member):
    client.force_login(member)
    token = shown_token(post(client, "calendar_feed_create"))

    response = post(client, "calendar_feed_revoke")

    assert response.status_code == 302
    assert feed_status(client, token) == 404
    assert "You have no calendar feed." in client.get(PAGE).content.decode()
    assert AuditEvent.objects.filter(action="checklists.calendar_feed.revoked").count() == 1


@pytest.mark.parametrize("name", ["calendar_feed_rotate", "calendar_feed_revoke"])
def test_rotating_or_revoking_nothing_is_refused(client, member, name):
    client.force_login(member)
    response = post(client, name)
    assert response.status_code == 400
    assert "You have no calendar feed; create one first." in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="checklists.calendar_feed").exists()


def test_one_persons_feed_is_not_anothers(client, member, lead):
    notifications.calendar_feed_create(user=lead)
    client.force_login(member)
    assert "You have no calendar feed." in client.get(PAGE).content.decode()
    assert post(client, "calendar_feed_revoke").status_code == 400
    assert CalendarFeed.objects.get(user=lead).revoked_at is None


def test_choosing_weekly_reminders(client, member):
    client.force_login(member)

    response = post(client, "reminder_preference_save", {"frequency": "weekly"})

    assert response.status_code == 302
    assert ReminderPreference.objects.get(user=member).frequency == "weekly"
    assert re.search(r'value="weekly"[^>]*checked', client.get(PAGE).content.decode())
    event = AuditEvent.objects.get(action="checklists.reminders.preference_changed")
    assert event.changes == {"frequency": {"from": None, "to": "weekly"}}


def test_changing_back_is_audited_and_no_change_is_not(client, member):
    client.force_login(member)
    post(client, "reminder_preference_save", {"frequency": "weekly"})
    post(client, "reminder_preference_save", {"frequency": "daily"})
    post(client, "reminder_preference_save", {"frequency": "daily"})

    events = AuditEvent.objects.filter(action="checklists.reminders.preference_changed")
    assert [e.changes["frequency"] for e in events.order_by("pk")] == [
        {"from": None, "to": "weekly"},
        {"from": "weekly", "to": "daily"},
    ]
    assert ReminderPreference.objects.get(user=member).frequency == "daily"


@pytest.mark.parametrize("data", [{"frequency": "hourly"}, {}])
def test_a_bad_frequency_is_refused_next_to_the_field(client, member, data):
    client.force_login(member)

    response = post(client, "reminder_preference_save", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error" id="id_frequency_error"' in page
    assert not ReminderPreference.objects.exists()


def test_the_service_refuses_an_unknown_frequency(member):
    with pytest.raises(ValidationError, match="daily or weekly"):
        notifications.reminder_preference_set(user=member, frequency="monthly")
    assert not ReminderPreference.objects.exists()
