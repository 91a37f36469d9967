"""Completing an access review: only once everything is decided and carried out, never by the
importer alone, sealing the result and completing the obligation's occurrence."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from checklists import access_rules as rules
from checklists.models import Occurrence
from checklists.models.access_reviews import CampaignState
from checklists.services import access_decisions as services
from checklists.services.obligations import obligation_retire
from portal.audit.models import AuditEvent
from tests.checklists.access_reviews.campaigns import ROSTER_SHA256, campaign, entry
from tests.checklists.obligations.helpers import frozen

DAY = date(2026, 12, 2)


@pytest.fixture
def today(db):
    with frozen(DAY):
        yield DAY


def _complete_refusal(review, by) -> str:
    with pytest.raises(ValidationError) as refused:
        services.access_review_complete(review=review, by=by)
    return refused.value.messages[0]


def test_the_completion_rules():
    ask = {
        "state": "pending-actions",
        "undecided": 0,
        "actions_open": 0,
        "completer_id": 1,
        "importer_id": 1,
        "decider_ids": {1, 2},
    }
    assert rules.why_not_completable(**ask) is None
    assert "not started" in rules.why_not_completable(**{**ask, "state": "draft"})
    assert "completed" in rules.why_not_completable(**{**ask, "state": "completed"})
    assert rules.why_not_completable(**{**ask, "state": "in-review", "undecided": 1}) == (
        "1 entry is still undecided."
    )
    assert rules.why_not_completable(**{**ask, "actions_open": 2}) == (
        "2 revocations or role changes are not confirmed done yet."
    )
    assert "imported the roster" in rules.why_not_completable(**{**ask, "decider_ids": {1}})
    assert rules.why_not_completable(**{**ask, "decider_ids": {1}, "completer_id": 3}) is None


def test_completion_waits_for_every_decision_and_every_action(today, team, lead, reviewer):
    review = campaign(team, by=lead)
    kept = entry(review, "kasir1")
    revoked = entry(review, "kasir2", dormant=True, last_login=DAY - timedelta(days=200))
    services.entry_decide(entry=kept, by=reviewer, decision="keep")
    assert _complete_refusal(review, lead) == "1 entry is still undecided."
    services.entry_decide(entry=revoked, by=reviewer, decision="revoke", reason="Dormant.")
    assert _complete_refusal(review, lead) == (
        "1 revocation or role change is not confirmed done yet."
    )
    review.refresh_from_db()
    assert review.state == CampaignState.PENDING_ACTIONS and review.result is None
    services.entry_action_done(entry=revoked, by=lead, note="Removed, ticket OPS-7.")
    services.access_review_complete(review=review, by=lead)
    review.refresh_from_db()
    assert review.state == CampaignState.COMPLETED


def test_completion_seals_the_result_and_completes_the_occurrence(today, team, lead, reviewer):
    review = campaign(team, by=lead)
    occurrence = review.obligation.occurrences.get(done_at__isnull=True)
    entry(review, "kasir1")
    changed = entry(review, "kasir2", change="role-changed", previous_role="viewer")
    gone = entry(review, "kasir3", change="removed")
    services.entries_keep_bulk(
        review=review, by=reviewer, entry_ids=list(review.entries.values_list("pk", flat=True))
    )
    services.entry_decide(
        entry=changed, by=reviewer, decision="change-role", new_role="viewer", reason="Back."
    )
    services.entry_decide(entry=gone, by=reviewer, decision="revoke")
    services.entry_action_done(entry=changed, by=lead, note="Role set back, OPS-9.")

    services.access_review_complete(review=review, by=lead)

    review.refresh_from_db()
    assert (review.state, review.completed_by, review.occurrence) == (
        CampaignState.COMPLETED,
        lead,
        occurrence,
    )
    result = review.result
    assert result["roster_sha256"] == ROSTER_SHA256
    assert result["roster_name"] == "codepay-users.csv"
    assert (result["system"], result["period"]) == ("CodePay merchant platform", "2026-Q4")
    assert result["counts"] == {
        "entries": 3,
        "keep": 1,
        "change_role": 1,
        "revoke": 1,
        "flagged": 0,
        "new": 0,
        "unchanged": 1,
        "role_changed": 1,
        "removed": 1,
    }
    by_account = {decision["account"]: decision for decision in result["decisions"]}
    assert list(by_account) == ["kasir1", "kasir2", "kasir3"]
    assert by_account["kasir2"] == {
        "account": "kasir2",
        "change": "role-changed",
        "flags": [],
        "decision": "change-role",
        "new_role": "viewer",
        "reason": "Back.",
        "decided_by": "reviewer",
        "decided_at": by_account["kasir2"]["decided_at"],
        "action_done_by": "lead",
        "action_done_at": by_account["kasir2"]["action_done_at"],
    }
    assert by_account["kasir2"]["decided_at"].startswith("2026-12-02T")
    assert by_account["kasir3"]["decision"] == "revoke"
    assert by_account["kasir3"]["action_done_by"] is None  # gone already: nothing to carry out

    occurrence.refresh_from_db()
    assert occurrence.done_at is not None and occurrence.completed_by == lead
    assert occurrence.note.startswith(
        "Access review of CodePay merchant platform for 2026-Q4 completed: 3 accounts"
    )
    following = Occurrence.objects.get(obligation=review.obligation, done_at__isnull=True)
    assert following.due_on > DAY

    event = AuditEvent.objects.get(action="checklists.access_review.completed")
    assert event.changes["result_sha256"] == services.result_sha256(result)
    assert event.changes["entries"] == 3 and event.changes["revoke"] == 1
    assert _complete_refusal(review, lead) == "The review is completed: its decisions are sealed."


def test_the_importer_alone_cannot_complete(today, team, lead, reviewer):
    review = campaign(team, by=lead, imported_by=lead)
    first, second = entry(review, "kasir1"), entry(review, "kasir2")
    services.entries_keep_bulk(review=review, by=lead, entry_ids=[first.pk, second.pk])
    assert "imported the roster and took every decision" in _complete_refusal(review, lead)
    review.refresh_from_db()
    assert review.state == CampaignState.PENDING_ACTIONS
    assert not AuditEvent.objects.filter(action="checklists.access_review.completed").exists()
    # Someone else completes it…
    services.access_review_complete(review=review, by=reviewer)
    review.refresh_from_db()
    assert review.state == CampaignState.COMPLETED


def test_the_importer_completes_with_another_persons_decisions(today, team, lead, reviewer):
    review = campaign(team, by=lead, imported_by=lead)
    first, second = entry(review, "kasir1"), entry(review, "kasir2")
    services.entry_decide(entry=first, by=lead, decision="keep")
    services.entry_decide(entry=second, by=reviewer, decision="keep")
    services.access_review_complete(review=review, by=lead)
    review.refresh_from_db()
    assert review.state == CampaignState.COMPLETED


def test_a_refused_completion_of_the_occurrence_leaves_nothing_half_done(
    today, team, lead, reviewer
):
    review = campaign(team, by=lead)
    one = entry(review, "kasir1")
    services.entry_decide(entry=one, by=reviewer, decision="keep")
    obligation_retire(obligation=review.obligation, by=lead, reason="Replaced.")
    with pytest.raises(ValidationError):
        services.access_review_complete(review=review, by=reviewer)
    review.refresh_from_db()
    assert review.state == CampaignState.PENDING_ACTIONS and review.result is None
