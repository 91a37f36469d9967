"""Rules of access-review decisions and completion, as pure functions: each returns a sentence
for the person who asked (or None, or sentences keyed by the field they are about), never
touching rows.

A decision on an account:

- keep: the account stays as it is. A reason is needed only when the account is flagged
  (shared, dormant, privileged without MFA, nobody of the team).
- change-role: the account stays with another role, named and different from its current one;
  a reason is needed. A lead confirms once the role was changed on the system.
- revoke: the account goes; a reason is needed. A lead confirms once it was removed.

An account marked removed (in the last completed campaign, gone from this roster) can only be
decided "revoke", which here means "confirmed gone": the roster already shows it removed, so
there is nothing left to carry out and no reason is needed unless it is flagged.

Nobody decides on their own account (matched by e-mail, case-insensitively, or by the account
name equal to their username). The person who imported the roster cannot complete a campaign
in which they took every decision: a second person must decide at least one entry, or complete.
"""

from django.db.models import Q

from checklists.models.access_reviews import AccessDecisionKind, CampaignState, EntryChange

DECIDABLE_STATES = frozenset({CampaignState.IN_REVIEW, CampaignState.PENDING_ACTIONS})
# Decisions a lead must carry out on the system (and confirm), unless the account is removed.
ACTIONS = frozenset({AccessDecisionKind.CHANGE_ROLE, AccessDecisionKind.REVOKE})

FLAG_LABELS = {
    "shared": "Shared or generic account",
    "dormant": "Dormant: no login for 90 days",
    "privileged_without_mfa": "Privileged without MFA",
    "not_a_member": "Nobody of the team by e-mail",
}


def flags_of(entry) -> list[str]:
    """The names of the entry's flags, in a fixed order."""
    return [name for name in FLAG_LABELS if getattr(entry, name)]


def decision_problems(
    *,
    decision: str,
    new_role: str,
    reason: str,
    flagged: bool,
    change: str,
    role: str = "",
) -> dict[str, str]:
    """What is wrong with a decision, keyed by the field it is about (empty when it stands)."""
    problems: dict[str, str] = {}
    if decision not in AccessDecisionKind.values:
        return {"decision": "Choose keep, change role or revoke."}
    removed = change == EntryChange.REMOVED
    if removed and decision != AccessDecisionKind.REVOKE:
        problems["decision"] = (
            "The account is gone from the roster: decide “revoke” to confirm it is gone. If it "
            "still exists on the system, the roster is incomplete: import it again."
        )
    if decision == AccessDecisionKind.CHANGE_ROLE:
        if not new_role.strip():
            problems["new_role"] = "Name the role the account should have."
        elif new_role.strip().casefold() == role.strip().casefold():
            problems["new_role"] = f"The account already has the role “{role.strip()}”."
    elif new_role.strip():
        problems["new_role"] = "Leave the new role empty unless the decision is to change it."
    if not reason.strip():
        if flagged:
            problems["reason"] = "The account is flagged: say why this decision is right."
        elif decision == AccessDecisionKind.REVOKE and not removed:
            problems["reason"] = "Say why the access is revoked."
        elif decision == AccessDecisionKind.CHANGE_ROLE:
            problems["reason"] = "Say why the role changes."
    return problems


def is_own_account(*, entry_email: str, entry_account: str, email: str, username: str) -> bool:
    """The entry is the person's own account: same e-mail (any case), or named as they are."""
    if email.strip() and entry_email.strip().casefold() == email.strip().casefold():
        return True
    return bool(username) and entry_account.strip().casefold() == username.strip().casefold()


def own_account_q(*, email: str, username: str, prefix: str = "") -> Q:
    """`is_own_account` as a filter on entries."""
    q = Q(**{f"{prefix}account__iexact": username})
    if email.strip():
        q |= Q(**{f"{prefix}email__iexact": email.strip()})
    return q


def needs_action(*, decision: str, change: str) -> bool:
    """The decision must still be carried out on the system (and confirmed)."""
    return decision in ACTIONS and change != EntryChange.REMOVED


def needs_action_q(prefix: str = "") -> Q:
    """`needs_action` as a filter on entries."""
    return Q(
        **{
            f"{prefix}decision__in": sorted(ACTIONS),
            f"{prefix}change__in": [c for c in EntryChange.values if c != EntryChange.REMOVED],
        }
    )


def action_open_q(prefix: str = "") -> Q:
    """Entries whose revocation or role change is decided but not confirmed done."""
    return needs_action_q(prefix) & Q(**{f"{prefix}action_done_at__isnull": True})


def keepable_in_bulk(entry, *, email: str, username: str) -> bool:
    """Kept at once (after a confirmation): unflagged, unchanged since the last campaign,
    undecided, and not the person's own account. Its filter form is `keepable_in_bulk_q`."""
    return (
        not entry.flagged
        and entry.change == EntryChange.UNCHANGED
        and not entry.decision
        and not is_own_account(
            entry_email=entry.email, entry_account=entry.account, email=email, username=username
        )
    )


def keepable_in_bulk_q(*, email: str, username: str) -> Q:
    return (
        unflagged_q()
        & Q(change=EntryChange.UNCHANGED, decision="")
        & ~own_account_q(email=email, username=username)
    )


def unflagged_q(prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}shared": False,
            f"{prefix}dormant": False,
            f"{prefix}privileged_without_mfa": False,
            f"{prefix}not_a_member": False,
        }
    )


def why_closed(state: str) -> str | None:
    """Why nothing can be decided or done on a campaign in this state (None when it can)."""
    if state == CampaignState.DRAFT:
        return "The review has not started: its roster can still change."
    if state == CampaignState.COMPLETED:
        return "The review is completed: its decisions are sealed."
    return None


def why_not_decidable(*, state: str, decider, entry) -> str | None:
    """Why this person may not decide on this entry now (None when they may)."""
    problem = why_closed(state)
    if problem:
        return problem
    if is_own_account(
        entry_email=entry.email,
        entry_account=entry.account,
        email=decider.email or "",
        username=decider.get_username(),
    ):
        return "This is your own account: someone else must decide on it."
    if entry.action_done_at is not None:
        return (
            "The decision was already carried out on the system: it can no longer be changed. "
            "Decide it again in the next review."
        )
    return None


def why_no_action(*, state: str, decision: str, change: str, done: bool) -> str | None:
    """Why a revocation or role change cannot be confirmed done on this entry now."""
    problem = why_closed(state)
    if problem:
        return problem
    if done:
        return "It was already confirmed done."
    if decision not in ACTIONS:
        return "Only a revocation or a role change is carried out on the system."
    if change == EntryChange.REMOVED:
        return "The account is already gone from the roster: there is nothing to carry out."
    return None


def why_not_completable(
    *,
    state: str,
    undecided: int,
    actions_open: int,
    completer_id: int,
    importer_id: int | None,
    decider_ids,
) -> str | None:
    """Why the campaign cannot be completed now (None when it can)."""
    problem = why_closed(state)
    if problem:
        return problem
    if undecided:
        return f"{undecided} entr{'y is' if undecided == 1 else 'ies are'} still undecided."
    if state != CampaignState.PENDING_ACTIONS:
        return "Every entry must be decided first."
    if actions_open:
        return (
            f"{actions_open} revocation{'' if actions_open == 1 else 's'} or role "
            f"change{'' if actions_open == 1 else 's'} "
            f"{'is' if actions_open == 1 else 'are'} not confirmed done yet."
        )
    if (
        importer_id is not None
        and completer_id == importer_id
        and set(decider_ids) <= {importer_id}
    ):
        return (
            "You imported the roster and took every decision: another reviewer or lead must "
            "decide at least one entry, or complete the review."
        )
    return None
