"""Deciding on the accounts of an access review: the rules, the history, bulk keep, and the
move to pending actions."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from checklists import access_rules as rules
from checklists.models.access_reviews import AccessDecision, AccessEntry, CampaignState
from checklists.services import access_decisions as services
from portal.audit.models import AuditEvent
from tests.checklists.access_reviews.campaigns import GITHUB, campaign, entry

DECISIONS = ("keep", "change-role", "revoke")
CHANGES = ("new", "unchanged", "role-changed", "removed")


def _expected(decision: str, flagged: bool, change: str, reason: bool, new_role: str) -> set:
    """What the rules should object to, written out from the product's rules."""
    fields = set()
    if change == "removed" and decision != "revoke":
        fields.add("decision")
    if decision == "change-role" and new_role in ("", "cashier"):
        fields.add("new_role")
    if decision != "change-role" and new_role:
        fields.add("new_role")
    needs_reason = (
        flagged or decision == "change-role" or (decision == "revoke" and change != "removed")
    )
    if needs_reason and not reason:
        fields.add("reason")
    return fields


def test_the_rules_over_every_combination():
    for decision, flagged, change, reason, new_role in itertools.product(
        DECISIONS, (False, True), CHANGES, (False, True), ("", "cashier", "supervisor")
    ):
        problems = rules.decision_problems(
            decision=decision,
            new_role=new_role,
            reason="Left the company in November." if reason else "  ",
            flagged=flagged,
            change=change,
            role="Cashier",
        )
        assert set(problems) == _expected(decision, flagged, change, reason, new_role), (
            decision,
            flagged,
            change,
            reason,
            new_role,
            problems,
        )
        assert all(text.endswith(".") for text in problems.values())


def test_an_unknown_decision_is_refused():
    assert rules.decision_problems(
        decision="delete", new_role="", reason="", flagged=False, change="new"
    ) == {"decision": "Choose keep, change role or revoke."}


def test_the_same_role_in_another_case_is_no_change():
    problems = rules.decision_problems(
        decision="change-role",
        new_role="CASHIER ",
        reason="x",
        flagged=False,
        change="new",
        role="cashier",
    )
    assert problems == {"new_role": "The account already has the role “cashier”."}


def test_nobody_decides_on_their_own_account_by_email_or_username(team, lead):
    review = campaign(team, by=lead)
    by_email = entry(review, "kasir-lead", email="LEAD@example.com")
    by_name = entry(review, "Lead", email="someone@merchant.example")
    for own in (by_email, by_name):
        with pytest.raises(ValidationError) as refused:
            services.entry_decide(entry=own, by=lead, decision="keep")
        assert refused.value.messages == [
            "This is your own account: someone else must decide on it."
        ]
        assert not AccessDecision.objects.filter(entry=own).exists()


def test_only_campaigns_in_review_or_pending_actions_are_decided(team, lead, reviewer):
    for state, open_ in (
        ("draft", False),
        ("in-review", True),
        ("pending-actions", True),
        ("completed", False),
    ):

        class Entry:
            email, account, action_done_at = "x@y.z", "x", None

        assert (rules.why_not_decidable(state=state, decider=reviewer, entry=Entry) is None) == (
            open_
        )


def test_three_decisions_make_three_rows_and_the_last_is_current(team, lead, reviewer):
    review = campaign(team, by=lead)
    one = entry(review, "kasir1", dormant=True)
    entry(review, "kasir2")
    services.entry_decide(entry=one, by=reviewer, decision="keep", reason="On leave.")
    services.entry_decide(
        entry=one, by=lead, decision="change-role", new_role="viewer", reason="Back part-time."
    )
    services.entry_decide(entry=one, by=reviewer, decision="revoke", reason="Gone for good.")
    one.refresh_from_db()
    history = list(one.decisions.values_list("decision", "by__username", "reason"))
    assert history == [
        ("keep", "reviewer", "On leave."),
        ("change-role", "lead", "Back part-time."),
        ("revoke", "reviewer", "Gone for good."),
    ]
    assert (one.decision, one.new_role, one.reason, one.decided_by) == (
        "revoke",
        "",
        "Gone for good.",
        reviewer,
    )
    assert AuditEvent.objects.filter(action="checklists.access_entry.decided").count() == 3
    review.refresh_from_db()
    assert review.state == CampaignState.IN_REVIEW


def test_a_refused_decision_changes_nothing_and_names_its_field(team, lead, reviewer):
    review = campaign(team, by=lead)
    one = entry(review, "kasir1")
    with pytest.raises(ValidationError) as refused:
        services.entry_decide(entry=one, by=reviewer, decision="revoke")
    assert refused.value.message_dict == {"reason": ["Say why the access is revoked."]}
    with pytest.raises(ValidationError) as refused:
        services.entry_decide(entry=one, by=reviewer, decision="revoke", reason=GITHUB)
    assert list(refused.value.message_dict) == ["reason"]
    assert "GitHub" in refused.value.message_dict["reason"][0]
    one.refresh_from_db()
    assert one.decision == "" and not one.decisions.exists()


def test_pending_actions_once_every_entry_is_decided(team, lead, reviewer):
    review = campaign(team, by=lead)
    first, second = entry(review, "kasir1"), entry(review, "kasir2")
    services.entry_decide(entry=first, by=reviewer, decision="keep")
    review.refresh_from_db()
    assert review.state == CampaignState.IN_REVIEW
    services.entry_decide(entry=second, by=reviewer, decision="revoke", reason="Left.")
    review.refresh_from_db()
    assert review.state == CampaignState.PENDING_ACTIONS
    assert AuditEvent.objects.filter(action="checklists.access_review.all_decided").count() == 1
    # Still revisable while pending actions, and the state stays.
    services.entry_decide(entry=first, by=lead, decision="revoke", reason="Duplicate account.")
    review.refresh_from_db()
    assert review.state == CampaignState.PENDING_ACTIONS


def test_a_decision_carried_out_cannot_be_changed(team, lead, reviewer):
    review = campaign(team, by=lead)
    one = entry(review, "kasir1")
    services.entry_decide(entry=one, by=reviewer, decision="revoke", reason="Left.")
    with pytest.raises(ValidationError) as refused:
        services.entry_action_done(entry=one, by=lead, note="  ")
    assert refused.value.message_dict == {"note": ["Say what was done on the system, and when."]}
    services.entry_action_done(entry=one, by=lead, note="Removed on the dashboard, OPS-1.")
    with pytest.raises(ValidationError) as refused:
        services.entry_decide(entry=one, by=reviewer, decision="keep")
    assert "already carried out" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        services.entry_action_done(entry=one, by=lead, note="Again.")


def test_a_keep_needs_no_action(team, lead, reviewer):
    review = campaign(team, by=lead)
    one = entry(review, "kasir1")
    services.entry_decide(entry=one, by=reviewer, decision="keep")
    with pytest.raises(ValidationError) as refused:
        services.entry_action_done(entry=one, by=lead, note="Nothing.")
    assert refused.value.messages == [
        "Only a revocation or a role change is carried out on the system."
    ]


def test_bulk_keep_takes_only_unflagged_unchanged_undecided_entries_not_ones_own(
    team, lead, reviewer
):
    review = campaign(team, by=lead)
    plain = entry(review, "kasir1")
    other_plain = entry(review, "kasir2")
    flagged = entry(review, "kasir3", privileged_without_mfa=True)
    new = entry(review, "kasir4", change="new")
    decided = entry(review, "kasir5")
    services.entry_decide(entry=decided, by=lead, decision="revoke", reason="Left.")
    own = entry(review, "reviewer", email="elsewhere@merchant.example")
    keepable = list(services.bulk_keepable(review, reviewer))
    assert keepable == [plain, other_plain]
    asked = [e.pk for e in (plain, other_plain, flagged, new, decided, own)]
    events_before = AuditEvent.objects.count()
    kept = services.entries_keep_bulk(review=review, by=reviewer, entry_ids=asked)
    assert sorted(e.account for e in kept) == ["kasir1", "kasir2"]
    rows = {e.account: e for e in AccessEntry.objects.filter(review=review)}
    assert rows["kasir1"].decision == "keep" and rows["kasir1"].decided_by == reviewer
    assert rows["kasir3"].decision == rows["kasir4"].decision == rows["reviewer"].decision == ""
    assert rows["kasir5"].decision == "revoke"
    assert AccessDecision.objects.filter(entry__review=review, decision="keep").count() == 2
    assert AuditEvent.objects.count() == events_before + 2
    with pytest.raises(ValidationError) as refused:
        services.entries_keep_bulk(review=review, by=reviewer, entry_ids=asked)
    assert "None of these entries can be kept at once" in refused.value.messages[0]


def test_bulk_keep_of_the_last_entries_moves_to_pending_actions(team, lead, reviewer):
    review = campaign(team, by=lead)
    entries = [entry(review, f"kasir{n}") for n in range(3)]
    services.entries_keep_bulk(review=review, by=reviewer, entry_ids=[e.pk for e in entries])
    review.refresh_from_db()
    assert review.state == CampaignState.PENDING_ACTIONS


def test_who_may_be_kept_in_bulk_reads_the_same_row_by_row_and_as_a_filter(team, lead, reviewer):
    from itertools import product

    from checklists import access_rules
    from checklists.services.access_decisions import bulk_keepable

    review = campaign(team, by=lead)
    combinations = list(
        product((False, True), ("unchanged", "new", "role-changed"), ("", "keep"), (False, True))
    )
    for number, (flagged, change, decision, own) in enumerate(combinations):
        entry(
            review,
            f"account{number:02}",
            shared=flagged,
            change=change,
            decision=decision,
            decided_by=reviewer if decision else None,
            email=reviewer.email if own else f"account{number:02}@merchant.example",
        )
    filtered = set(bulk_keepable(review, reviewer).values_list("account", flat=True))
    row_by_row = {
        item.account
        for item in review.entries.all()
        if access_rules.keepable_in_bulk(
            item, email=reviewer.email, username=reviewer.get_username()
        )
    }
    assert filtered == row_by_row
    assert len(filtered) == 1  # unflagged, unchanged, undecided and not the reviewer's own
