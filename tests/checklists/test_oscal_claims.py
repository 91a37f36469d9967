"""What a finding may claim, for every answer, review state and staleness."""

import itertools

import pytest

from checklists.models import AnswerStatus, ReviewState
from checklists.oscal.claims import NOT_SATISFIED, SATISFIED, claim_for

COMBINATIONS = list(itertools.product(AnswerStatus, ReviewState, (False, True)))


@pytest.mark.parametrize(("status", "review_state", "stale"), COMBINATIONS)
def test_only_a_current_approval_of_an_implemented_answer_is_satisfied(status, review_state, stale):
    claim = claim_for(status=status, review_state=review_state, stale=stale)
    checked = review_state == ReviewState.APPROVED and not stale
    expected = status == AnswerStatus.IMPLEMENTED and checked
    assert claim.satisfied is expected
    assert claim.state == (SATISFIED if expected else NOT_SATISFIED)
    assert (claim.reason == "pass") is expected


@pytest.mark.parametrize(("status", "review_state", "stale"), COMBINATIONS)
def test_the_implementation_status_is_stated_only_once_a_reviewer_agreed(
    status, review_state, stale
):
    claim = claim_for(status=status, review_state=review_state, stale=stale)
    checked = review_state == ReviewState.APPROVED and not stale
    if not checked or status in (AnswerStatus.UNANSWERED, AnswerStatus.NOT_IMPLEMENTED):
        assert claim.implementation is None
        assert claim.reason in ("other", "fail")
    else:
        assert (
            claim.implementation
            == {
                AnswerStatus.IMPLEMENTED: "implemented",
                AnswerStatus.PARTIAL: "partial",
                AnswerStatus.NOT_APPLICABLE: "not-applicable",
            }[status]
        )
    # What nobody has checked is never called a failure either: it is not determined.
    if not checked:
        assert claim.reason == "other"


def test_an_approved_gap_is_a_failure_and_not_applicable_is_not_determined():
    approved = {"review_state": ReviewState.APPROVED, "stale": False}
    for status in (AnswerStatus.PARTIAL, AnswerStatus.NOT_IMPLEMENTED):
        assert claim_for(status=status, **approved).reason == "fail"
    not_applicable = claim_for(status=AnswerStatus.NOT_APPLICABLE, **approved)
    assert not_applicable.state == NOT_SATISFIED and not_applicable.reason == "other"
