from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from checklists.models import AnswerStatus, Attestation, Decision, ReviewDecision, ReviewState
from checklists.selectors import assessments as selectors
from checklists.selectors.assessments import todo_for
from checklists.services import answers, reviews
from checklists.services import evidence as evidence_services
from checklists.services.obligations import occurrence_complete
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
    upload,
)


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead)


@pytest.fixture
def item(checklist):
    return attestation_of(checklist, "GOPAY-1.2")


def test_every_saved_version_stays_readable(item, member, lead):
    answer(item, member, statement="First answer.")
    answer(
        item,
        lead,
        statement="Second answer.",
        status=AnswerStatus.PARTIAL,
        justification="Rewards service left.",
    )
    versions = list(item.versions.order_by("number"))
    assert [(v.number, v.saved_by, v.statement) for v in versions] == [
        (1, member, "First answer."),
        (2, lead, "Second answer."),
    ]
    assert versions[1].changed_fields == ["status", "statement", "justification"]
    event = AuditEvent.objects.filter(action="checklists.attestation.changed").latest("sequence")
    assert event.changes["statement"] == {"from": "First answer.", "to": "Second answer."}


@pytest.mark.parametrize(
    "status", [AnswerStatus.PARTIAL, AnswerStatus.NOT_IMPLEMENTED, AnswerStatus.NOT_APPLICABLE]
)
def test_it_requires_a_justification(item, member, status):
    with pytest.raises(ValidationError, match="a justification is required"):
        answer(item, member, status=status)
    assert Attestation.objects.get(pk=item.pk).version == 0


def test_it_refuses_a_stale_form(item, member, lead):
    answer(item, member)
    with pytest.raises(ValidationError, match="changed while you were editing it"):
        answers.attestation_save(
            attestation=item,
            by=lead,
            status=AnswerStatus.IMPLEMENTED,
            statement="Old view.",
            expected_version=0,
        )
    assert Attestation.objects.get(pk=item.pk).statement == "Done in the back end."


def test_an_equivalent_is_answered_through_its_group(catalog, team, lead, member):
    checklist = make_checklist(team, lead, providers=("codepay", "mixpay"))
    covered = (
        checklist.attestations.filter(satisfied_through__isnull=False)
        .select_related("satisfied_through__control")
        .first()
    )
    with pytest.raises(
        ValidationError, match=f"answered through {covered.satisfied_through.control.ref}"
    ):
        answer(covered, member)


def test_it_submits_once(item, member):
    answer(item, member)
    submit(item, member)
    with pytest.raises(ValidationError, match="already awaiting review"):
        submit(item, member)
    assert AuditEvent.objects.filter(action="checklists.attestation.submitted").count() == 1


def test_it_refuses_to_submit_an_unanswered_control(item, member):
    with pytest.raises(ValidationError, match="Answer the control before submitting"):
        submit(item, member)


def test_four_eyes_nobody_approves_what_they_edited(item, member, reviewer):
    answer(item, reviewer)  # a reviewer who is also writing the answer
    submit(item, member)
    with pytest.raises(
        ValidationError,
        match="GOPAY-1.2: You edited this answer or its evidence",
    ):
        approve(item, reviewer)
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.SUBMITTED
    assert not ReviewDecision.objects.exists()


def test_four_eyes_covers_evidence(item, member, reviewer):
    answer(item, member)
    upload(item, reviewer)
    submit(item, member)
    with pytest.raises(ValidationError, match="another reviewer must approve it"):
        approve(item, reviewer)


def test_a_reviewer_approves_and_the_decision_is_final(item, member, reviewer):
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    item.refresh_from_db()
    assert item.review_state == ReviewState.APPROVED
    # Reversing is a new decision; the first stays.
    reviews.review_request_changes(
        attestation=item, by=reviewer, comment="Wrong system.", expected_version=item.version
    )
    assert list(
        ReviewDecision.objects.order_by("decided_at").values_list("decision", flat=True)
    ) == [
        Decision.APPROVED,
        Decision.CHANGES_REQUESTED,
    ]
    assert (
        AuditEvent.objects.get(action="checklists.attestation.changes_requested").reason
        == "Wrong system."
    )


def test_a_change_request_needs_a_comment(item, member, reviewer):
    answer(item, member)
    submit(item, member)
    item.refresh_from_db()
    with pytest.raises(ValidationError, match="a comment is required"):
        reviews.review_request_changes(
            attestation=item, by=reviewer, comment="  ", expected_version=item.version
        )


def test_changes_requested_appear_on_the_teams_to_do(item, member, reviewer):
    answer(item, member)
    submit(item, member)
    item.refresh_from_db()
    reviews.review_request_changes(
        attestation=item, by=reviewer, comment="Attach proof.", expected_version=item.version
    )
    assert list(todo_for(member)["changes_requested"]) == [item]


def test_a_recurring_control_goes_stale(catalog, team, lead, member, reviewer):
    checklist = make_checklist(team, lead, providers=("codepay",))
    rotation = checklist.attestations.select_related("control").get(
        control__recurrence_days=90, control__title__icontains="password"
    )
    answer(rotation, member)
    submit(rotation, member)
    approve(rotation, reviewer)
    rotation.refresh_from_db()
    # The password-rotation obligation keeps the clock: its first time falls due by the end
    # of the checklist's quarter; once done, the next is 90 days on.
    duty = rotation.control.obligations.get(team=team)
    assert rotation.next_review_due == duty.occurrences.get().due_on
    occurrence_complete(occurrence=duty.occurrences.get(), by=member, note="All changed.")
    rotation.refresh_from_db()
    assert rotation.next_review_due == timezone.localdate() + timedelta(days=90)
    assert not rotation.is_stale
    with time_machine.travel(timezone.localdate() + timedelta(days=91)):
        rotation.refresh_from_db()
        assert rotation.is_stale
        assert rotation in todo_for(member)["stale"]
    Attestation.objects.filter(pk=rotation.pk).update(
        next_review_due=timezone.localdate() - timedelta(days=1)
    )
    rotation.refresh_from_db()
    assert rotation.is_stale
    assert rotation in todo_for(member)["stale"]
    submit(rotation, member)  # back into the reviewers' queue
    assert Attestation.objects.get(pk=rotation.pk).review_state == ReviewState.SUBMITTED


def test_changing_an_approved_answers_evidence_sends_it_back_to_review(item, member, reviewer):
    answer(item, member)
    evidence = upload(item, member)
    submit(item, member)
    approve(item, reviewer)
    item.refresh_from_db()
    link = item.evidence_links.get(evidence=evidence)
    evidence_services.evidence_withdraw(
        attestation=item, link=link, by=member, expected_version=item.version
    )
    item.refresh_from_db()
    assert item.review_state == ReviewState.SUBMITTED
    # The evidence row itself is untouched; only its link was withdrawn, and history keeps it.
    assert evidence.links.get().withdrawn_by == member
    assert item.versions.order_by("-number").first().evidence_ids == []


def test_bulk_approval_reports_refusals(catalog, team, lead, member, reviewer):
    checklist = make_checklist(team, lead)
    first, second = (attestation_of(checklist, ref) for ref in ("GOPAY-1.2", "GOPAY-1.3"))
    answer(first, member)
    answer(second, reviewer)
    submit(first, member)
    submit(second, member)
    items = list(Attestation.objects.filter(pk__in=[first.pk, second.pk]).select_related("control"))
    approved, refused = reviews.review_bulk_approve(attestations=items, by=reviewer)
    assert [a.pk for a in approved] == [first.pk]
    assert [(a.pk, "another reviewer must approve it" in why) for a, why in refused] == [
        (second.pk, True)
    ]


def test_four_eyes_follows_an_answer_into_the_next_period(catalog, team, lead):
    from django.contrib.auth import get_user_model

    from portal.accounts import services as accounts
    from portal.accounts.permissions import REVIEWERS_GROUP
    from tests.conftest import make_user

    # A member answers, then leaves the team and becomes a reviewer.
    reviewer = make_user("former-member")
    membership = accounts.membership_add(team=team, user=reviewer, role="member")
    last = make_checklist(team, lead, period="2026-Q3")
    answer(attestation_of(last, "GOPAY-1.2"), reviewer)
    accounts.membership_remove(membership=membership)
    accounts.global_role_grant(user=reviewer, group_name=REVIEWERS_GROUP)
    reviewer = get_user_model().objects.get(pk=reviewer.pk)  # no cached permissions
    current = make_checklist(team, lead, period="2026-Q4", copy_previous=True)
    copied = attestation_of(current, "GOPAY-1.2")
    submit(copied, lead)
    with pytest.raises(ValidationError, match="another reviewer must approve it"):
        approve(copied, reviewer)


def test_an_approved_answer_set_back_to_unanswered_goes_to_draft(item, member, reviewer):
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    answer(item, member, status=AnswerStatus.UNANSWERED, statement="")
    item.refresh_from_db()
    assert item.review_state == ReviewState.DRAFT
    event = AuditEvent.objects.filter(action="checklists.attestation.changed").latest("sequence")
    assert event.changes["review_state"] == {"from": "approved", "to": "draft"}


def test_a_changed_approved_answer_goes_back_to_the_queue(item, member, reviewer):
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    answer(item, member, statement="Now also covered by a CI check.")
    item.refresh_from_db()
    assert item.review_state == ReviewState.SUBMITTED


def test_only_a_submitted_answer_can_be_approved(item, member, reviewer):
    answer(item, member)
    submit(item, member)
    item.refresh_from_db()
    reviews.review_request_changes(
        attestation=item, by=reviewer, comment="Attach proof.", expected_version=item.version
    )
    with pytest.raises(ValidationError, match="only an answer awaiting review can be approved"):
        approve(item, reviewer)


def test_assigning_an_owner_keeps_the_approval(item, member, lead, reviewer):
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    item.refresh_from_db()
    answers.attestation_save(
        attestation=item,
        by=lead,
        status=item.status,
        statement=item.statement,
        owner=member,
        due_date=timezone.localdate(),
        addresses_all=True,
        expected_version=item.version,
    )
    item.refresh_from_db()
    assert item.review_state == ReviewState.APPROVED and item.owner == member
    assert lead.pk not in selectors.editors_of(item)
    assert AuditEvent.objects.filter(action="checklists.attestation.assigned", actor=lead).exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("statement", "We call the API with sk_live_4eC39HqLyjWDarjtT1zdp7dc in staging."),
        ("justification", "Old key AKIAZ7QH4XKJ2M5TRW3N is disabled."),
    ],
)
def test_typed_secrets_are_refused(item, member, field, value):
    kwargs = {"statement": "Done.", "justification": "", field: value}
    with pytest.raises(ValidationError, match=f"The {field} looks like it holds"):
        answers.attestation_save(
            attestation=item,
            by=member,
            status=AnswerStatus.PARTIAL if field == "justification" else AnswerStatus.IMPLEMENTED,
            expected_version=0,
            **kwargs,
        )
    assert not AuditEvent.objects.filter(action="checklists.attestation.changed").exists()


def test_a_link_with_a_key_in_it_is_refused(item, member):
    with pytest.raises(ValidationError, match="The link looks like it holds"):
        evidence_services.evidence_add_link(
            attestation=item,
            url="https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            description="Alerts channel",
            by=member,
            expected_version=0,
        )
    assert not item.evidence.exists()


def test_the_stored_name_is_the_cleaned_one(item, member):
    evidence = upload(item, member, name="  re\u0301sume\u0301.txt ")
    assert evidence.original_name == "r\u00e9sum\u00e9.txt"
