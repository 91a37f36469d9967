"""What a finding may claim about a control, from the team's answer and its review.

An answer never claims more than was checked: a control is "satisfied" only when its answer
is "implemented" and a reviewer approved it, and the approval has not gone stale. Whatever no
reviewer has approved (or approved once, but the recurring duty behind it is now overdue) is
"not-satisfied" for the reason "other": not determined. The implementation status, an OSCAL
statement about the control, is given only for an approved, current answer; otherwise the
team's own answer is kept as a property and says no more than that.
"""

from dataclasses import dataclass

from checklists.models import AnswerStatus, ReviewState

SATISFIED = "satisfied"
NOT_SATISFIED = "not-satisfied"

# The OSCAL implementation state an approved answer stands for; "not implemented" has none
# (OSCAL's states are implemented, partial, planned, alternative and not-applicable).
IMPLEMENTATION_STATE = {
    AnswerStatus.IMPLEMENTED: "implemented",
    AnswerStatus.PARTIAL: "partial",
    AnswerStatus.NOT_APPLICABLE: "not-applicable",
}


@dataclass(frozen=True)
class Claim:
    state: str  # SATISFIED or NOT_SATISFIED
    reason: str  # "pass", "fail" or "other" (not determined)
    implementation: str | None  # an OSCAL implementation state, only once a reviewer agreed
    summary: str

    @property
    def satisfied(self) -> bool:
        return self.state == SATISFIED


def claim_for(*, status: str, review_state: str, stale: bool) -> Claim:
    answer = AnswerStatus(status).label
    if status == AnswerStatus.UNANSWERED:
        return Claim(NOT_SATISFIED, "other", None, "Not answered.")
    if review_state != ReviewState.APPROVED:
        review = ReviewState(review_state).label.lower()
        return Claim(
            NOT_SATISFIED, "other", None, f"Answered {answer.lower()}; not approved ({review})."
        )
    if stale:
        return Claim(
            NOT_SATISFIED,
            "other",
            None,
            f"Answered {answer.lower()} and approved, but the approval has gone stale: the "
            "recurring duty that keeps it current is overdue.",
        )
    implementation = IMPLEMENTATION_STATE.get(AnswerStatus(status))
    if status == AnswerStatus.IMPLEMENTED:
        return Claim(SATISFIED, "pass", implementation, "Implemented, and approved by a reviewer.")
    if status == AnswerStatus.NOT_APPLICABLE:
        return Claim(
            NOT_SATISFIED,
            "other",
            implementation,
            "Not applicable, and approved by a reviewer: nothing was checked against it.",
        )
    return Claim(NOT_SATISFIED, "fail", implementation, f"{answer}, and approved by a reviewer.")
