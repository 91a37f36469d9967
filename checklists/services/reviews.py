"""Reviewers' decisions on answers: approve, request changes, approve in bulk."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from checklists import rules
from checklists.models import Attestation, Decision, ReviewDecision, ReviewState
from checklists.selectors.assessments import editors_of
from checklists.services import obligations
from checklists.services.common import locked, plain, refuse, refuse_secrets_by_field
from portal.accounts.permissions import decision_refusal
from portal.audit import services as audit


def _refuse_for(attestation: Attestation, problem: str | None) -> None:
    if problem:
        raise ValidationError(f"{attestation.control.ref}: {problem}")


def review_approve(
    *, attestation: Attestation, by, expected_version: int, comment: str = ""
) -> ReviewDecision:
    refuse(decision_refusal(by))
    refuse_secrets_by_field(comment=comment)
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        _refuse_for(
            attestation,
            rules.why_not_approvable(
                status=attestation.status,
                review_state=attestation.review_state,
                reviewer_id=by.pk,
                editor_ids=editors_of(attestation),
            ),
        )
        refuse(
            fields={
                "comment": rules.approval_comment_problem(
                    status=attestation.status,
                    evidence_count=attestation.evidence_links.filter(
                        withdrawn_at__isnull=True
                    ).count(),
                    comment=comment,
                )
            }
        )
        due = obligations.review_due_for(attestation)
        decision = _decide(
            attestation, by=by, decision=Decision.APPROVED, comment=comment, next_review_due=due
        )
    return decision


def review_request_changes(
    *, attestation: Attestation, by, comment: str, expected_version: int
) -> ReviewDecision:
    refuse(decision_refusal(by))
    refuse(
        fields={"comment": rules.review_comment_problem(requesting_changes=True, comment=comment)}
    )
    refuse_secrets_by_field(comment=comment)
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        _refuse_for(
            attestation, rules.why_no_changes_request(review_state=attestation.review_state)
        )
        decision = _decide(attestation, by=by, decision=Decision.CHANGES_REQUESTED, comment=comment)
    return decision


def _decide(
    attestation: Attestation,
    *,
    by,
    decision: str,
    comment: str,
    next_review_due: date | None = None,
) -> ReviewDecision:
    """Record a reviewer's decision on the locked attestation's current version."""
    approved = decision == Decision.APPROVED
    now = timezone.now()
    attestation.review_state = ReviewState.APPROVED if approved else ReviewState.CHANGES_REQUESTED
    attestation.approved_at = now if approved else None
    attestation.next_review_due = next_review_due
    attestation.save(update_fields=("review_state", "approved_at", "next_review_due"))
    audit.record(
        f"checklists.attestation.{'approved' if approved else 'changes_requested'}",
        actor=by,
        obj=attestation,
        team=attestation.checklist.team,
        changes={"version": attestation.version, "next_review_due": plain(next_review_due)},
        reason=comment.strip(),
    )
    return ReviewDecision.objects.create(
        attestation=attestation,
        version=attestation.version,
        decision=decision,
        comment=comment.strip(),
        reviewer=by,
        decided_at=now,
    )


def review_bulk_approve(
    *, attestations: Iterable[Attestation], by
) -> tuple[list[Attestation], list[tuple[Attestation, str]]]:
    """Approve each in its own transaction; returns (approved, [(refused, why)]). Answers whose
    approval needs a comment are refused here, as bulk approval carries none."""
    approved, refused = [], []
    for attestation in attestations:
        try:
            review_approve(attestation=attestation, by=by, expected_version=attestation.version)
        except ValidationError as error:
            refused.append((attestation, " ".join(error.messages)))
        else:
            approved.append(attestation)
    return approved, refused
