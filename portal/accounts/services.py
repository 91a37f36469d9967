"""Every change to teams and memberships, each in one transaction with its audit event."""

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from portal.accounts.models import Membership, Role, Team
from portal.accounts.permissions import (
    GLOBAL_GROUP_PERMISSIONS,
    ROLE_PERMISSIONS,
    global_role_refusal,
    team_group_name,
    team_join_refusal,
)
from portal.accounts.throttles import password_reset_allowed
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
            changes={"name": audit.change(None, name), "slug": audit.change(None, slug)},
        )
    return team


def team_update(*, team: Team, name: str, slug: str, by=None) -> Team:
    with transaction.atomic():
        old = Team.objects.select_for_update(no_key=True).get(pk=team.pk)
        changes = {
            field: audit.change(getattr(old, field), value)
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
            changes={"name": audit.change(team.name, None), "slug": audit.change(team.slug, None)},
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
    refusal = team_join_refusal(user)
    if refusal:
        raise ValidationError(refusal)
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
            changes={
                "user": audit.change(None, user.get_username()),
                "role": audit.change(None, role),
            },
        )
    return membership


def membership_set_role(*, membership: Membership, role: str, by=None) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",), no_key=True)
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
            changes={
                "user": membership.user.get_username(),
                "role": audit.change(old_role, role),
            },
        )
    return membership


def membership_remove(*, membership: Membership, by=None) -> None:
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",), no_key=True)
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
                "user": audit.change(membership.user.get_username(), None),
                "role": audit.change(membership.role, None),
            },
        )
        membership.delete()


def global_groups_ensure() -> dict[str, Group]:
    """Create the reviewers and auditors groups with their portal-wide permissions."""
    groups = {}
    for name, perms in GLOBAL_GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Q(pk__in=[])
        for perm in perms:
            app_label, _, codename = perm.partition(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
        groups[name] = group
    return groups


def global_role_grant(*, user, group_name: str, by=None) -> None:
    refusal = global_role_refusal(user, group_name)
    if refusal:
        raise ValidationError(refusal)
    with transaction.atomic():
        user.groups.add(Group.objects.get(name=group_name))
        audit.record(
            "accounts.role.granted",
            actor=by,
            obj=user,
            changes={"user": user.get_username(), "group": audit.change(None, group_name)},
        )


def global_role_revoke(*, user, group_name: str, by=None) -> None:
    with transaction.atomic():
        user.groups.remove(Group.objects.get(name=group_name))
        audit.record(
            "accounts.role.revoked",
            actor=by,
            obj=user,
            changes={"user": user.get_username(), "group": audit.change(group_name, None)},
        )


def password_change(*, user, password: str, by=None) -> None:
    """The user's own new password (validated by the form), recorded."""
    _password_set(user=user, password=password, action="accounts.user.password_changed", by=by)


def password_reset(*, user, password: str) -> None:
    """A new password set through an e-mailed reset link, recorded as the user's own act."""
    _password_set(user=user, password=password, action="accounts.user.password_reset", by=user)


def _password_set(*, user, password: str, action: str, by) -> None:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=("password",))
        audit.record(action, actor=by, actor_label=user.get_username(), obj=user)
    password_validation.password_changed(password, user)


def password_reset_request(*, email: str, ip: str | None) -> bool:
    """Whether reset links for `email` may be sent now (False once the client address or
    the account is over its hourly limit). Both outcomes are recorded; neither says whether
    an account has this address.
    """
    allowed = password_reset_allowed(email=email, ip=ip)
    with transaction.atomic():
        audit.record(
            "accounts.user.password_reset_requested"
            if allowed
            else "accounts.user.password_reset_throttled",
            actor_label=email[:150],
            changes={"email": email},
        )
    return allowed
