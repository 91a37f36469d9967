"""Answering controls: saving an answer, submitting it for review, splitting a group."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from checklists import rules
from checklists.models import Attestation, ReviewState
from checklists.services.common import (
    locked,
    new_version,
    plain,
    refuse,
    refuse_if_covered,
    refuse_secrets_by_field,
)
from portal.accounts.permissions import has_team_perm, team_member_ids
from portal.audit import services as audit

# What a reviewer approves; owner and due date only organise the work.
ANSWER_FIELDS = ("status", "statement", "justification")
ASSIGNMENT_FIELDS = ("owner", "due_date")


def covered_refs(attestation: Attestation) -> list[str]:
    """The controls this answer also stands for, in catalog order."""
    return list(
        attestation.covers.order_by("control__source__slug", "control__position").values_list(
            "control__ref", flat=True
        )
    )


def attestation_save(
    *,
    attestation: Attestation,
    by,
    status: str,
    statement: str,
    justification: str = "",
    owner=None,
    due_date: date | None = None,
    addresses_all: bool = False,
    expected_version: int,
) -> Attestation:
    """Save the answer. Changing status, statement or justification makes a new version (and
    sends an approved answer back to review); owner and due date alone do not."""
    refuse_secrets_by_field(statement=statement, justification=justification)
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        _save(
            attestation,
            by=by,
            answer={
                "status": status,
                "statement": statement.strip(),
                "justification": justification.strip(),
            },
            assignment={"owner": owner, "due_date": due_date},
            addresses_all=addresses_all,
        )
    return attestation


def _save(attestation: Attestation, *, by, answer: dict, assignment: dict, addresses_all: bool):
    """Apply the form's content to the locked answer; return the audit changes (or {})."""
    refuse_if_covered(attestation)
    team = attestation.checklist.team
    covers = covered_refs(attestation)
    owner = assignment["owner"]
    refuse(
        fields={
            **rules.answer_field_problems(
                **answer, covered_refs=covers, addresses_all=addresses_all
            ),
            "owner": rules.owner_problem(
                current_owner_id=attestation.owner_id,
                new_owner_id=owner.pk if owner else None,
                may_assign=has_team_perm(by, "manage_team", team),
                team_member_ids=team_member_ids(team),
            ),
        }
    )
    new = answer | assignment
    changes = {
        name: audit.change(plain(getattr(attestation, name)), plain(value))
        for name, value in new.items()
        if getattr(attestation, name) != value
    }
    if not changes:
        return {}
    for name, value in new.items():
        setattr(attestation, name, value)
    if not set(changes) & set(ANSWER_FIELDS):
        attestation.save(update_fields=ASSIGNMENT_FIELDS)
        audit.record(
            "checklists.attestation.assigned",
            actor=by,
            obj=attestation,
            team=team,
            changes=changes,
        )
        return changes
    attestation.attested_by, attestation.attested_at = by, timezone.now()
    changes |= new_version(attestation, by=by, changed=list(changes))
    if covers:
        changes["stands_for"] = covers
    audit.record(
        "checklists.attestation.changed",
        actor=by,
        obj=attestation,
        team=team,
        changes={**changes, "version": attestation.version},
    )
    return changes


def attestation_submit(
    *, attestation: Attestation, by, expected_version: int, answer: dict | None = None
) -> Attestation:
    """Send the answer to the reviewers. With `answer` (the form's fields), what was typed is
    saved first, in the same transaction: submitting never drops an edit."""
    if answer:
        refuse_secrets_by_field(
            statement=answer["statement"], justification=answer["justification"]
        )
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        if answer:
            changes = _save(
                attestation,
                by=by,
                answer={
                    "status": answer["status"],
                    "statement": answer["statement"].strip(),
                    "justification": answer["justification"].strip(),
                },
                assignment={"owner": answer["owner"], "due_date": answer["due_date"]},
                addresses_all=answer.get("addresses_all", False),
            )
            if changes.get("review_state", {}).get("to") == ReviewState.SUBMITTED:
                return attestation  # the change itself sent the approved answer back to review
        else:  # nothing typed: the stored answer must still pass the rules
            refuse_if_covered(attestation)
            refuse(
                *rules.answer_problems(
                    status=attestation.status,
                    statement=attestation.statement,
                    justification=attestation.justification,
                    covered_refs=covered_refs(attestation),
                    # A stored group answer was confirmed for these very controls when it was
                    # saved, or copied from an answer that stood for all of them.
                    addresses_all=True,
                )
            )
        refuse_if_covered(attestation)
        refuse(
            rules.why_not_submittable(
                status=attestation.status,
                review_state=attestation.review_state,
                next_review_due=attestation.next_review_due,
                today=timezone.localdate(),
            )
        )
        attestation.review_state = ReviewState.SUBMITTED
        attestation.submitted_at = timezone.now()
        attestation.save(update_fields=("review_state", "submitted_at"))
        audit.record(
            "checklists.attestation.submitted",
            actor=by,
            obj=attestation,
            team=attestation.checklist.team,
            changes={"version": attestation.version},
        )
    return attestation


def group_answer_separately(*, attestation: Attestation, by, expected_version: int) -> list[str]:
    """Stop answering an equivalence group once in this checklist: every member gets its own
    answer (needed, for one, when a member does not apply). Returns the released refs."""
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        refuse_if_covered(attestation)
        released = covered_refs(attestation)
        refuse(None if released else "This answer does not stand for any other control.")
        attestation.covers.update(satisfied_through=None)
        audit.record(
            "checklists.attestation.group_split",
            actor=by,
            obj=attestation,
            team=attestation.checklist.team,
            changes={"answered_separately": released},
        )
    return released
