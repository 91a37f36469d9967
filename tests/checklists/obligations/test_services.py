"""The obligation services: what they refuse, what they schedule, and what never changes."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from checklists.models import Control, Obligation, ObligationKind, Occurrence
from checklists.periods import Quarter
from checklists.schedule import Rule
from checklists.services import obligations as services
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import make_checklist
from tests.checklists.obligations.helpers import (
    STRIPE_KEY,
    frozen,
    link_evidence,
    make_obligation,
    open_occurrence,
)

TODAY = date(2027, 5, 12)


@pytest.fixture(autouse=True)
def _today():
    with frozen(TODAY):
        yield


def _fields(error: ValidationError) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in error.message_dict.items()}


def _snapshot(occurrence: Occurrence) -> dict:
    occurrence.refresh_from_db()
    row = model_to_dict(occurrence, exclude=["evidence"])
    row.update(
        completed_at=occurrence.completed_at,
        confirmed_at=occurrence.confirmed_at,
        done_at=occurrence.done_at,
        scheduled_on=occurrence.scheduled_on,
        evidence=sorted(occurrence.evidence.values_list("pk", flat=True)),
    )
    return row


# --- A done occurrence never changes -------------------------------------------------------


ACTIONS = {
    "complete": lambda occurrence, user: services.occurrence_complete(
        occurrence=occurrence, by=user, note="Again."
    ),
    "confirm": lambda occurrence, user: services.occurrence_confirm(occurrence=occurrence, by=user),
    "send back": lambda occurrence, user: services.occurrence_send_back(
        occurrence=occurrence, by=user, comment="Not enough."
    ),
    "move due": lambda occurrence, user: services.occurrence_move_due(
        occurrence=occurrence, by=user, due_on=TODAY + timedelta(days=9), reason="Holidays."
    ),
}


@pytest.mark.parametrize("kind", [ObligationKind.CUSTOM, ObligationKind.KEY_ROTATION])
@pytest.mark.parametrize("action", ACTIONS)
def test_a_done_occurrence_refuses_every_change(team, lead, member, second_member, kind, action):
    obligation = make_obligation(team, lead, kind=kind, starts_on=TODAY)
    occurrence = open_occurrence(obligation)
    services.occurrence_complete(
        occurrence=occurrence, by=member, note="Done.", evidence=[link_evidence(team, member)]
    )
    if kind == ObligationKind.KEY_ROTATION:
        services.occurrence_confirm(occurrence=occurrence, by=lead)
    before = _snapshot(occurrence)
    events = AuditEvent.objects.count()
    for user in (member, second_member, lead):
        with pytest.raises(ValidationError, match="done"):
            ACTIONS[action](occurrence, user)
        assert _snapshot(occurrence) == before
    assert AuditEvent.objects.count() == events
    assert obligation.occurrences.count() == 2


# --- Four eyes -----------------------------------------------------------------------------


def test_a_key_rotation_needs_a_second_person(team, lead, member):
    rotation = make_obligation(team, lead, kind=ObligationKind.KEY_ROTATION, starts_on=TODAY)
    occurrence = open_occurrence(rotation)
    services.occurrence_complete(occurrence=occurrence, by=member, note="Rotated in the vault.")
    occurrence.refresh_from_db()
    assert occurrence.completed_by == member and occurrence.done_at is None
    assert rotation.occurrences.count() == 1  # nothing scheduled until it is confirmed
    with pytest.raises(ValidationError, match="another person must confirm it"):
        services.occurrence_confirm(occurrence=occurrence, by=member)
    with pytest.raises(ValidationError, match="awaits confirmation"):
        services.occurrence_complete(occurrence=occurrence, by=lead, note="Me too.")
    services.occurrence_confirm(occurrence=occurrence, by=lead)
    occurrence.refresh_from_db()
    assert occurrence.confirmed_by == lead and occurrence.done_at is not None
    assert open_occurrence(rotation).due_on == TODAY + timedelta(days=30)
    assert list(
        AuditEvent.objects.filter(action__startswith="checklists.occurrence.")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == [
        "checklists.occurrence.completed",
        "checklists.occurrence.confirmed",
        "checklists.occurrence.done",
    ]


def test_nothing_to_confirm_before_completion(team, lead):
    rotation = make_obligation(team, lead, kind=ObligationKind.KEY_ROTATION, starts_on=TODAY)
    with pytest.raises(ValidationError, match="has not been completed"):
        services.occurrence_confirm(occurrence=open_occurrence(rotation), by=lead)


def test_sending_back_clears_the_completion_and_needs_a_comment(team, lead, member):
    rotation = make_obligation(team, lead, kind=ObligationKind.KEY_ROTATION, starts_on=TODAY)
    occurrence = open_occurrence(rotation)
    services.occurrence_complete(
        occurrence=occurrence,
        by=member,
        note="Rotated.",
        done_on=TODAY - timedelta(days=1),
        evidence=[link_evidence(team, member)],
    )
    with pytest.raises(ValidationError) as refused:
        services.occurrence_send_back(occurrence=occurrence, by=lead, comment="  ")
    assert _fields(refused.value) == {"comment": ["Say what is missing: a comment is required."]}
    with pytest.raises(ValidationError, match="another person"):
        services.occurrence_send_back(occurrence=occurrence, by=member, comment="Mine.")
    services.occurrence_send_back(occurrence=occurrence, by=lead, comment="No evidence of it.")
    occurrence.refresh_from_db()
    assert occurrence.completed_by is None and occurrence.completed_at is None
    assert occurrence.completed_on is None and occurrence.note == ""
    assert not occurrence.evidence.exists()
    event = AuditEvent.objects.get(action="checklists.occurrence.sent_back")
    assert event.reason == "No evidence of it."
    assert event.changes["withdrawn"]["completed_by"] == member.get_username()
    # It can be completed again, and then confirmed by someone else.
    services.occurrence_complete(occurrence=occurrence, by=member, note="Rotated, log attached.")
    services.occurrence_confirm(occurrence=occurrence, by=lead)
    assert Occurrence.objects.get(pk=occurrence.pk).done_at is not None


@pytest.mark.parametrize(
    "kind", [kind for kind in ObligationKind.values if kind != ObligationKind.KEY_ROTATION]
)
def test_other_kinds_are_done_at_once(team, lead, member, kind):
    obligation = make_obligation(team, lead, kind=kind, starts_on=TODAY)
    occurrence = open_occurrence(obligation)
    services.occurrence_complete(occurrence=occurrence, by=member, note="Done.")
    occurrence.refresh_from_db()
    assert occurrence.done_at is not None and occurrence.confirmed_by is None
    assert open_occurrence(obligation).due_on == TODAY + timedelta(days=30)


# --- Scheduling ----------------------------------------------------------------------------


@pytest.mark.parametrize("days_late", [-3, 0, 4])
def test_the_next_occurrence_is_scheduled_from_the_day_it_was_done(team, lead, member, days_late):
    """Every N days: N days after the day done (early, on time or late), however late the
    completion was recorded."""
    obligation = make_obligation(team, lead, rule=Rule("days", 90), starts_on=date(2027, 5, 1))
    done_on = date(2027, 5, 1) + timedelta(days=days_late)
    services.occurrence_complete(
        occurrence=open_occurrence(obligation), by=member, note="Done.", done_on=done_on
    )
    following = open_occurrence(obligation)
    assert following.scheduled_on == following.due_on == done_on + timedelta(days=90)


def test_a_quarterly_obligation_is_scheduled_on_its_dates(team, lead, member):
    rule = Rule("quarterly", None, 2, 31)
    obligation = make_obligation(team, lead, rule=rule, starts_on=date(2027, 4, 1))
    first = open_occurrence(obligation)
    assert first.due_on == date(2027, 5, 31)
    services.occurrence_complete(occurrence=first, by=member, note="Early.", done_on=TODAY)
    assert open_occurrence(obligation).due_on == date(2027, 8, 31)


def test_the_next_occurrence_keeps_the_rule_not_a_moved_due_date(team, lead, member):
    obligation = make_obligation(team, lead, rule=Rule("quarterly", None, 1, 15), starts_on=TODAY)
    occurrence = open_occurrence(obligation)
    assert occurrence.scheduled_on == date(2027, 7, 15)
    services.occurrence_move_due(
        occurrence=occurrence, by=lead, due_on=date(2027, 9, 1), reason="Auditor on leave."
    )
    with frozen(date(2027, 8, 20)):
        services.occurrence_complete(occurrence=occurrence, by=member, note="Done.")
    assert open_occurrence(obligation).due_on == date(2027, 10, 15)


# --- Completion rules ----------------------------------------------------------------------


def test_a_completion_needs_a_note_and_a_day_not_in_the_future(team, lead, member):
    occurrence = open_occurrence(make_obligation(team, lead, starts_on=TODAY))
    with pytest.raises(ValidationError) as refused:
        services.occurrence_complete(
            occurrence=occurrence, by=member, note=" ", done_on=TODAY + timedelta(days=1)
        )
    assert _fields(refused.value) == {
        "note": ["Say what was done: a note is required."],
        "done_on": ["The day it was done cannot be in the future."],
    }
    assert Occurrence.objects.get(pk=occurrence.pk).completed_at is None


def test_a_completion_cannot_predate_the_previous_one(team, lead, member):
    obligation = make_obligation(team, lead, starts_on=TODAY - timedelta(days=40))
    services.occurrence_complete(
        occurrence=open_occurrence(obligation),
        by=member,
        note="Done.",
        done_on=TODAY - timedelta(days=10),
    )
    following = open_occurrence(obligation)
    with pytest.raises(ValidationError) as refused:
        services.occurrence_complete(
            occurrence=following, by=member, note="Again.", done_on=TODAY - timedelta(days=11)
        )
    assert _fields(refused.value) == {
        "done_on": ["The day it was done cannot be before the previous time (2 May 2027)."]
    }
    services.occurrence_complete(
        occurrence=following, by=member, note="Again.", done_on=TODAY - timedelta(days=10)
    )


def test_an_early_first_completion_is_allowed(team, lead, member):
    """A future start does not stop recording a rotation already done."""
    obligation = make_obligation(team, lead, starts_on=TODAY + timedelta(days=60))
    services.occurrence_complete(occurrence=open_occurrence(obligation), by=member, note="Done.")
    assert open_occurrence(obligation).due_on == TODAY + timedelta(days=30)


def test_evidence_of_another_team_is_refused(team, other_team, lead, member, outsider):
    occurrence = open_occurrence(make_obligation(team, lead, starts_on=TODAY))
    with pytest.raises(ValidationError, match="must belong to the team"):
        services.occurrence_complete(
            occurrence=occurrence,
            by=member,
            note="Done.",
            evidence=[link_evidence(other_team, outsider)],
        )


def test_a_retired_obligations_occurrence_is_left_as_it_is(team, lead, member):
    obligation = make_obligation(team, lead, starts_on=TODAY)
    services.obligation_retire(obligation=obligation, by=lead, reason="The service is gone.")
    occurrence = open_occurrence(obligation)
    with pytest.raises(ValidationError, match="retired"):
        services.occurrence_complete(occurrence=occurrence, by=member, note="Done.")
    with pytest.raises(ValidationError, match="retired"):
        services.occurrence_move_due(
            occurrence=occurrence, by=lead, due_on=TODAY + timedelta(1), reason="Why not."
        )
    with pytest.raises(ValidationError, match="already retired"):
        services.obligation_retire(obligation=obligation, by=lead, reason="Again.")


# --- Moving the due date -------------------------------------------------------------------


def test_moving_the_due_date_needs_a_reason_and_a_new_date(team, lead):
    occurrence = open_occurrence(make_obligation(team, lead, starts_on=TODAY))
    with pytest.raises(ValidationError) as refused:
        services.occurrence_move_due(occurrence=occurrence, by=lead, due_on=None, reason="")
    assert _fields(refused.value) == {
        "due_on": ["Give the new due date."],
        "reason": ["Say why the due date moves: a reason is required."],
    }
    for due_on, message in [
        (TODAY, "That is already the due date."),
        (TODAY - timedelta(days=1), "The new due date cannot be in the past."),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.occurrence_move_due(
                occurrence=occurrence, by=lead, due_on=due_on, reason="Holidays."
            )
        assert _fields(refused.value) == {"due_on": [message]}
    services.occurrence_move_due(
        occurrence=occurrence, by=lead, due_on=TODAY + timedelta(days=7), reason="Holidays."
    )
    occurrence.refresh_from_db()
    assert occurrence.due_on == TODAY + timedelta(days=7)
    assert occurrence.scheduled_on == TODAY  # the rule's date stays
    assert occurrence.due_change_reason == "Holidays." and occurrence.sequence == 1
    event = AuditEvent.objects.get(action="checklists.occurrence.due_moved")
    assert event.reason == "Holidays."
    assert event.changes["due_on"] == {"from": "2027-05-12", "to": "2027-05-19"}


def test_an_awaiting_rotation_cannot_have_its_due_date_moved(team, lead, member):
    rotation = make_obligation(team, lead, kind=ObligationKind.KEY_ROTATION, starts_on=TODAY)
    occurrence = open_occurrence(rotation)
    services.occurrence_complete(occurrence=occurrence, by=member, note="Rotated.")
    with pytest.raises(ValidationError, match="awaits confirmation"):
        services.occurrence_move_due(
            occurrence=occurrence, by=lead, due_on=TODAY + timedelta(days=3), reason="Later."
        )


# --- Secrets -------------------------------------------------------------------------------


def test_secrets_are_refused_in_every_text(team, lead, member):
    leak = f"The new key is {STRIPE_KEY}."
    with pytest.raises(ValidationError) as refused:
        make_obligation(team, lead, title=leak)
    assert list(_fields(refused.value)) == ["title"]
    with pytest.raises(ValidationError) as refused:
        make_obligation(team, lead, description=leak)
    assert list(_fields(refused.value)) == ["description"]
    assert not Obligation.objects.exists()

    obligation = make_obligation(team, lead, starts_on=TODAY)
    occurrence = open_occurrence(obligation)
    with pytest.raises(ValidationError) as refused:
        services.occurrence_complete(occurrence=occurrence, by=member, note=leak)
    assert list(_fields(refused.value)) == ["note"]
    assert "looks like it holds" in _fields(refused.value)["note"][0]
    with pytest.raises(ValidationError) as refused:
        services.occurrence_move_due(
            occurrence=occurrence, by=lead, due_on=TODAY + timedelta(days=3), reason=leak
        )
    assert list(_fields(refused.value)) == ["reason"]
    with pytest.raises(ValidationError) as refused:
        services.obligation_update(
            obligation=obligation,
            by=lead,
            title="Fine",
            description=leak,
            owner=None,
            rule=Rule("days", 30),
        )
    assert list(_fields(refused.value)) == ["description"]
    with pytest.raises(ValidationError) as refused:
        services.obligation_retire(obligation=obligation, by=lead, reason=leak)
    assert list(_fields(refused.value)) == ["reason"]

    rotation = make_obligation(
        team, lead, kind=ObligationKind.KEY_ROTATION, starts_on=TODAY, title="Rotate"
    )
    awaiting = open_occurrence(rotation)
    services.occurrence_complete(occurrence=awaiting, by=member, note="Rotated.")
    with pytest.raises(ValidationError) as refused:
        services.occurrence_send_back(occurrence=awaiting, by=lead, comment=leak)
    assert list(_fields(refused.value)) == ["comment"]
    assert STRIPE_KEY not in str(list(AuditEvent.objects.values_list("changes", "reason")))
    assert Occurrence.objects.get(pk=occurrence.pk).sequence == 0


# --- Creating and changing obligations -----------------------------------------------------


def test_an_obligation_is_created_with_its_first_occurrence(team, lead, member):
    obligation = make_obligation(
        team, lead, rule=Rule("yearly", None, 2, 29), owner=member, starts_on=TODAY
    )
    occurrence = open_occurrence(obligation)
    assert occurrence.scheduled_on == occurrence.due_on == date(2028, 2, 29)
    event = AuditEvent.objects.get(action="checklists.obligation.created")
    assert event.changes["rule"] == "every year, on 29 February (28 February in other years)"
    assert event.changes["owner"] == "member"


def test_creating_refuses_a_bad_rule_an_outside_owner_and_no_title(team, lead, outsider):
    with pytest.raises(ValidationError) as refused:
        services.obligation_create(
            team=team,
            kind="weekly-chores",
            title=" ",
            rule=Rule("yearly", None, 4, 31),
            by=lead,
            owner=outsider,
        )
    assert _fields(refused.value) == {
        "day": ["April has at most 30 days."],
        "kind": ["Choose what kind of duty this is."],
        "title": ["Give the obligation a title."],
        "owner": ["The owner must be a member of the team."],
    }


def test_only_controls_of_the_teams_checklists_can_be_linked(catalog, team, lead):
    make_checklist(team, lead, providers=("codepay",))
    foreign = Control.objects.get(ref="WECHAT-BP.3")
    with pytest.raises(ValidationError) as refused:
        make_obligation(team, lead, controls=[foreign])
    assert _fields(refused.value) == {
        "controls": ["WECHAT-BP.3 is in none of the team's checklists."]
    }


def test_an_update_applies_its_rule_from_the_next_occurrence(team, lead, member):
    obligation = make_obligation(team, lead, starts_on=TODAY)
    services.obligation_update(
        obligation=obligation,
        by=lead,
        title="Review the firewall",
        description="Both data centres.",
        owner=member,
        rule=Rule("days", 7),
    )
    occurrence = open_occurrence(obligation)
    assert occurrence.due_on == TODAY  # the open one keeps its dates
    services.occurrence_complete(occurrence=occurrence, by=member, note="Done.")
    assert open_occurrence(obligation).due_on == TODAY + timedelta(days=7)
    event = AuditEvent.objects.get(action="checklists.obligation.updated")
    assert event.changes["rule"] == {"from": "every 30 days", "to": "every 7 days"}
    assert event.changes["owner"] == {"from": None, "to": "member"}


# --- Obligations implied by checklists -----------------------------------------------------


def _recurring(checklist) -> list[Control]:
    return [
        attestation.control
        for attestation in checklist.attestations.filter(
            control__recurrence_days__isnull=False
        ).select_related("control__equivalence_group")
    ]


def test_a_checklist_creates_one_obligation_per_recurring_control_or_group(catalog, team, lead):
    # Make one member of the credential-rotation group stricter than the other.
    Control.objects.filter(ref="UCANPAY-AUTH.2").update(recurrence_days=60)
    checklist = make_checklist(team, lead, providers=("codepay", "wechat", "ucanpay"))
    recurring = _recurring(checklist)
    groups = {control.equivalence_group for control in recurring if control.equivalence_group}
    ungrouped = [control for control in recurring if control.equivalence_group is None]
    assert groups and ungrouped
    obligations = Obligation.objects.filter(team=team)
    assert obligations.count() == len(groups) + len(ungrouped)
    for control in ungrouped:
        obligation = obligations.get(implied_by_control=control)
        assert list(obligation.controls.all()) == [control]
        assert obligation.kind == control.obligation_kind
        assert obligation.interval_days == control.recurrence_days
    for group in groups:
        obligation = obligations.get(implied_by_group=group)
        members = [control for control in recurring if control.equivalence_group == group]
        assert set(obligation.controls.all()) == set(members)
        assert obligation.title == group.title
        assert obligation.interval_days == min(control.recurrence_days for control in members)
    rotation = obligations.get(implied_by_group__slug="credential-rotation")
    assert rotation.interval_days == 60 and rotation.kind == ObligationKind.KEY_ROTATION
    # First due by the end of the checklist's quarter (at once if that has passed).
    first_due = max(timezone.localdate(), Quarter.parse(checklist.period).last_day)
    for obligation in obligations:
        assert open_occurrence(obligation).due_on == first_due


def test_an_implied_obligation_is_first_due_at_the_end_of_the_checklists_quarter(
    catalog, team, lead
):
    make_checklist(team, lead, period="2027-Q2", providers=("codepay",))
    dues = set(Occurrence.objects.values_list("due_on", flat=True))
    assert dues == {date(2027, 6, 30)}


def test_a_second_checklist_of_the_team_creates_no_second_obligation(catalog, team, lead):
    make_checklist(team, lead, providers=("codepay", "wechat", "ucanpay"))
    before = {
        obligation.pk: (sorted(obligation.controls.values_list("ref", flat=True)))
        for obligation in Obligation.objects.all()
    }
    occurrences = set(Occurrence.objects.values_list("pk", "due_on"))
    updates = AuditEvent.objects.filter(action="checklists.obligation.updated").count()
    make_checklist(team, lead, period="2027-Q1", providers=("codepay", "wechat", "ucanpay"))
    after = {
        obligation.pk: (sorted(obligation.controls.values_list("ref", flat=True)))
        for obligation in Obligation.objects.all()
    }
    assert after == before
    assert set(Occurrence.objects.values_list("pk", "due_on")) == occurrences
    assert AuditEvent.objects.filter(action="checklists.obligation.updated").count() == updates


def test_a_later_checklist_with_another_provider_adds_only_what_it_implies(catalog, team, lead):
    make_checklist(team, lead, providers=("codepay",))
    first = set(Obligation.objects.values_list("pk", flat=True))
    checklist = make_checklist(team, lead, period="2027-Q1", providers=("codepay", "wechat"))
    added = Obligation.objects.exclude(pk__in=first)
    wechat = {c for c in _recurring(checklist) if c.ref.startswith("WECHAT-")}
    assert {c for obligation in added for c in obligation.controls.all()} == wechat
    assert Obligation.objects.filter(pk__in=first).count() == len(first)


def test_the_obligations_of_another_team_are_its_own(catalog, team, other_team, lead, outsider):
    make_checklist(team, lead, providers=("codepay",))
    make_checklist(other_team, outsider, providers=("codepay",))
    ours = Obligation.objects.filter(team=team).count()
    assert ours and Obligation.objects.filter(team=other_team).count() == ours
