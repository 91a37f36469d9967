"""Access-review decisions and completion: decide on each account, keep many at once, confirm
revocations and role changes carried out, and complete the campaign.

Every decision is appended to the entry's history (AccessDecision) and becomes its current
decision. A campaign moves from in review to pending actions once every entry is decided;
decisions can still be revised there, unless the revocation or role change was carried out.
Completion seals the result (the roster's hash and every decision) and completes the open
occurrence of the team's access-review obligation the campaign keeps.

The rules are in `checklists.access_rules`. Decisions lock the campaign row first, then the
entry, so the last decision of a campaign and a completion never pass each other.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from checklists import access_rules as rules
from checklists.models import Occurrence
from checklists.models.access_reviews import (
    AccessDecision,
    AccessDecisionKind,
    AccessEntry,
    AccessReview,
    CampaignState,
    EntryChange,
)
from checklists.services import obligations
from checklists.services.common import refuse, refuse_secrets_by_field
from portal.accounts.permissions import decision_refusal
from portal.audit import services as audit
from portal.audit.chain import canonical_dumps


def _lock_review(review: AccessReview) -> AccessReview:
    return (
        AccessReview.objects.select_for_update(of=("self",), no_key=True)
        .select_related("team", "obligation")
        .get(pk=review.pk)
    )


def _lock_entry(entry: AccessEntry) -> AccessEntry:
    return AccessEntry.objects.select_for_update(of=("self",), no_key=True).get(pk=entry.pk)


def _moved_on(review: AccessReview, by) -> list[audit.Entry]:
    """Move a campaign in review to pending actions once nothing is left undecided."""
    if review.state != CampaignState.IN_REVIEW or review.entries.filter(decision="").exists():
        return []
    review.state = CampaignState.PENDING_ACTIONS
    review.save(update_fields=["state"])
    return [
        audit.Entry(
            "checklists.access_review.all_decided",
            actor=by,
            obj=review,
            team=review.team,
            changes={
                "state": audit.change(CampaignState.IN_REVIEW, CampaignState.PENDING_ACTIONS),
                "actions_open": review.entries.filter(rules.action_open_q()).count(),
            },
        )
    ]


def _decided(entry: AccessEntry, *, by, decision: str, new_role: str, reason: str, when):
    """Set the entry's current decision and append it to the history (not saved)."""
    entry.decision = decision
    entry.new_role = new_role
    entry.reason = reason
    entry.decided_by = by
    entry.decided_at = when
    return AccessDecision(
        entry=entry, decision=decision, new_role=new_role, reason=reason, by=by, at=when
    )


def entry_decide(
    *, entry: AccessEntry, by, decision: str, new_role: str = "", reason: str = ""
) -> AccessEntry:
    """Decide (or decide again) on one account of a campaign in review or pending actions."""
    refuse(decision_refusal(by))
    new_role, reason = new_role.strip(), reason.strip()
    refuse_secrets_by_field(new_role=new_role, reason=reason)
    with transaction.atomic():
        review = _lock_review(entry.review)
        entry = _lock_entry(entry)
        entry.review = review
        refuse(rules.why_not_decidable(state=review.state, decider=by, entry=entry))
        refuse(
            fields=rules.decision_problems(
                decision=decision,
                new_role=new_role,
                reason=reason,
                flagged=entry.flagged,
                change=entry.change,
                role=entry.role,
            )
        )
        before = entry.decision
        history = _decided(
            entry,
            by=by,
            decision=decision,
            new_role=new_role,
            reason=reason,
            when=timezone.now(),
        )
        entry.save(update_fields=["decision", "new_role", "reason", "decided_by", "decided_at"])
        history.save()
        entries = [
            audit.Entry(
                "checklists.access_entry.decided",
                actor=by,
                obj=entry,
                team=review.team,
                changes={
                    "review": review.pk,
                    "decision": audit.change(before or None, decision),
                    "new_role": new_role or None,
                    "change": entry.change,
                    "flags": rules.flags_of(entry),
                },
                reason=reason,
            )
        ]
        entries += _moved_on(review, by)
        audit.record_many(entries)
    return entry


def bulk_keepable(review: AccessReview, by) -> QuerySet[AccessEntry]:
    """The entries a person may keep at once: unflagged, unchanged since the last campaign,
    undecided, and not their own account."""
    return review.entries.filter(
        rules.keepable_in_bulk_q(email=by.email or "", username=by.get_username())
    ).order_by("account")


def entries_keep_bulk(*, review: AccessReview, by, entry_ids: Iterable[int]) -> list[AccessEntry]:
    """Keep the listed entries that may still be kept at once (others are left as they are).
    Returns those kept."""
    refuse(decision_refusal(by))
    entry_ids = list(entry_ids)
    with transaction.atomic():
        review = _lock_review(review)
        refuse(rules.why_closed(review.state))
        kept = list(
            bulk_keepable(review, by)
            .filter(pk__in=entry_ids)
            .select_for_update(of=("self",), no_key=True)
        )
        if not kept:
            refuse(
                "None of these entries can be kept at once any more: they were decided, or "
                "need a decision of their own."
            )
        now = timezone.now()
        history = [
            _decided(
                entry, by=by, decision=AccessDecisionKind.KEEP, new_role="", reason="", when=now
            )
            for entry in kept
        ]
        AccessEntry.objects.bulk_update(
            kept, ["decision", "new_role", "reason", "decided_by", "decided_at"]
        )
        AccessDecision.objects.bulk_create(history)
        entries = [
            audit.Entry(
                "checklists.access_entry.decided",
                actor=by,
                obj=entry,
                team=review.team,
                changes={
                    "review": review.pk,
                    "decision": audit.change(None, AccessDecisionKind.KEEP),
                    "change": entry.change,
                    "bulk": True,
                },
            )
            for entry in kept
        ]
        entries += _moved_on(review, by)
        audit.record_many(entries)
    return kept


def entry_action_done(*, entry: AccessEntry, by, note: str) -> AccessEntry:
    """A lead confirms the revocation or role change was carried out on the system."""
    refuse(decision_refusal(by))
    note = note.strip()
    refuse(fields={"note": None if note else "Say what was done on the system, and when."})
    refuse_secrets_by_field(note=note)
    with transaction.atomic():
        review = _lock_review(entry.review)
        entry = _lock_entry(entry)
        refuse(
            rules.why_no_action(
                state=review.state,
                decision=entry.decision,
                change=entry.change,
                done=entry.action_done_at is not None,
            )
        )
        entry.action_done_by = by
        entry.action_done_at = timezone.now()
        entry.action_note = note
        entry.save(update_fields=["action_done_by", "action_done_at", "action_note"])
        audit.record(
            "checklists.access_entry.action_done",
            actor=by,
            obj=entry,
            team=review.team,
            changes={
                "review": review.pk,
                "decision": entry.decision,
                "new_role": entry.new_role or None,
            },
            reason=note,
        )
    return entry


def result_sha256(result: Mapping) -> str:
    """The SHA-256 of a completed campaign's result, as canonical JSON."""
    return hashlib.sha256(canonical_dumps(result)).hexdigest()


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def _counts(entries: list[AccessEntry]) -> dict[str, int]:
    decisions = Counter(entry.decision for entry in entries)
    changes = Counter(entry.change for entry in entries)
    return {
        "entries": len(entries),
        "keep": decisions[AccessDecisionKind.KEEP],
        "change_role": decisions[AccessDecisionKind.CHANGE_ROLE],
        "revoke": decisions[AccessDecisionKind.REVOKE],
        "flagged": sum(entry.flagged for entry in entries),
        "new": changes[EntryChange.NEW],
        "unchanged": changes[EntryChange.UNCHANGED],
        "role_changed": changes[EntryChange.ROLE_CHANGED],
        "removed": changes[EntryChange.REMOVED],
    }


def describe_counts(counts: Mapping[str, int]) -> str:
    return (
        f"{counts['entries']} account{'' if counts['entries'] == 1 else 's'}: "
        f"{counts['keep']} kept, {counts['change_role']} role "
        f"change{'' if counts['change_role'] == 1 else 's'}, {counts['revoke']} revoked; "
        f"{counts['flagged']} flagged, {counts['new']} new, {counts['removed']} removed."
    )


def _result(review: AccessReview, entries: list[AccessEntry]) -> dict:
    return {
        "roster_sha256": review.roster_sha256,
        "roster_name": review.roster_name,
        "period": review.period,
        "system": review.system,
        "counts": _counts(entries),
        "decisions": [
            {
                "account": entry.account,
                "change": entry.change,
                "flags": rules.flags_of(entry),
                "decision": entry.decision,
                "new_role": entry.new_role,
                "reason": entry.reason,
                "decided_by": entry.decided_by.get_username() if entry.decided_by else None,
                "decided_at": _when(entry.decided_at),
                "action_done_by": entry.action_done_by.get_username()
                if entry.action_done_by
                else None,
                "action_done_at": _when(entry.action_done_at),
            }
            for entry in entries
        ],
    }


def access_review_complete(*, review: AccessReview, by) -> AccessReview:
    """Seal the campaign's result and complete the open occurrence of its obligation."""
    refuse(decision_refusal(by))
    with transaction.atomic():
        review = _lock_review(review)
        entries = list(
            review.entries.select_for_update(of=("self",), no_key=True)
            .select_related("decided_by", "action_done_by")
            .order_by("account")
        )
        refuse(
            rules.why_not_completable(
                state=review.state,
                undecided=sum(not entry.decision for entry in entries),
                actions_open=sum(
                    rules.needs_action(decision=entry.decision, change=entry.change)
                    and entry.action_done_at is None
                    for entry in entries
                ),
                completer_id=by.pk,
                importer_id=review.imported_by_id,
                decider_ids={entry.decided_by_id for entry in entries},
            )
        )
        occurrence = (
            Occurrence.objects.filter(obligation=review.obligation, done_at__isnull=True)
            .order_by("due_on", "pk")
            .first()
        )
        if occurrence is None:
            refuse(
                f"The obligation “{review.obligation.title}” has no open occurrence to complete."
            )
        result = _result(review, entries)
        digest = result_sha256(result)
        counts = result["counts"]
        obligations.occurrence_complete(
            occurrence=occurrence,
            by=by,
            note=(
                f"Access review of {review.system} for {review.period} completed: "
                f"{describe_counts(counts)}"
            ),
        )
        review.result = result
        review.state = CampaignState.COMPLETED
        review.completed_by = by
        review.completed_at = timezone.now()
        review.occurrence = occurrence
        review.save(update_fields=["result", "state", "completed_by", "completed_at", "occurrence"])
        audit.record(
            "checklists.access_review.completed",
            actor=by,
            obj=review,
            team=review.team,
            changes={
                "state": audit.change(CampaignState.PENDING_ACTIONS, CampaignState.COMPLETED),
                "result_sha256": digest,
                "roster_sha256": review.roster_sha256,
                "occurrence": occurrence.pk,
                **counts,
            },
        )
    return review


# --- What the pages read -------------------------------------------------------------------

SECTIONS = (
    (EntryChange.REMOVED, "Removed since the last review"),
    (EntryChange.NEW, "New since the last review"),
    (EntryChange.ROLE_CHANGED, "Role changed since the last review"),
    (EntryChange.UNCHANGED, "Unchanged"),
)


def with_progress(reviews: QuerySet[AccessReview]) -> QuerySet[AccessReview]:
    """Campaigns with `entry_count`, `decided_count`, `action_count` (revocations and role
    changes to carry out) and `actions_done_count`."""
    actions = rules.needs_action_q("entries__")
    return reviews.annotate(
        entry_count=Count("entries", distinct=True),
        decided_count=Count("entries", filter=~Q(entries__decision=""), distinct=True),
        action_count=Count("entries", filter=actions, distinct=True),
        actions_done_count=Count(
            "entries", filter=actions & Q(entries__action_done_at__isnull=False), distinct=True
        ),
    )


def campaign_entries(review: AccessReview) -> list[AccessEntry]:
    """The campaign's entries with who decided and their decision history: three queries."""
    return list(
        review.entries.select_related("decided_by", "action_done_by")
        .prefetch_related(
            Prefetch("decisions", queryset=AccessDecision.objects.select_related("by"))
        )
        .order_by("account")
    )


def undecided_count(review: AccessReview) -> int:
    return review.entries.filter(decision="").count()
