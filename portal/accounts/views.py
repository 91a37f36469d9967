from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts import services
from portal.accounts.forms import InvitationForm, MemberRoleForm
from portal.accounts.models import Invitation, Membership, Role, Team
from portal.accounts.permissions import get_team_or_404, has_team_perm, teams_for

TEAMS_PER_PAGE = 50


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(teams_for(request.user).order_by("name"), TEAMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/team_list.html", {"page": page})


def _apply(form, action) -> object | None:
    """Validate the form and hand its data to the service; a refusal lands next to the field
    it names, or on the form. Returns what the service returned, or None."""
    if not form.is_valid():
        return None
    try:
        return action(**form.cleaned_data)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error.messages)
        return None


def _team_page(
    request: HttpRequest,
    team: Team,
    *,
    invite_form: InvitationForm | None = None,
    role_refused: tuple[int, str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The team page; `role_refused` is (membership id, role asked for, why refused), shown
    on that member's row."""
    can_manage = has_team_perm(request.user, "manage_team", team)
    rows = []
    for membership in team.memberships.select_related("user").order_by("user__username"):
        refused = role_refused if role_refused and role_refused[0] == membership.pk else None
        rows.append(
            {
                "membership": membership,
                "name": membership.user.get_full_name() or membership.user.get_username(),
                "role": refused[1] if refused else membership.role,
                "error": refused[2] if refused else "",
            }
        )
    invitations = (
        list(services.pending_invitations(team).select_related("invited_by")) if can_manage else []
    )
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "rows": rows,
            "invitations": invitations,
            "can_manage": can_manage,
            "can_export": has_team_perm(request.user, "export_team", team),
            "invite_form": invite_form or InvitationForm(),
            "roles": MemberRoleForm.base_fields["role"].choices,
        },
        status=status,
    )


@login_required
@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _team_page(request, get_team_or_404(request.user, slug))


@login_required
@require_POST
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    form = InvitationForm(request.POST)
    try:
        invitation = _apply(
            form,
            lambda email, role: services.invitation_create(
                team=team, email=email, role=role, by=request.user
            ),
        )
    except services.InvitationNotSent:
        form.add_error(
            None,
            "The invitation mail could not be sent, so no invitation was made. Try again "
            "later; if it keeps failing, ask a portal administrator to check the mail settings.",
        )
        invitation = None
    if invitation is None:
        return _team_page(request, team, invite_form=form, status=400)
    # The same answer whether or not the address has an account.
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("accounts:team_detail", slug=team.slug)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    invitation = get_object_or_404(Invitation, pk=invitation_id, team=team)
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return redirect("accounts:team_detail", slug=team.slug)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    membership = get_object_or_404(Membership, pk=membership_id, team=team)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        refused = (membership.pk, membership.role, "Choose a role from the list.")
        return _team_page(request, team, role_refused=refused, status=400)
    role = form.cleaned_data["role"]
    try:
        membership = services.membership_set_role(membership=membership, role=role, by=request.user)
    except ValidationError as error:
        refused = (membership.pk, role, " ".join(error.messages))
        return _team_page(request, team, role_refused=refused, status=400)
    messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    return redirect("accounts:team_detail", slug=team.slug)


def _losses(membership: Membership) -> list[str]:
    """What a member loses with the team, in words."""
    losses = [
        "Seeing the team's checklists, evidence, obligations, credentials inventory, "
        "incident contacts and access reviews.",
        "Answering controls and uploading evidence for the team.",
    ]
    if membership.role == Role.LEAD:
        losses.append("Managing the team's members and owners, and its signed reports.")
    return losses


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    """GET asks to confirm (saying who and what they lose); POST removes."""
    team = get_team_or_404(request.user, slug, "manage_team")
    membership = get_object_or_404(
        Membership.objects.select_related("user", "team"), pk=membership_id, team=team
    )
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, by=request.user)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, f"{membership.user} left {team}.")
            return redirect("accounts:team_detail", slug=team.slug)
    refusal = services.lead_loss_refusal(membership, None)
    user = membership.user
    return render(
        request,
        "accounts/member_remove.html",
        {
            "team": team,
            "membership": membership,
            "name": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
            "email": user.email,
            "role": membership.get_role_display(),
            "is_self": user.pk == request.user.pk,
            "losses": _losses(membership),
            "errors": errors or ([refusal] if refusal else []),
            "may_remove": refusal is None,
        },
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: GET shows the team and role, POST joins."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    closed = services.invitation_closed_reason(invitation)
    if closed:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"reason": closed, "team": invitation.team},
            status=410,
        )
    error = ""
    if request.method == "POST":
        try:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(
                request, f"You joined {membership.team} as {membership.get_role_display()}."
            )
            return redirect("accounts:team_detail", slug=membership.team.slug)
    refusal = error or services.invitation_acceptance_refusal(invitation, request.user)
    inviter = invitation.invited_by
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "team": invitation.team.name,
            "role": invitation.get_role_display(),
            "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else "",
            "refusal": refusal,
            "may_accept": not refusal,
        },
        status=400 if error else 200,
    )
