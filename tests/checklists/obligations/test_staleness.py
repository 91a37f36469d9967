"""The obligation keeps the clock of recurring answers: approval reads its due date from the
open occurrence, the answer goes stale when the duty goes overdue, and doing the duty renews
the approval without a new review. Staleness has one definition in two forms."""

import itertools
from datetime import date, timedelta

import pytest
from django.utils import timezone

from checklists import rules
from checklists.models import (
    AnswerStatus,
    Attestation,
    Obligation,
    ObligationKind,
    ReviewDecision,
    ReviewState,
)
from checklists.services import obligations as services
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
)
from tests.checklists.obligations.helpers import frozen, make_obligation, open_occurrence

START = date(2027, 1, 4)
# Checklists default to 2026-Q4, which has ended by START: their duties are due at once.


def _stale_everywhere(attestation: Attestation) -> tuple[bool, bool, bool]:
    """`rules.is_stale`, `Attestation.is_stale` and the `stale_q` filter, in that order."""
    attestation.refresh_from_db()
    today = timezone.localdate()
    return (
        rules.is_stale(
            review_state=attestation.review_state,
            next_review_due=attestation.next_review_due,
            today=today,
        ),
        attestation.is_stale,
        Attestation.objects.filter(rules.stale_q(today), pk=attestation.pk).exists(),
    )


def _approved(checklist, ref, member, reviewer) -> Attestation:
    item = attestation_of(checklist, ref)
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    item.refresh_from_db()
    return item


def test_an_answer_goes_stale_with_its_duty_and_doing_the_duty_renews_it(
    catalog, team, lead, member, reviewer
):
    quarter_end = date(2027, 3, 31)
    with frozen(START):
        checklist = make_checklist(team, lead, period="2027-Q1", providers=("codepay",))
        rotation = _approved(checklist, "CODEPAY-1.4a.1", member, reviewer)
        duty = Obligation.objects.get(team=team, implied_by_control=rotation.control)
        assert duty.kind == ObligationKind.PASSWORD_ROTATION
        # Approval reads the due date from the open occurrence: first due by the end of the
        # checklist's quarter.
        assert rotation.next_review_due == open_occurrence(duty).due_on == quarter_end
        assert _stale_everywhere(rotation) == (False, False, False)
        decisions = ReviewDecision.objects.count()
    with frozen(quarter_end):
        assert _stale_everywhere(rotation) == (False, False, False)
    with frozen(quarter_end + timedelta(days=1)):  # the duty is overdue: the answer is stale
        assert _stale_everywhere(rotation) == (True, True, True)
        done_on = quarter_end - timedelta(days=2)  # done in time, recorded late
        services.occurrence_complete(
            occurrence=open_occurrence(duty),
            by=member,
            note="Rotated the platform password.",
            done_on=done_on,
        )
        rotation.refresh_from_db()
        following = open_occurrence(duty)
        assert following.due_on == done_on + timedelta(days=90)
        assert rotation.next_review_due == following.due_on
        assert rotation.review_state == ReviewState.APPROVED  # no new review
        assert ReviewDecision.objects.count() == decisions
        assert _stale_everywhere(rotation) == (False, False, False)
    with frozen(following.due_on + timedelta(days=1)):
        assert _stale_everywhere(rotation) == (True, True, True)


def test_a_rotation_renews_its_answers_only_once_confirmed(catalog, team, lead, member, reviewer):
    with frozen(START):
        checklist = make_checklist(team, lead, providers=("wechat", "ucanpay"))
        duty = Obligation.objects.get(team=team, implied_by_group__slug="credential-rotation")
        carrier = next(
            a
            for a in checklist.attestations.filter(control__in=duty.controls.all())
            if a.satisfied_through_id is None
        )
        carrier = _approved(checklist, carrier.control.ref, member, reviewer)
        assert carrier.next_review_due == START
    with frozen(START + timedelta(days=3)):
        occurrence = open_occurrence(duty)
        services.occurrence_complete(occurrence=occurrence, by=member, note="Rotated both.")
        assert _stale_everywhere(carrier) == (True, True, True)  # not done until confirmed
        services.occurrence_confirm(occurrence=occurrence, by=lead)
        carrier.refresh_from_db()
        assert carrier.next_review_due == START + timedelta(days=3 + 90)
        assert not carrier.is_stale


def test_moving_the_due_date_and_retiring_carry_over_to_the_answer(
    catalog, team, lead, member, reviewer
):
    with frozen(START):
        checklist = make_checklist(team, lead, providers=("codepay",))
        scan = _approved(checklist, "CODEPAY-2.4b", member, reviewer)
        duty = Obligation.objects.get(team=team, implied_by_control=scan.control)
        services.occurrence_move_due(
            occurrence=open_occurrence(duty),
            by=lead,
            due_on=START + timedelta(days=10),
            reason="The scanner licence renews on the 14th.",
        )
        scan.refresh_from_db()
        assert scan.next_review_due == START + timedelta(days=10)
        assert services.review_due_for(scan) == scan.next_review_due
        services.obligation_retire(obligation=duty, by=lead, reason="Scans moved to the host.")
        scan.refresh_from_db()
        assert scan.next_review_due is None  # nothing keeps the clock any more
    with frozen(START + timedelta(days=400)):
        assert _stale_everywhere(scan) == (False, False, False)


def test_an_obligation_linked_to_a_covered_control_keeps_the_group_answer(
    catalog, team, lead, member, reviewer
):
    """The answer stands for every member of its group: an obligation linked to a member it
    covers counts as much as one linked to the control that carries it."""
    with frozen(START):
        checklist = make_checklist(team, lead, providers=("wechat", "ucanpay"))
        group_duty = Obligation.objects.get(team=team, implied_by_group__slug="credential-rotation")
        covered = checklist.attestations.select_related("satisfied_through__control").get(
            control__in=group_duty.controls.all(), satisfied_through__isnull=False
        )
        carrier = _approved(checklist, covered.satisfied_through.control.ref, member, reviewer)
        occurrence = open_occurrence(group_duty)
        services.occurrence_complete(occurrence=occurrence, by=member, note="Rotated.")
        services.occurrence_confirm(occurrence=occurrence, by=lead)
        carrier.refresh_from_db()
        assert carrier.next_review_due == START + timedelta(days=90)
        extra = make_obligation(
            team,
            lead,
            title="Rotate the WeChat key after the migration",
            starts_on=START + timedelta(days=10),
            controls=[covered.control],
        )
        carrier.refresh_from_db()
        assert carrier.next_review_due == START + timedelta(days=10)
        assert services.review_due_for(carrier) == carrier.next_review_due
        keeper = services.keeper_of(carrier)
        assert keeper.obligation == extra and keeper.occurrence.due_on == START + timedelta(10)


@pytest.mark.parametrize("state", ReviewState.values)
def test_is_stale_and_stale_q_agree_for_every_state_and_due_date(catalog, team, lead, state):
    today = date(2027, 6, 15)
    dues = [None, today - timedelta(days=1), today, today + timedelta(days=1)]
    with frozen(today):
        checklist = make_checklist(team, lead, providers=("codepay",))
        items = list(checklist.attestations.filter(satisfied_through__isnull=True)[: len(dues)])
        for item, due in zip(items, dues, strict=True):
            Attestation.objects.filter(pk=item.pk).update(
                status=AnswerStatus.IMPLEMENTED,
                statement="Met.",
                review_state=state,
                next_review_due=due,
            )
        by_filter = set(
            Attestation.objects.filter(rules.stale_q(today)).values_list("pk", flat=True)
        )
        for item, due in zip(items, dues, strict=True):
            item.refresh_from_db()
            expected = state == ReviewState.APPROVED and due is not None and due < today
            assert rules.is_stale(review_state=state, next_review_due=due, today=today) is expected
            assert item.is_stale is expected
            assert (item.pk in by_filter) is expected


def test_every_combination_in_one_table(catalog, team, lead):
    """The same agreement, all combinations on rows at once (one filter query)."""
    today = date(2027, 6, 15)
    dues = [None, today - timedelta(days=30), today, today + timedelta(days=30)]
    combinations = list(itertools.product(ReviewState.values, dues))
    with frozen(today):
        checklist = make_checklist(team, lead, providers=("gopay", "mixpay"))
        items = list(checklist.attestations.filter(satisfied_through__isnull=True))
        assert len(items) >= len(combinations)
        for item, (state, due) in zip(items, combinations, strict=False):
            Attestation.objects.filter(pk=item.pk).update(
                status=AnswerStatus.IMPLEMENTED,
                statement="Met.",
                review_state=state,
                next_review_due=due,
            )
        rows = Attestation.objects.filter(pk__in=[item.pk for item in items[: len(combinations)]])
        by_filter = set(rows.filter(rules.stale_q(today)).values_list("pk", flat=True))
        by_rule = {
            row.pk
            for row in rows
            if rules.is_stale(
                review_state=row.review_state, next_review_due=row.next_review_due, today=today
            )
        }
        assert by_filter == by_rule == {row.pk for row in rows if row.is_stale}
        assert len(by_rule) == 1  # approved and due yesterday-or-earlier: the one stale case
