"""The one place that answers "may this user do X?".

Team permissions (codenames on Team):
  view_team    see the team and everything it owns
  attest_team  answer controls, upload evidence
  review_team  approve or send back attestations
  manage_team  add and remove members, change roles, assign owners
  export_team  request and download reports

Team members and leads get them on their own team through the team's role groups;
security reviewers and auditors get them on every team through global groups.

A person is either in teams or holds a portal-wide role, never both: the services refuse
the combination, and a holder of any portal-wide team permission is answered from that
permission alone, so team grants can never add to it (an auditor stays read-only).

Audit trail visibility:
  * holders of `audit.view_auditevent` (superusers, auditors): every event;
  * other holders of the portal-wide `view_team` (security reviewers): every team's events,
    not the team-less ones (sign-ins, role grants), which carry personal data;
  * team leads: the events of the teams they manage;
  * everybody else: nothing.
"""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user

from portal.accounts.models import (
    Membership,
    Role,
    Team,
    TeamGroupObjectPermission,
    TeamUserObjectPermission,
)

TEAM_PERMISSIONS = ("view_team", "attest_team", "review_team", "manage_team", "export_team")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.MEMBER: ("view_team", "attest_team"),
    Role.LEAD: ("view_team", "attest_team", "manage_team", "export_team"),
}

REVIEWERS_GROUP = "Security reviewers"
AUDITORS_GROUP = "Auditors"
VIEW_ALL_EVENTS = "audit.view_auditevent"
# Model permissions ("app_label.codename") each portal-wide group holds.
GLOBAL_GROUP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    REVIEWERS_GROUP: ("accounts.view_team", "accounts.review_team", "accounts.export_team"),
    AUDITORS_GROUP: ("accounts.view_team", "accounts.export_team", VIEW_ALL_EVENTS),
}

User = AbstractBaseUser | AnonymousUser

_TEAM_GROUP_RE = re.compile(rf"^team-\d+-(?:{'|'.join(Role.values)})$")


def _check(perm: str) -> str:
    if perm not in TEAM_PERMISSIONS:
        raise ValueError(f"unknown team permission {perm!r}")
    return f"accounts.{perm}"


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def global_team_perms(user: User) -> frozenset[str]:
    """The team permissions the user holds on every team (through a portal role or directly)."""
    if not _active(user):
        return frozenset()
    return frozenset(perm for perm in TEAM_PERMISSIONS if user.has_perm(f"accounts.{perm}"))


def holds_global_role(user: User) -> bool:
    """Superusers aside, whether the user holds any portal-wide team permission."""
    return not user.is_superuser and bool(global_team_perms(user))


def teams_for(user: User, perm: str = "view_team") -> QuerySet[Team]:
    """Teams on which the user holds `perm`, through a team group or globally."""
    full = _check(perm)
    if not _active(user):
        return Team.objects.none()
    if user.is_superuser or holds_global_role(user):
        # A portal-wide role is answered from itself alone: team grants never add to it.
        return Team.objects.all() if user.has_perm(full) else Team.objects.none()
    return get_objects_for_user(user, full, klass=Team, accept_global_perms=False)


def get_team_or_404(user: User, slug: str, perm: str = "view_team") -> Team:
    """The team, if the user holds `perm` on it; a 404 otherwise, so outsiders learn nothing."""
    return get_object_or_404(teams_for(user, perm), slug=slug)


def has_team_perm(user: User, perm: str, team: Team) -> bool:
    full = _check(perm)
    if not _active(user):
        return False
    if user.is_superuser or holds_global_role(user):
        return user.has_perm(full)
    return user.has_perm(full, team)


def perms_on_some_team(user: User) -> frozenset[str]:
    """The team permissions the user holds on at least one team (one query at most)."""
    if not _active(user):
        return frozenset()
    if user.is_superuser or holds_global_role(user):
        return global_team_perms(user)
    direct = TeamUserObjectPermission.objects.filter(user=user).values_list(
        "permission__codename", flat=True
    )
    through_groups = TeamGroupObjectPermission.objects.filter(group__user=user).values_list(
        "permission__codename", flat=True
    )
    return frozenset(direct.union(through_groups)) & frozenset(TEAM_PERMISSIONS)


def may_review_any_team(user: User) -> bool:
    """Whether the review queue is open to the user."""
    return "review_team" in perms_on_some_team(user)


# Service accounts ----------------------------------------------------------------------

SERVICE_ACCOUNT_NO_ROLES = (
    "A service account belongs to its team only; it cannot join teams or hold a portal-wide "
    "role such as security reviewer or auditor."
)
SERVICE_ACCOUNT_DECIDES = (
    "A service account cannot approve, confirm or send back anything: a person decides."
)


def is_service_account(user) -> bool:
    """Whether the user is a team's service account (portal.api), which acts only through
    API tokens. The answer is cached on the user object."""
    return getattr(user, "service_account", None) is not None


def decision_refusal(user) -> str | None:
    """Why `user` may not take a reviewer's or confirmer's decision (approve, request
    changes, confirm or send back a duty, decide an account's access), or None. The one
    place that says a service account never approves anything."""
    return SERVICE_ACCOUNT_DECIDES if is_service_account(user) else None


# Who may join a team, and who may hold a portal-wide role -------------------------------


def global_role_names(user) -> list[str]:
    return sorted(
        user.groups.filter(name__in=GLOBAL_GROUP_PERMISSIONS).values_list("name", flat=True)
    )


def team_join_refusal(user) -> str | None:
    """Why `user` may not be added to a team, or None if they may."""
    if not user.is_active:
        return f"{user} is deactivated and cannot join a team."
    if is_service_account(user):
        return SERVICE_ACCOUNT_NO_ROLES
    roles = global_role_names(user)
    if roles:
        return (
            f"{user} holds the portal-wide role {roles[0]!r}, which already covers every team; "
            "a portal-wide role and team membership cannot be combined."
        )
    if holds_global_role(user):
        return (
            f"{user} holds portal-wide team permissions; "
            "remove them before adding the person to a team."
        )
    return None


def _team_member_refusal(user, group_name: str) -> str | None:
    teams = sorted(
        Membership.objects.filter(user=user).values_list("team__name", flat=True).distinct()
    )
    if teams:
        return (
            f"{user} is a member of {', '.join(teams)}; a team member cannot also hold the "
            f"portal-wide role {group_name!r}. Remove them from their teams first."
        )
    return None


def global_role_refusal(user, group_name: str) -> str | None:
    """Why `user` may not be given the portal-wide role `group_name`, or None if they may."""
    if group_name not in GLOBAL_GROUP_PERMISSIONS:
        return f"Unknown portal role {group_name!r}."
    if is_service_account(user):
        return SERVICE_ACCOUNT_NO_ROLES
    refusal = _team_member_refusal(user, group_name)
    if refusal:
        return refusal
    others = [name for name in global_role_names(user) if name != group_name]
    if others:
        return f"{user} already holds the portal-wide role {others[0]!r}; one portal role each."
    return None


def groups_refusal(user, names: set[str]) -> str | None:
    """Why `user` may not hold exactly the groups `names` (as the user admin sets them)."""
    chosen = sorted(names & set(GLOBAL_GROUP_PERMISSIONS))
    if len(chosen) > 1:
        return f"Choose one portal role, not {' and '.join(chosen)}."
    current = set(user.groups.values_list("name", flat=True)) if user.pk else set()
    if {n for n in names if _TEAM_GROUP_RE.match(n)} != {
        n for n in current if _TEAM_GROUP_RE.match(n)
    }:
        return "Team roles are given on the team's page or in the Teams admin, not as groups."
    if chosen and user.pk and is_service_account(user):
        return SERVICE_ACCOUNT_NO_ROLES
    if chosen and user.pk:
        return _team_member_refusal(user, chosen[0])
    return None


# The audit trail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditVisibility:
    every_team: bool = False
    teamless: bool = False
    team_ids: frozenset[int] = frozenset()

    @property
    def any(self) -> bool:
        return self.every_team or self.teamless or bool(self.team_ids)


def audit_visibility(user: User) -> AuditVisibility:
    """Which events the user may see (see the module docstring)."""
    if not _active(user):
        return AuditVisibility()
    if user.has_perm(VIEW_ALL_EVENTS):
        return AuditVisibility(every_team=True, teamless=True)
    if user.has_perm("accounts.view_team"):
        return AuditVisibility(every_team=True)
    led = teams_for(user, "manage_team").values_list("pk", flat=True)
    return AuditVisibility(team_ids=frozenset(led))


def may_see_audit_trail(user: User, team_perms: frozenset[str] | None = None) -> bool:
    if not _active(user):
        return False
    if user.has_perm(VIEW_ALL_EVENTS) or user.has_perm("accounts.view_team"):
        return True
    return "manage_team" in (perms_on_some_team(user) if team_perms is None else team_perms)


def may_export_organisation(user: User) -> bool:
    """The organisation's reports are for those who may export every team's."""
    return _active(user) and (user.is_superuser or "export_team" in global_team_perms(user))


def may_see_dashboard(user: User) -> bool:
    """The posture dashboard across teams is for those who see every team (reviewers,
    auditors, admins); a team's people have their team's home instead."""
    return _active(user) and (user.is_superuser or "view_team" in global_team_perms(user))


# Navigation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Navigation:
    review_queue: bool = False
    audit_trail: bool = False
    organisation_reports: bool = False
    verify_report: bool = False
    dashboard: bool = False
    admin: bool = False


def navigation_for(user: User) -> Navigation:
    """Which links the main navigation offers the user."""
    if not _active(user):
        return Navigation()
    team_perms = perms_on_some_team(user)
    return Navigation(
        review_queue="review_team" in team_perms,
        audit_trail=may_see_audit_trail(user, team_perms),
        organisation_reports=may_export_organisation(user),
        verify_report=True,
        dashboard=may_see_dashboard(user),
        admin=bool(user.is_staff),
    )


# Where a signed-in person lands ---------------------------------------------------------


class Landing:
    DASHBOARD = "dashboard"  # portal-wide roles: the reviewers' posture dashboard
    TEAM = "team"  # exactly one team: its home
    PICK = "pick"  # several teams: choose one
    NONE = "none"  # no team and no portal-wide role yet


def landing_for(user: User) -> tuple[str, Team | None]:
    """Where `/` takes the user, and the team when it is one team's home."""
    if not _active(user):
        return Landing.NONE, None
    if may_see_dashboard(user):
        return Landing.DASHBOARD, None
    teams = list(teams_for(user).order_by("name")[:2])
    if not teams:
        return Landing.NONE, None
    return (Landing.TEAM, teams[0]) if len(teams) == 1 else (Landing.PICK, None)


def team_group_name(team: Team, role: str) -> str:
    return f"team-{team.pk}-{role}"


def team_member_ids(team: Team) -> set[int]:
    """The people of the team: who may own its controls."""
    return set(team.memberships.values_list("user_id", flat=True))


def assignable_owners(team: Team) -> QuerySet:
    return get_user_model().objects.filter(memberships__team=team).order_by("username")
