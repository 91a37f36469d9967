"""The one place that answers "may this user do X to this team?".

Team permissions (codenames on Team):
  view_team    see the team and everything it owns
  attest_team  answer controls, upload evidence
  review_team  approve or send back attestations
  manage_team  add and remove members, change roles, assign owners
  export_team  request and download reports

Team members and leads get them on their own team through the team's role groups;
security reviewers and auditors get them on every team through global groups.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user

from portal.accounts.models import Role, Team

TEAM_PERMISSIONS = ("view_team", "attest_team", "review_team", "manage_team", "export_team")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.MEMBER: ("view_team", "attest_team"),
    Role.LEAD: ("view_team", "attest_team", "manage_team", "export_team"),
}

REVIEWERS_GROUP = "Security reviewers"
AUDITORS_GROUP = "Auditors"
GLOBAL_GROUP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    REVIEWERS_GROUP: ("view_team", "review_team", "export_team"),
    AUDITORS_GROUP: ("view_team", "export_team"),
}

User = AbstractBaseUser | AnonymousUser


def _check(perm: str) -> str:
    if perm not in TEAM_PERMISSIONS:
        raise ValueError(f"unknown team permission {perm!r}")
    return f"accounts.{perm}"


def teams_for(user: User, perm: str = "view_team") -> QuerySet[Team]:
    """Teams on which the user holds `perm`, directly, through a team group or globally."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    return get_objects_for_user(user, _check(perm), klass=Team, accept_global_perms=True)


def get_team_or_404(user: User, slug: str, perm: str = "view_team") -> Team:
    """The team, if the user holds `perm` on it; a 404 otherwise, so outsiders learn nothing."""
    return get_object_or_404(teams_for(user, perm), slug=slug)


def has_team_perm(user: User, perm: str, team: Team) -> bool:
    full = _check(perm)
    return user.has_perm(full) or user.has_perm(full, team)


def team_group_name(team: Team, role: str) -> str:
    return f"team-{team.pk}-{role}"


def team_member_ids(team: Team) -> set[int]:
    """The people of the team: who may own its controls."""
    return set(team.memberships.values_list("user_id", flat=True))


def assignable_owners(team: Team) -> QuerySet:
    return get_user_model().objects.filter(memberships__team=team).order_by("username")
