"""The answer and review rules, in one place.

Pure functions over an answer's state: each returns what is wrong (a sentence for the person)
or None. Services refuse with them, views turn them into flags for templates, and any later
entry point (the API, a task) asks the same functions.

Answering once for an equivalence group: the strictest member (by severity, then by how
often it recurs, then catalog order) carries the answer, the answer page shows every member's
requirement, and a group answer must be confirmed to address all of them. "Not applicable" is
judged control by control, so it never stands for a group: the team answers the members
separately instead. A group approval goes stale at the shortest interval among its members.
"""

from collections.abc import Collection, Iterable
from datetime import date
from typing import Protocol

from django.db.models import Q, TextChoices

from checklists.models import (
    NEEDS_JUSTIFICATION,
    AnswerStatus,
    ObligationKind,
    ReviewState,
)
from checklists.models.catalog import SEVERITY_RANK

NEEDS_STATEMENT = (AnswerStatus.IMPLEMENTED, AnswerStatus.PARTIAL)


class _Control(Protocol):
    ref: str
    severity: str
    recurrence_days: int | None
    position: int


# --- Equivalence groups --------------------------------------------------------------------


def strictness(control: _Control, order: int = 0) -> tuple:
    """Sort key: the strictest control first. `order` breaks ties by catalog order."""
    days = control.recurrence_days
    return (SEVERITY_RANK[control.severity], days is None, days or 0, order)


def choose_carrier(controls: list[_Control]) -> _Control:
    """The member of a group, among those in a checklist, that carries the group's answer."""
    return min(enumerate(controls), key=lambda item: strictness(item[1], item[0]))[1]


def review_interval_days(controls: Iterable[_Control]) -> int | None:
    """An approval standing for several controls goes stale by the most frequent of them."""
    intervals = [control.recurrence_days for control in controls if control.recurrence_days]
    return min(intervals) if intervals else None


# --- Answers -------------------------------------------------------------------------------


def why_not_answerable(*, carrier_ref: str | None) -> str | None:
    """A control answered through another member of its group is answered there."""
    if carrier_ref:
        return f"This control is answered through {carrier_ref}; answer it there."
    return None


def answer_field_problems(
    *,
    status: str,
    statement: str,
    justification: str,
    covered_refs: Collection[str] = (),
    addresses_all: bool = False,
) -> dict[str, str]:
    """What is wrong with an answer, keyed by the field it is about; empty when it can be
    saved."""
    if status not in AnswerStatus.values:
        return {"status": f"{status!r} is not an answer."}
    problems = {}
    if status in NEEDS_JUSTIFICATION and not justification.strip():
        problems["justification"] = (
            f"Explain why the control is {AnswerStatus(status).label.lower()}: "
            "a justification is required."
        )
    if status in NEEDS_STATEMENT and not statement.strip():
        problems["statement"] = "Describe how the control is met."
    if covered_refs and status == AnswerStatus.NOT_APPLICABLE:
        problems["status"] = (
            "Not applicable is decided control by control, so it cannot stand for "
            f"{', '.join(covered_refs)}: answer the group's controls separately first."
        )
    if covered_refs and status in NEEDS_STATEMENT and not addresses_all:
        problems["addresses_all"] = (
            f"This answer also stands for {', '.join(covered_refs)}: confirm that it "
            "addresses every requirement listed, or answer the controls separately."
        )
    return problems


def answer_problems(**answer) -> list[str]:
    """`answer_field_problems` as sentences, for entry points without fields."""
    return list(answer_field_problems(**answer).values())


def review_state_after_change(*, review_state: str, status: str) -> str:
    """Where an answer goes when its content or evidence changes: an approval ends (back to
    the reviewers), and an answer set back to unanswered leaves the review queue."""
    if status == AnswerStatus.UNANSWERED:
        if review_state in (ReviewState.SUBMITTED, ReviewState.APPROVED):
            return ReviewState.DRAFT
        return review_state
    if review_state == ReviewState.APPROVED:
        return ReviewState.SUBMITTED
    return review_state


# Staleness, the one definition, in its two forms (tested against each other). An approved
# answer to a recurring control stays current while the obligations behind the control are kept:
# `next_review_due` is the due date of their earliest open occurrence (see services.obligations).


def is_stale(*, review_state: str, next_review_due: date | None, today: date) -> bool:
    return (
        review_state == ReviewState.APPROVED
        and next_review_due is not None
        and next_review_due < today
    )


def stale_q(today: date, prefix: str = "") -> Q:
    """`is_stale` as a filter on attestations (a prefix reads annotated or related fields)."""
    return Q(
        **{
            f"{prefix}review_state": ReviewState.APPROVED,
            f"{prefix}next_review_due__lt": today,
        }
    )


class ProgressState(TextChoices):
    """Where an answer stands, as a checklist shows and filters it (one state each)."""

    UNANSWERED = "unanswered", "Unanswered"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting review"
    CHANGES_REQUESTED = "changes-requested", "Changes requested"
    APPROVED = "approved", "Approved"
    STALE = "stale", "Stale"


def progress_state_conditions(today: date, prefix: str = "") -> list[tuple[str, Q]]:
    """Each state but draft as a filter, first match wins; what matches none is a draft. A
    stale approval is stale, not approved, and an answer sent back stays "changes requested"
    even if set back to unanswered, since the reviewer's comment still waits for it."""
    return [
        (ProgressState.STALE, stale_q(today, prefix)),
        (ProgressState.APPROVED, Q(**{f"{prefix}review_state": ReviewState.APPROVED})),
        (ProgressState.SUBMITTED, Q(**{f"{prefix}review_state": ReviewState.SUBMITTED})),
        (
            ProgressState.CHANGES_REQUESTED,
            Q(**{f"{prefix}review_state": ReviewState.CHANGES_REQUESTED}),
        ),
        (ProgressState.UNANSWERED, Q(**{f"{prefix}status": AnswerStatus.UNANSWERED})),
    ]


def _submission_closed(
    *, review_state: str, next_review_due: date | None, today: date
) -> str | None:
    if review_state == ReviewState.SUBMITTED:
        return "This answer is already awaiting review."
    if review_state == ReviewState.APPROVED and not is_stale(
        review_state=review_state, next_review_due=next_review_due, today=today
    ):
        return "This answer is approved; change it to send it back to review."
    return None


def submission_open(*, review_state: str, next_review_due: date | None, today: date) -> bool:
    """Whether an answer in this review state may be sent to the reviewers (once answered)."""
    return (
        _submission_closed(review_state=review_state, next_review_due=next_review_due, today=today)
        is None
    )


def why_not_submittable(
    *, status: str, review_state: str, next_review_due: date | None, today: date
) -> str | None:
    closed = _submission_closed(
        review_state=review_state, next_review_due=next_review_due, today=today
    )
    if closed:
        return closed
    if status == AnswerStatus.UNANSWERED:
        return "Answer the control before submitting it for review."
    return None


def link_problem(url: str) -> str | None:
    if not url.startswith("https://"):
        return "Link to an https:// address."
    return None


def evidence_period_problem(valid_from: date | None, valid_until: date | None) -> str | None:
    if valid_from and valid_until and valid_until < valid_from:
        return "The evidence cannot stop being valid before it starts."
    return None


def owner_problem(
    *,
    current_owner_id: int | None,
    new_owner_id: int | None,
    may_assign: bool,
    team_member_ids: Collection[int],
) -> str | None:
    """Leads assign owners, and only to people of the team."""
    if new_owner_id == current_owner_id:
        return None
    if not may_assign:
        return "Only a team lead can assign or change the owner."
    if new_owner_id is not None and new_owner_id not in team_member_ids:
        return "The owner must be a member of the team."
    return None


# --- Reviews -------------------------------------------------------------------------------


def why_not_approvable(
    *, status: str, review_state: str, reviewer_id: int, editor_ids: Collection[int]
) -> str | None:
    if review_state != ReviewState.SUBMITTED:
        return (
            f"This answer is {ReviewState(review_state).label.lower()}; "
            "only an answer awaiting review can be approved."
        )
    if status == AnswerStatus.UNANSWERED:
        return "This answer is unanswered; there is nothing to approve."
    if reviewer_id in editor_ids:
        return "You edited this answer or its evidence, so another reviewer must approve it."
    return None


# An answer that admits a gap or claims an exemption, with nothing attached to back it, is
# approved only with the reviewer's written reason: the approval then accepts a risk on the
# reviewer's word. An implemented answer without evidence is not gated: its statement is the
# claim, the queue shows it has no evidence, and the four-eyes rule already applies.
NEEDS_COMMENT_WITHOUT_EVIDENCE = (
    AnswerStatus.PARTIAL,
    AnswerStatus.NOT_IMPLEMENTED,
    AnswerStatus.NOT_APPLICABLE,
)


def why_approval_needs_comment(*, status: str, evidence_count: int) -> str | None:
    """Why approving this answer needs a reviewer's comment, or None when it does not."""
    if status in NEEDS_COMMENT_WITHOUT_EVIDENCE and evidence_count == 0:
        return (
            f"This answer is {AnswerStatus(status).label.lower()} and has no evidence: "
            "to approve it, say why it is acceptable."
        )
    return None


def approval_needs_comment(*, status: str, evidence_count: int) -> bool:
    return why_approval_needs_comment(status=status, evidence_count=evidence_count) is not None


def approval_comment_problem(*, status: str, evidence_count: int, comment: str) -> str | None:
    if approval_needs_comment(status=status, evidence_count=evidence_count) and not comment.strip():
        return "A comment is required to approve it: say why it is acceptable without evidence."
    return None


def why_no_changes_request(*, review_state: str) -> str | None:
    if review_state not in (ReviewState.SUBMITTED, ReviewState.APPROVED):
        return (
            f"This answer is {ReviewState(review_state).label.lower()}; "
            "changes can be requested on an answer awaiting review or approved."
        )
    return None


def review_comment_problem(*, requesting_changes: bool, comment: str) -> str | None:
    if requesting_changes and not comment.strip():
        return "Say what needs to change: a comment is required."
    return None


# --- Obligations ---------------------------------------------------------------------------
# A completed occurrence is done at once, except a key rotation, which a second person confirms
# (four-eyes, as for answers). Once done, an occurrence never changes. Problems about one thing
# the person typed come as {field: sentence}, so a form shows each next to its field.

CONFIRMED_BY_ANOTHER = frozenset({ObligationKind.KEY_ROTATION})


def needs_confirmation(kind: str) -> bool:
    return kind in CONFIRMED_BY_ANOTHER


def obligation_retired(*, retired: bool) -> str | None:
    if retired:
        return "This obligation is retired: nothing more is due, so its occurrence stays as it is."
    return None


def occurrence_closed(*, done_on: date | None, completed: bool) -> str | None:
    if done_on is not None:
        return f"This occurrence was done on {done_on:%-d %B %Y}; a done occurrence never changes."
    if completed:
        return "This occurrence is completed and awaits confirmation by a second person."
    return None


def completion_problems(
    *,
    note: str,
    done_on: date,
    today: date,
    not_before: date | None,
    has_file: bool = False,
    file_description: str = "",
) -> dict[str, str]:
    """`not_before`: the day the obligation's previous occurrence was done, if any."""
    problems = {}
    if not note.strip():
        problems["note"] = "Say what was done: a note is required."
    if done_on > today:
        problems["done_on"] = "The day it was done cannot be in the future."
    elif not_before and done_on < not_before:
        problems["done_on"] = (
            f"The day it was done cannot be before the previous time ({not_before:%-d %B %Y})."
        )
    if has_file and not file_description.strip():
        problems["evidence_description"] = "Say what the file shows, in a sentence."
    return problems


def why_not_confirmable(
    *, completed_by_id: int | None, confirmer_id: int, done: bool
) -> str | None:
    if done:
        return "This occurrence is already done."
    if completed_by_id is None:
        return "Nothing to confirm: the occurrence has not been completed."
    if completed_by_id == confirmer_id:
        return "You completed this occurrence, so another person must confirm it."
    return None


def send_back_problems(*, comment: str) -> dict[str, str]:
    if not comment.strip():
        return {"comment": "Say what is missing: a comment is required."}
    return {}


def due_move_problems(
    *, due_on: date | None, reason: str, current_due_on: date, today: date
) -> dict[str, str]:
    problems = {}
    if due_on is None:
        problems["due_on"] = "Give the new due date."
    elif due_on == current_due_on:
        problems["due_on"] = "That is already the due date."
    elif due_on < today:
        problems["due_on"] = "The new due date cannot be in the past."
    if not reason.strip():
        problems["reason"] = "Say why the due date moves: a reason is required."
    return problems


def retire_problems(*, reason: str, retired: bool) -> dict[str, str]:
    if retired:
        return {"__all__": "This obligation is already retired."}
    if not reason.strip():
        return {"reason": "Say why the obligation no longer applies."}
    return {}
