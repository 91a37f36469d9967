"""Every change to teams and memberships, each in one transaction with its audit event."""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.accounts.models import Membership, Role, Team
from portal.accounts.permissions import (
    GLOBAL_GROUP_PERMISSIONS,
    ROLE_PERMISSIONS,
    team_group_name,
)
from portal.audit import services as audit


def _role_group(team: Team, role: str) -> Group:
    return Group.objects.get(name=team_group_name(team, role))


def team_create(*, name: str, slug: str, by=None) -> Team:
    from guardian.shortcuts import assign_perm

    with transaction.atomic():
        team = Team.objects.create(name=name, slug=slug)
        for role, perms in ROLE_PERMISSIONS.items():
            group = Group.objects.create(name=team_group_name(team, role))
            for perm in perms:
                assign_perm(f"accounts.{perm}", group, team)
        audit.record(
            "accounts.team.created",
            actor=by,
            obj=team,
            team=team,
            changes={"name": [None, name], "slug": [None, slug]},
        )
    return team


def team_update(*, team: Team, name: str, slug: str, by=None) -> Team:
    with transaction.atomic():
        old = Team.objects.select_for_update().get(pk=team.pk)
        changes = {
            field: [getattr(old, field), value]
            for field, value in (("name", name), ("slug", slug))
            if getattr(old, field) != value
        }
        if not changes:
            return old
        team.name, team.slug = name, slug
        team.save(update_fields=("name", "slug"))
        audit.record("accounts.team.changed", actor=by, obj=team, team=team, changes=changes)
    return team


def team_delete(*, team: Team, by=None) -> None:
    with transaction.atomic():
        audit.record(
            "accounts.team.deleted",
            actor=by,
            obj=team,
            team=team,
            changes={"name": [team.name, None], "slug": [team.slug, None]},
        )
        Group.objects.filter(name__in=[team_group_name(team, role) for role in Role]).delete()
        team.delete()


def _check_keeps_a_lead(membership: Membership, new_role: str | None) -> None:
    """A team that has a lead keeps at least one, so somebody can still manage it."""
    if membership.role != Role.LEAD or new_role == Role.LEAD:
        return
    other_leads = (
        Membership.objects.filter(team=membership.team, role=Role.LEAD)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not other_leads:
        raise ValidationError(
            f"{membership.user} is the team's only lead; name another lead first."
        )


def membership_add(*, team: Team, user, role: str, by=None) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a simultaneous second add lands here
                membership = Membership.objects.create(team=team, user=user, role=role)
        except IntegrityError:
            raise ValidationError(f"{user} is already a member of {team}.") from None
        user.groups.add(_role_group(team, role))
        audit.record(
            "accounts.membership.added",
            actor=by,
            obj=membership,
            team=team,
            changes={"user": [None, user.get_username()], "role": [None, role]},
        )
    return membership


def membership_set_role(*, membership: Membership, role: str, by=None) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("team", "user")
            .get(pk=membership.pk)
        )
        if membership.role == role:
            return membership
        _check_keeps_a_lead(membership, role)
        old_role = membership.role
        membership.user.groups.remove(_role_group(membership.team, old_role))
        membership.user.groups.add(_role_group(membership.team, role))
        membership.role = role
        membership.save(update_fields=("role",))
        audit.record(
            "accounts.membership.role_changed",
            actor=by,
            obj=membership,
            team=membership.team,
            changes={"user": membership.user.get_username(), "role": [old_role, role]},
        )
    return membership


def membership_remove(*, membership: Membership, by=None) -> None:
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("team", "user")
            .get(pk=membership.pk)
        )
        _check_keeps_a_lead(membership, None)
        membership.user.groups.remove(_role_group(membership.team, membership.role))
        audit.record(
            "accounts.membership.removed",
            actor=by,
            obj=membership,
            team=membership.team,
            changes={
                "user": [membership.user.get_username(), None],
                "role": [membership.role, None],
            },
        )
        membership.delete()


def global_groups_ensure() -> dict[str, Group]:
    """Create the reviewers and auditors groups with their portal-wide team permissions."""
    groups = {}
    for name, perms in GLOBAL_GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=perms)
        )
        groups[name] = group
    return groups


def global_role_grant(*, user, group_name: str, by=None) -> None:
    if group_name not in GLOBAL_GROUP_PERMISSIONS:
        raise ValidationError(f"Unknown portal role {group_name!r}.")
    with transaction.atomic():
        user.groups.add(Group.objects.get(name=group_name))
        audit.record(
            "accounts.role.granted",
            actor=by,
            obj=user,
            changes={"user": user.get_username(), "group": [None, group_name]},
        )


def global_role_revoke(*, user, group_name: str, by=None) -> None:
    with transaction.atomic():
        user.groups.remove(Group.objects.get(name=group_name))
        audit.record(
            "accounts.role.revoked",
            actor=by,
            obj=user,
            changes={"user": user.get_username(), "group": [group_name, None]},
        )
