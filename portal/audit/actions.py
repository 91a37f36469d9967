"""What each recorded action is called on the audit pages, and which group it is filtered by.

The one registry of action labels: every dotted name that `portal.audit.services.record`
is given belongs here (tests/audit/test_action_labels.py finds the names in the code and
fails on one without a label). A name that is not here still reads: `label` humanises it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    key: str
    label: str


ANSWERS = Group("answers", "Answers")
REVIEWS = Group("reviews", "Reviews")
EVIDENCE = Group("evidence", "Evidence")
REPORTS = Group("reports", "Reports")
ACCOUNTS = Group("accounts", "Sign-in & accounts")
API = Group("api", "API tokens")
OBLIGATIONS = Group("obligations", "Obligations")
ACCESS_REVIEWS = Group("access-reviews", "Access reviews")
CREDENTIALS = Group("credentials", "Credentials")
INCIDENTS = Group("incidents", "Incidents & contacts")
REMINDERS = Group("reminders", "Reminders & calendar")
CATALOG = Group("catalog", "Control catalog")
AUDIT = Group("audit", "Audit trail")

# In the order the "What happened" filter offers them.
GROUPS = (
    ANSWERS,
    REVIEWS,
    EVIDENCE,
    REPORTS,
    ACCOUNTS,
    API,
    OBLIGATIONS,
    ACCESS_REVIEWS,
    CREDENTIALS,
    INCIDENTS,
    REMINDERS,
    CATALOG,
    AUDIT,
)

ACTIONS: dict[str, tuple[str, Group]] = {
    # Sign-in and accounts
    "accounts.login.succeeded": ("Signed in", ACCOUNTS),
    "accounts.login.failed": ("Sign-in failed", ACCOUNTS),
    "accounts.login.locked_out": ("Locked out after failed sign-ins", ACCOUNTS),
    "accounts.login.unlocked": ("Sign-in unlocked", ACCOUNTS),
    "accounts.logout": ("Signed out", ACCOUNTS),
    "accounts.user.created": ("Account created", ACCOUNTS),
    "accounts.user.changed": ("Account changed", ACCOUNTS),
    "accounts.user.deleted": ("Account deleted", ACCOUNTS),
    "accounts.user.access_changed": ("Account access changed", ACCOUNTS),
    "accounts.user.password_changed": ("Password changed", ACCOUNTS),
    "accounts.user.password_reset_requested": ("Password reset requested", ACCOUNTS),
    "accounts.user.password_reset_throttled": (
        "Password reset refused: too many requests",
        ACCOUNTS,
    ),
    "accounts.user.password_reset": ("Password reset", ACCOUNTS),
    "accounts.group.created": ("Group created", ACCOUNTS),
    "accounts.group.changed": ("Group changed", ACCOUNTS),
    "accounts.group.deleted": ("Group deleted", ACCOUNTS),
    "accounts.role.granted": ("Portal role granted", ACCOUNTS),
    "accounts.role.revoked": ("Portal role withdrawn", ACCOUNTS),
    "accounts.team.created": ("Team created", ACCOUNTS),
    "accounts.team.changed": ("Team changed", ACCOUNTS),
    "accounts.team.deleted": ("Team deleted", ACCOUNTS),
    "accounts.membership.added": ("Member added", ACCOUNTS),
    "accounts.membership.removed": ("Member removed", ACCOUNTS),
    "accounts.membership.role_changed": ("Member's role changed", ACCOUNTS),
    "accounts.invitation.created": ("Invitation sent", ACCOUNTS),
    "accounts.invitation.accepted": ("Invitation accepted", ACCOUNTS),
    "accounts.invitation.revoked": ("Invitation withdrawn", ACCOUNTS),
    "accounts.two_factor.enrolled": ("Two-factor sign-in set up", ACCOUNTS),
    "accounts.two_factor.failed": ("Two-factor code rejected", ACCOUNTS),
    "accounts.two_factor.backup_codes_regenerated": ("New backup codes made", ACCOUNTS),
    "accounts.two_factor.disabled": ("Two-factor sign-in turned off", ACCOUNTS),
    "accounts.two_factor.reset": ("Two-factor sign-in reset", ACCOUNTS),
    "api.token.created": ("API token created", API),
    "api.token.revoked": ("API token revoked", API),
    "api.token.used": ("API token used", API),
    "api.token.refused": ("API token refused", API),
    "api.service_account.created": ("Service account created", API),
    # Checklists and answers
    "checklists.checklist.created": ("Checklist created", ANSWERS),
    "checklists.attestation.assigned": ("Answer assigned", ANSWERS),
    "checklists.attestation.changed": ("Answer changed", ANSWERS),
    "checklists.attestation.copied": ("Answer carried over from the last period", ANSWERS),
    "checklists.attestation.group_split": ("Answer split from its group", ANSWERS),
    "checklists.attestation.submitted": ("Answer submitted for review", ANSWERS),
    # Reviews
    "checklists.attestation.approved": ("Answer approved", REVIEWS),
    "checklists.attestation.changes_requested": ("Changes requested on an answer", REVIEWS),
    # Evidence
    "checklists.evidence.added": ("Evidence attached", EVIDENCE),
    "checklists.evidence.stored": ("Evidence file stored", EVIDENCE),
    "checklists.evidence.downloaded": ("Evidence downloaded", EVIDENCE),
    "checklists.evidence.previewed": ("Evidence previewed", EVIDENCE),
    "checklists.evidence.unreadable": ("Evidence file found unreadable", EVIDENCE),
    "checklists.evidence.withdrawn": ("Evidence withdrawn", EVIDENCE),
    # Reports
    "checklists.report.requested": ("Report requested", REPORTS),
    "checklists.report.exported": ("Signed report produced", REPORTS),
    "checklists.report.failed": ("Report failed", REPORTS),
    "checklists.report.retried": ("Report tried again", REPORTS),
    "checklists.report.downloaded": ("Report downloaded", REPORTS),
    "checklists.access_review.exported": ("Access review report produced", REPORTS),
    "checklists.oscal.results_exported": ("OSCAL assessment results exported", REPORTS),
    # Obligations
    "checklists.obligation.created": ("Obligation created", OBLIGATIONS),
    "checklists.obligation.updated": ("Obligation changed", OBLIGATIONS),
    "checklists.obligation.retired": ("Obligation retired", OBLIGATIONS),
    "checklists.occurrence.done": ("Duty done", OBLIGATIONS),
    "checklists.occurrence.completed": ("Duty recorded as done", OBLIGATIONS),
    "checklists.occurrence.confirmed": ("Duty confirmed by a second person", OBLIGATIONS),
    "checklists.occurrence.sent_back": ("Duty sent back", OBLIGATIONS),
    "checklists.occurrence.due_moved": ("Due date moved", OBLIGATIONS),
    "checklists.occurrence.overdue": ("Duty overdue", OBLIGATIONS),
    # Access reviews
    "checklists.access_review.created": ("Access review created", ACCESS_REVIEWS),
    "checklists.access_review.roster_imported": ("Account list imported", ACCESS_REVIEWS),
    "checklists.access_review.started": ("Access review started", ACCESS_REVIEWS),
    "checklists.access_entry.decided": ("Account access decided", ACCESS_REVIEWS),
    "checklists.access_review.all_decided": ("Every account decided", ACCESS_REVIEWS),
    "checklists.access_entry.action_done": ("Access change carried out", ACCESS_REVIEWS),
    "checklists.access_review.completed": ("Access review completed", ACCESS_REVIEWS),
    # Credentials
    "checklists.credential.created": ("Credential added", CREDENTIALS),
    "checklists.credential.updated": ("Credential changed", CREDENTIALS),
    "checklists.credential.retired": ("Credential retired", CREDENTIALS),
    "checklists.credential.leak_reported": ("Credential leak reported", CREDENTIALS),
    # Incidents and incident contacts
    "checklists.incident.opened": ("Incident opened", INCIDENTS),
    "checklists.incident.note_added": ("Incident note added", INCIDENTS),
    "checklists.incident.step_done": ("Incident step done", INCIDENTS),
    "checklists.incident.provider_informed": ("Provider told of the incident", INCIDENTS),
    "checklists.incident.status_changed": ("Incident status changed", INCIDENTS),
    "checklists.incident_contact.added": ("Incident contact added", INCIDENTS),
    "checklists.incident_contact.updated": ("Incident contact changed", INCIDENTS),
    "checklists.incident_contact.deleted": ("Incident contact removed", INCIDENTS),
    "checklists.incident_contact.verified": ("Incident contacts checked", INCIDENTS),
    # Reminders and calendar feeds
    "checklists.reminders.preference_changed": ("Reminder settings changed", REMINDERS),
    "checklists.reminders.sent": ("Reminders sent", REMINDERS),
    "checklists.calendar_feed.created": ("Calendar feed created", REMINDERS),
    "checklists.calendar_feed.rotated": ("Calendar feed address renewed", REMINDERS),
    "checklists.calendar_feed.revoked": ("Calendar feed turned off", REMINDERS),
    # The catalog
    "checklists.catalog.loaded": ("Control catalog loaded", CATALOG),
    # The audit trail itself
    "audit.log.verified": ("Audit trail verified", AUDIT),
    "audit.log.exported": ("Audit trail exported", AUDIT),
    "audit.checkpoint.signed": ("Audit trail checkpoint signed", AUDIT),
}

_GROUPS_BY_KEY = {group.key: group for group in GROUPS}


def label(action: str) -> str:
    """What the action is called on the pages; an unknown dotted name, humanised
    ("accounts.two_factor.enabled" reads "Two factor enabled")."""
    known = ACTIONS.get(action)
    if known is not None:
        return known[0]
    words = " ".join(action.split(".")[1:] or [action]).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Unnamed action"


def group_choices() -> list[tuple[str, str]]:
    return [(group.key, group.label) for group in GROUPS]


def group_label(key: str) -> str:
    return _GROUPS_BY_KEY[key].label


def actions_in(key: str) -> list[str]:
    """The action names the "What happened" filter matches for a group."""
    return sorted(name for name, (_, group) in ACTIONS.items() if group.key == key)
