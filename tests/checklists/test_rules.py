"""The answer and review rules on their own: every combination of the states they judge."""

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import permutations, product

import pytest

from checklists import rules
from checklists.models import NEEDS_JUSTIFICATION, AnswerStatus, ReviewState

TODAY = date(2026, 12, 2)


@dataclass
class FakeControl:
    ref: str
    severity: str
    recurrence_days: int | None = None
    position: int = 0


def test_the_strictest_severity_carries_whatever_the_order():
    controls = [
        FakeControl("HIGH-90", "high", 90),
        FakeControl("CRITICAL", "critical"),
        FakeControl("MEDIUM-30", "medium", 30),
    ]
    for order in permutations(controls):
        assert rules.choose_carrier(list(order)).ref == "CRITICAL"


def test_among_equal_severities_the_most_frequent_then_the_first_carries():
    controls = [
        FakeControl("A", "high"),
        FakeControl("B", "high", 365),
        FakeControl("C", "high", 90),
    ]
    assert rules.choose_carrier(controls).ref == "C"
    assert rules.choose_carrier([FakeControl("X", "low"), FakeControl("Y", "low")]).ref == "X"


def test_a_group_approval_recurs_at_its_shortest_interval():
    controls = [
        FakeControl("A", "critical"),
        FakeControl("B", "high", 365),
        FakeControl("C", "low", 90),
    ]
    assert rules.review_interval_days(controls) == 90
    assert rules.review_interval_days([FakeControl("A", "high")]) is None


@pytest.mark.parametrize(
    ("status", "statement", "justification", "covers", "confirmed"),
    list(
        product(
            AnswerStatus.values,
            ["", "How it is met."],
            ["", "Why."],
            [(), ("OTHER-1",)],
            [False, True],
        )
    ),
)
def test_answer_problems_over_every_combination(
    status, statement, justification, covers, confirmed
):
    problems = rules.answer_problems(
        status=status,
        statement=statement,
        justification=justification,
        covered_refs=covers,
        addresses_all=confirmed,
    )
    expected = 0
    expected += status in NEEDS_JUSTIFICATION and not justification
    expected += status in (AnswerStatus.IMPLEMENTED, AnswerStatus.PARTIAL) and not statement
    expected += bool(covers) and status == AnswerStatus.NOT_APPLICABLE
    expected += (
        bool(covers)
        and status in (AnswerStatus.IMPLEMENTED, AnswerStatus.PARTIAL)
        and not confirmed
    )
    assert len(problems) == expected, problems


@pytest.mark.parametrize(
    ("review_state", "status"), list(product(ReviewState.values, AnswerStatus.values))
)
def test_a_change_never_leaves_an_unanswered_answer_with_the_reviewers(review_state, status):
    after = rules.review_state_after_change(review_state=review_state, status=status)
    if status == AnswerStatus.UNANSWERED:
        assert after not in (ReviewState.SUBMITTED, ReviewState.APPROVED)
    elif review_state == ReviewState.APPROVED:
        assert after == ReviewState.SUBMITTED  # a changed approval goes back to the reviewers
    else:
        assert after == review_state


@pytest.mark.parametrize(
    ("review_state", "status", "overdue"),
    list(product(ReviewState.values, AnswerStatus.values, [False, True])),
)
def test_what_can_be_submitted(review_state, status, overdue):
    due = TODAY - timedelta(days=1) if overdue else TODAY + timedelta(days=1)
    problem = rules.why_not_submittable(
        status=status, review_state=review_state, next_review_due=due, today=TODAY
    )
    stale = review_state == ReviewState.APPROVED and overdue
    allowed = (
        status != AnswerStatus.UNANSWERED
        and review_state != ReviewState.SUBMITTED
        and (review_state != ReviewState.APPROVED or stale)
    )
    assert (problem is None) == allowed, problem
    assert rules.submission_open(review_state=review_state, next_review_due=due, today=TODAY) == (
        review_state != ReviewState.SUBMITTED and (review_state != ReviewState.APPROVED or stale)
    )


@pytest.mark.parametrize(
    ("review_state", "status", "edited"),
    list(product(ReviewState.values, AnswerStatus.values, [False, True])),
)
def test_what_can_be_approved(review_state, status, edited):
    problem = rules.why_not_approvable(
        status=status, review_state=review_state, reviewer_id=7, editor_ids={7} if edited else {8}
    )
    allowed = (
        review_state == ReviewState.SUBMITTED and status != AnswerStatus.UNANSWERED and not edited
    )
    assert (problem is None) == allowed, problem


@pytest.mark.parametrize("review_state", ReviewState.values)
def test_changes_are_requested_only_on_what_reviewers_hold(review_state):
    problem = rules.why_no_changes_request(review_state=review_state)
    assert (problem is None) == (review_state in (ReviewState.SUBMITTED, ReviewState.APPROVED))


@pytest.mark.parametrize(
    ("may_assign", "current", "new", "problem"),
    [
        (False, None, None, None),
        (False, 1, 1, None),
        (False, None, 1, "Only a team lead can assign or change the owner."),
        (False, 1, None, "Only a team lead can assign or change the owner."),
        (True, None, 1, None),
        (True, 1, None, None),
        (True, None, 99, "The owner must be a member of the team."),
    ],
)
def test_owners_are_assigned_by_leads_to_team_members(may_assign, current, new, problem):
    assert (
        rules.owner_problem(
            current_owner_id=current,
            new_owner_id=new,
            may_assign=may_assign,
            team_member_ids={1, 2},
        )
        == problem
    )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://wiki.example.com/x", True),
        ("http://wiki.example.com/x", False),
        ("ftp://x", False),
        ("javascript:alert(1)", False),
    ],
)
def test_links_must_be_https(url, ok):
    assert (rules.link_problem(url) is None) == ok
