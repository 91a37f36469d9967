"""The calendar feed: what a calendar application receives at the secret address."""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from icalendar import Calendar

from checklists.models import CalendarFeed
from checklists.services import notifications
from checklists.services.evidence import evidence_create_file
from checklists.services.obligations import occurrence_complete, occurrence_move_due
from portal.audit.models import AuditEvent
from tests.checklists.schedule.conftest import make_obligation, open_occurrence

TODAY = date(2026, 3, 10)
EVENT_PROPERTIES = {"UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL"}


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def duties(frozen, team, other_team, lead, member, outsider):
    return {
        "soon": make_obligation(team, lead, "Rotate payment keys", TODAY + timedelta(days=5)),
        "late": make_obligation(team, lead, "Review admin access", TODAY - timedelta(days=3)),
        "far": make_obligation(team, lead, "Disaster drill", TODAY + timedelta(days=400)),
        "long_overdue": make_obligation(team, lead, "Forgotten scan", TODAY - timedelta(days=60)),
        "theirs": make_obligation(other_team, outsider, "Ojek restore test", TODAY),
    }


def fetch(client, token):
    return client.get(reverse("checklists:calendar_feed", args=[token]))


def events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_it_serves_open_occurrences_as_all_day_events(client, duties, member):
    _, token = notifications.calendar_feed_create(user=member)

    response = fetch(client, token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"].startswith("private, max-age=")
    assert response["Referrer-Policy"] == "no-referrer"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"])
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT12H" in response.content
    assert b"X-PUBLISHED-TTL:PT12H" in response.content
    found = events(response)
    assert set(found) == {
        "Rotate payment keys — Kopi Kita",
        "Overdue: Review admin access — Kopi Kita",
    }
    soon = open_occurrence(duties["soon"])
    event = found["Rotate payment keys — Kopi Kita"]
    assert set(event) == EVENT_PROPERTIES
    start = event.decoded("DTSTART")
    assert type(start) is date and start == TODAY + timedelta(days=5)
    assert event.decoded("DTEND") == TODAY + timedelta(days=6)
    assert str(event["UID"]) == f"occurrence-{soon.pk}@compliance-portal"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["URL"]) == f"http://testserver{soon.get_absolute_url()}"


def test_uid_stays_and_sequence_bumps_when_the_due_date_moves(client, duties, member, lead):
    _, token = notifications.calendar_feed_create(user=member)
    before = events(fetch(client, token))["Rotate payment keys — Kopi Kita"]

    occurrence_move_due(
        occurrence=open_occurrence(duties["soon"]),
        by=lead,
        due_on=TODAY + timedelta(days=20),
        reason="The provider's maintenance window moved.",
    )
    after = events(fetch(client, token))["Rotate payment keys — Kopi Kita"]

    assert after["UID"] == before["UID"]
    assert after.decoded("SEQUENCE") == before.decoded("SEQUENCE") + 1
    assert after.decoded("DTSTART") == TODAY + timedelta(days=20)


def test_notes_evidence_and_descriptions_never_reach_the_feed(client, duties, team, member):
    make_obligation(
        team, member, "Quarterly access review", TODAY, description="Follow the capybara runbook"
    )
    evidence = evidence_create_file(
        team=team,
        upload=SimpleUploadedFile("zebrafish-export.txt", b"users reviewed\n"),
        description="Quokka access export",
        by=member,
    )
    occurrence_complete(
        occurrence=open_occurrence(duties["late"]),
        by=member,
        note="Removed the marmoset account.",
        evidence=[evidence],
    )
    _, token = notifications.calendar_feed_create(user=member)

    response = fetch(client, token)

    body = response.content.decode().lower()
    for word in ("marmoset", "zebrafish", "quokka", "capybara"):
        assert word not in body
    # Done, the duty's next occurrence is in the feed, 90 days on.
    assert events(response)["Review admin access — Kopi Kita"].decoded("DTSTART") == (
        TODAY + timedelta(days=90)
    )


def test_another_teams_occurrences_never_appear(client, duties, member, outsider):
    _, token = notifications.calendar_feed_create(user=member)
    assert b"Ojek" not in fetch(client, token).content

    _, theirs = notifications.calendar_feed_create(user=outsider)
    assert set(events(fetch(client, theirs))) == {"Ojek restore test — Ojek Cepat"}


def test_a_reviewers_feed_covers_every_team(client, duties, reviewer):
    _, token = notifications.calendar_feed_create(user=reviewer)
    assert "Ojek restore test — Ojek Cepat" in events(fetch(client, token))


def test_a_fetch_is_noted(client, duties, member, frozen):
    feed, token = notifications.calendar_feed_create(user=member)
    assert feed.last_used_at is None
    fetch(client, token)
    feed.refresh_from_db()
    assert feed.last_used_at == datetime(2026, 3, 10, 9, tzinfo=UTC)


def test_unknown_and_revoked_tokens_get_the_same_404(client, member):
    _, token = notifications.calendar_feed_create(user=member)
    notifications.calendar_feed_revoke(user=member)

    revoked = fetch(client, token)
    unknown = fetch(client, "x" + token[1:])

    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    assert revoked["Content-Type"] == unknown["Content-Type"]


def test_a_rotated_token_stops_working_and_the_new_one_works(client, duties, member):
    _, old = notifications.calendar_feed_create(user=member)
    _, new = notifications.calendar_feed_rotate(user=member)

    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200


def test_a_deactivated_persons_feed_stops_working(client, duties, member):
    _, token = notifications.calendar_feed_create(user=member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert fetch(client, token).status_code == 404


def test_the_token_is_stored_only_as_its_hash(member):
    _, first = notifications.calendar_feed_create(user=member)
    feed, token = notifications.calendar_feed_rotate(user=member)
    notifications.calendar_feed_revoke(user=member)

    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert feed.prefix == token[:8]
    stored = json.dumps(list(CalendarFeed.objects.values()), default=str)
    trail = json.dumps(
        list(AuditEvent.objects.filter(action__startswith="checklists.calendar_feed").values()),
        default=str,
    )
    for plain in (first, token):
        assert plain not in stored
        assert plain not in trail
        assert hashlib.sha256(plain.encode()).hexdigest() not in trail
    assert token[:8] in trail
