"""The nightly obligations run: each overdue occurrence noted once, audited team by team."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command

from checklists.models import Occurrence
from checklists.services.nightly import obligations_nightly
from checklists.services.obligations import occurrence_complete
from checklists.tasks import obligations_nightly as nightly_task
from portal.audit.models import AuditEvent
from tests.checklists.reminders.conftest import WEDNESDAY, due_in, on
from tests.conftest import make_user

OVERDUE = "checklists.occurrence.overdue"


def overdue_events():
    return list(AuditEvent.objects.filter(action=OVERDUE).order_by("sequence"))


def test_it_notes_each_overdue_occurrence_once(wednesday, team, lead, member):
    late = due_in(-3, team=team, by=lead, owner=member, title="Rotate the API key")
    yesterday = due_in(-1, team=team, by=lead, title="Verify the contacts")
    today = due_in(0, team=team, by=lead, title="Due today")
    done = due_in(-2, team=team, by=lead, owner=member, title="Done in time")
    occurrence_complete(occurrence=done, by=member, note="Scan ran clean.")

    counts = obligations_nightly()

    assert (counts.teams, counts.noted) == (1, 2)
    noted = Occurrence.objects.filter(overdue_noted_at__isnull=False)
    assert set(noted) == {late, yesterday}
    today.refresh_from_db()
    assert today.overdue_noted_at is None
    events = overdue_events()
    assert [(e.object_id, e.changes) for e in events] == [
        (str(late.pk), {"obligation": "Rotate the API key", "due_on": "2026-12-06"}),
        (str(yesterday.pk), {"obligation": "Verify the contacts", "due_on": "2026-12-08"}),
    ]
    assert {e.team_id for e in events} == {team.pk}
    assert {e.actor_id for e in events} == {None}


def test_a_second_run_notes_nothing(wednesday, team, lead):
    due_in(-3, team=team, by=lead)
    assert obligations_nightly().noted == 1
    before = AuditEvent.objects.count()
    assert obligations_nightly().noted == 0
    assert AuditEvent.objects.count() == before  # no event, not even an empty run's


def test_it_notes_what_went_overdue_since_the_last_run(team, lead):
    with on(WEDNESDAY):
        due_in(-1, team=team, by=lead, title="First")
        due_in(1, team=team, by=lead, title="Second")
        assert obligations_nightly().noted == 1
    with on(WEDNESDAY + timedelta(days=2)):
        assert nightly_task.delay().get() == {"teams": 1, "noted": 1, "failed": 0}
    assert [e.changes["obligation"] for e in overdue_events()] == ["First", "Second"]


def test_each_teams_events_are_contiguous_and_the_chain_verifies(
    wednesday, team, other_team, lead, outsider
):
    third_lead = make_user("third-lead")
    from portal.accounts import services as accounts

    third = accounts.team_create(name="Warung Kita", slug="warung-kita")
    accounts.membership_add(team=third, user=third_lead, role="lead")
    for days in (-5, -4, -3, -2):
        due_in(days, team=team, by=lead, title=f"Kopi {days}")
        due_in(days, team=other_team, by=outsider, title=f"Ojek {days}")
    due_in(5, team=third, by=third_lead, title="Not yet due")

    counts = obligations_nightly()

    assert (counts.teams, counts.noted) == (2, 8)
    events = overdue_events()
    by_team = {}
    for event in events:
        by_team.setdefault(event.team_id, []).append(event.sequence)
    assert set(by_team) == {team.pk, other_team.pk}
    for sequences in by_team.values():
        assert sequences == list(range(sequences[0], sequences[0] + 4))
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "Audit log intact" in out.getvalue()
