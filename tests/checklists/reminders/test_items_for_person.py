"""What a person's digest lists: the reminder days, overdue every day, leads for what nobody
owns, stale answers, and the weekly digest on Mondays."""

from datetime import timedelta

from checklists.models import DigestFrequency, ReminderPreference
from checklists.selectors.reminders import ITEM_SOURCES, items_for_person
from tests.checklists.assessment_helpers import answer, approve, make_checklist, submit
from tests.checklists.reminders.conftest import MONDAY, WEDNESDAY, due_in, on


def approved_password_rotation(team, lead, member, reviewer, *, owner):
    """An approved answer to a control that recurs every 90 days."""
    with on(WEDNESDAY):
        checklist = make_checklist(team, lead, providers=("codepay",))
        recurring = checklist.attestations.select_related("control").get(
            control__recurrence_days=90, control__title__icontains="password"
        )
        answer(recurring, lead, owner=owner)
        submit(recurring, member)
        approve(recurring, reviewer)
    recurring.refresh_from_db()
    return recurring


def titles(user, today, **kwargs) -> set[str]:
    return {item.title for item in items_for_person(user, today=today, **kwargs)}


def test_it_lists_what_falls_due_in_30_7_and_1_days_and_today(wednesday, team, lead, member):
    for days in (31, 30, 29, 8, 7, 6, 2, 1, 0):
        due_in(days, team=team, by=lead, owner=member)
    assert titles(member, WEDNESDAY) == {
        "Duty due in 30 days",
        "Duty due in 7 days",
        "Duty due in 1 days",
        "Duty due in 0 days",
    }


def test_it_lists_an_overdue_occurrence_every_day_until_done(wednesday, team, lead, member):
    occurrence = due_in(-1, team=team, by=lead, owner=member, title="Rotate the API key")
    for later in range(0, 12):
        day = WEDNESDAY + timedelta(days=later)
        [item] = items_for_person(member, today=day)
        assert (item.title, item.status, item.team) == (
            "Rotate the API key",
            "Overdue",
            "Kopi Kita",
        )
        assert item.due_on == occurrence.due_on
        assert item.path == occurrence.get_absolute_url()


def test_a_done_or_retired_duty_is_no_longer_listed(wednesday, team, lead, member):
    from checklists.services.obligations import obligation_retire, occurrence_complete

    done = due_in(-3, team=team, by=lead, owner=member, title="Done already")
    retired = due_in(-3, team=team, by=lead, owner=member, title="No longer applies")
    occurrence_complete(occurrence=done, by=member, note="Scan ran clean.")
    obligation_retire(obligation=retired.obligation, by=lead, reason="Provider dropped.")
    assert titles(member, WEDNESDAY) == set()


def test_what_nobody_owns_goes_to_the_teams_leads(wednesday, team, lead, member, outsider):
    due_in(7, team=team, by=lead, owner=None, title="Unowned")
    due_in(7, team=team, by=lead, owner=member, title="Member's")
    assert titles(lead, WEDNESDAY) == {"Unowned"}
    assert titles(member, WEDNESDAY) == {"Member's"}
    assert titles(outsider, WEDNESDAY) == set()  # a lead, but of another team


def test_what_an_inactive_owner_owns_goes_to_the_leads(wednesday, team, lead, member):
    due_in(-2, team=team, by=lead, owner=member, title="Left behind")
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert titles(lead, WEDNESDAY) == {"Left behind"}
    assert items_for_person(member, today=WEDNESDAY) == []


def test_a_stale_approved_answer_is_listed_for_its_owner_every_day(
    catalog, team, lead, member, reviewer
):
    recurring = approved_password_rotation(team, lead, member, reviewer, owner=member)
    due = recurring.next_review_due  # its obligation's open occurrence
    label = f"{recurring.control.ref} {recurring.control.title}"
    assert label not in titles(member, due)  # due today: not stale yet
    for later in (1, 2, 9):
        answers = [
            item
            for item in items_for_person(member, today=due + timedelta(days=later))
            if item.kind == "answer"
        ]
        assert [(i.title, i.status, i.overdue) for i in answers] == [
            (label, "Approval stale", True)
        ]
        assert answers[0].path == recurring.get_absolute_url()
    # The obligation behind it nobody owns: its occurrence goes to the lead, not the answer.
    lead_items = items_for_person(lead, today=due + timedelta(days=1))
    assert {item.kind for item in lead_items} == {"occurrence"}


def test_an_unowned_stale_answer_goes_to_the_leads(catalog, team, lead, member, reviewer):
    recurring = approved_password_rotation(team, lead, member, reviewer, owner=None)
    tomorrow = recurring.next_review_due + timedelta(days=1)
    assert {item.kind for item in items_for_person(lead, today=tomorrow)} == {
        "answer",
        "occurrence",
    }
    assert items_for_person(member, today=tomorrow) == []


def test_a_weekly_digest_comes_on_mondays_with_the_next_30_days(wednesday, team, lead, member):
    ReminderPreference.objects.create(user=member, frequency=DigestFrequency.WEEKLY)
    monday = MONDAY + timedelta(days=7)  # the Monday after this Wednesday
    for days in (-4, 0, 1, 7, 12, 29, 30, 31):
        due_in(days, team=team, by=lead, owner=member, title=f"Monday {days:+}", today=monday)
    # No weekly digest on other days, not even of what is overdue.
    assert titles(member, WEDNESDAY) == set()
    assert titles(member, monday + timedelta(days=1)) == set()
    # On Monday: everything open due within 30 days, and everything overdue.
    assert titles(member, monday) == {f"Monday {days:+}" for days in (-4, 0, 1, 7, 12, 29, 30)}
    # A daily reader sees only the reminder days and what is overdue on the same Monday.
    assert titles(member, monday, frequency=DigestFrequency.DAILY) == {
        "Monday -4",
        "Monday +0",
        "Monday +1",
        "Monday +7",
        "Monday +30",
    }


def test_it_takes_the_same_few_queries_however_much_is_due(wednesday, team, lead, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from checklists.selectors.reminders import items_for_everyone

    def queries(call) -> int:
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured.captured_queries)

    due_in(-1, team=team, by=lead, owner=member, title="First")
    due_in(7, team=team, by=lead, title="For the lead")
    one_person = queries(lambda: items_for_person(member, today=WEDNESDAY))
    everyone = queries(lambda: items_for_everyone(today=WEDNESDAY))
    for days in range(-20, 0):
        due_in(days, team=team, by=lead, owner=member if days % 2 else None)
    assert len(items_for_person(member, today=WEDNESDAY)) == 11
    assert queries(lambda: items_for_person(member, today=WEDNESDAY)) == one_person
    assert queries(lambda: items_for_everyone(today=WEDNESDAY)) == everyone
    assert everyone <= 2 + len(ITEM_SOURCES)  # the people and leads, then one per source
