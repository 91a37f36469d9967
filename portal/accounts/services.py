"""Every change to teams and memberships, each in one transaction with its audit event."""

import hashlib
import logging
import secrets

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.accounts import mail
from portal.accounts.models import Invitation, Membership, Role, Team
from portal.accounts.permissions import (
    GLOBAL_GROUP_PERMISSIONS,
    ROLE_PERMISSIONS,
    global_role_refusal,
    team_group_name,
    team_join_refusal,
)
from portal.accounts.throttles import password_reset_allowed
from portal.audit import services as audit

logger = logging.getLogger(__name__)


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


def lead_loss_refusal(membership: Membership, new_role: str | None) -> str | None:
    """Why the membership may not lose its lead role (`new_role` None: removed), or None.
    A team that has a lead keeps at least one, so somebody can still manage it."""
    if membership.role != Role.LEAD or new_role == Role.LEAD:
        return None
    other_leads = (
        Membership.objects.filter(team=membership.team, role=Role.LEAD)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not other_leads:
        return f"{membership.user} is the team's only lead; name another lead first."
    return None


def _check_keeps_a_lead(membership: Membership, new_role: str | None) -> None:
    refusal = lead_loss_refusal(membership, new_role)
    if refusal:
        raise ValidationError(refusal)


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


# Invitations ---------------------------------------------------------------------------


class InvitationNotSent(Exception):
    """The invitation mail could not be handed to the mail server; the invitation is void."""


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def pending_invitations(team: Team) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        team=team, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).order_by("email")


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation the mailed token belongs to, found by the token's hash."""
    return (
        Invitation.objects.select_related("team", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def invitation_closed_reason(invitation: Invitation) -> str | None:
    """Why the link no longer works (used, withdrawn, expired), or None while it is open."""
    if invitation.accepted_at is not None:
        return "This invitation has already been used."
    if invitation.revoked_at is not None:
        return "This invitation was withdrawn by the team."
    if invitation.expires_at <= timezone.now():
        return f"This invitation expired on {timezone.localtime(invitation.expires_at):%d %b %Y}."
    return None


def invitation_acceptance_refusal(invitation: Invitation, user) -> str | None:
    """Why `user` may not accept the invitation, or None if they may."""
    closed = invitation_closed_reason(invitation)
    if closed:
        return closed
    if normalise_email(user.email or "") != invitation.email:
        return (
            f"This invitation was sent to {invitation.email}, and you are signed in as "
            f"{user.get_username()} with another address. Sign in with the account for "
            f"{invitation.email}, or ask the team lead to invite the address of this account."
        )
    refusal = team_join_refusal(user)
    if refusal:
        return refusal
    if Membership.objects.filter(team=invitation.team, user=user).exists():
        return f"You are already a member of {invitation.team}."
    return None


def invitation_create(*, team: Team, email: str, role: str, by) -> Invitation:
    """Invite `email` to the team in `role` and mail the one-time link. Whether the address
    has an account is neither checked nor told: anyone may be invited, the rules apply when
    the invitation is accepted. Inviting an address again withdraws its open invitation."""
    email = normalise_email(email)
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        replaced = list(
            Invitation.objects.select_for_update()
            .filter(team=team, email=email, accepted_at=None, revoked_at=None)
            .values_list("pk", flat=True)
        )
        Invitation.objects.filter(pk__in=replaced).update(revoked_at=now)
        invitation = Invitation.objects.create(
            team=team,
            email=email,
            role=role,
            token_hash=invitation_token_hash(token),
            invited_by=by,
            expires_at=now + Invitation.VALID_FOR,
        )
        changes = {
            "email": audit.change(None, email),
            "role": audit.change(None, role),
            "expires_at": invitation.expires_at.isoformat(),
        }
        if replaced:
            changes["replaces"] = replaced
        audit.record(
            "accounts.invitation.created", actor=by, obj=invitation, team=team, changes=changes
        )
    # Mailed after the commit: the audit trail is not held while the mail server answers.
    try:
        mail.invitation_message(invitation=invitation, token=token).send()
    except Exception:
        logger.exception("The invitation %s could not be mailed", invitation.pk)
        _invitation_close(invitation, by=by, reason="The invitation mail could not be sent.")
        raise InvitationNotSent from None
    return invitation


def invitation_revoke(*, invitation: Invitation, by) -> Invitation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise ValidationError(f"{invitation.email} has already accepted the invitation.")
        if invitation.revoked_at is not None:
            return invitation
        _invitation_close(invitation, by=by)
    return invitation


def _invitation_close(invitation: Invitation, *, by, reason: str = "") -> None:
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=("revoked_at",))
        audit.record(
            "accounts.invitation.revoked",
            actor=by,
            obj=invitation,
            team=invitation.team,
            changes={"email": invitation.email, "role": invitation.role},
            reason=reason,
        )


def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """`user` joins the team in the invited role, under the rules of `membership_add`."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("team")
            .get(pk=invitation.pk)
        )
        refusal = invitation_acceptance_refusal(invitation, user)
        if refusal:
            raise ValidationError(refusal)
        membership = membership_add(team=invitation.team, user=user, role=invitation.role, by=user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=("accepted_at", "accepted_by"))
        audit.record(
            "accounts.invitation.accepted",
            actor=user,
            obj=invitation,
            team=invitation.team,
            changes={
                "email": invitation.email,
                "role": invitation.role,
                "user": user.get_username(),
            },
        )
    return membership
