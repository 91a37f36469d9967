from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal.accounts import services
from portal.accounts.forms import MemberAddForm, MemberRoleForm
from portal.accounts.models import Membership
from portal.accounts.permissions import get_team_or_404, has_team_perm, teams_for

TEAMS_PER_PAGE = 50


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(teams_for(request.user).order_by("name"), TEAMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/team_list.html", {"page": page})


@login_required
@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    memberships = team.memberships.select_related("user").order_by("user__username")
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "memberships": memberships,
            "can_manage": has_team_perm(request.user, "manage_team", team),
            "can_export": has_team_perm(request.user, "export_team", team),
            "add_form": MemberAddForm(),
            "roles": MemberRoleForm.base_fields["role"].choices,
        },
    )


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("accounts:team_detail", slug=team.slug)
    try:
        membership = services.membership_add(
            team=team,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            by=request.user,
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, f"{membership.user} joined as {membership.get_role_display()}.")
    return redirect("accounts:team_detail", slug=team.slug)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    membership = get_object_or_404(Membership, pk=membership_id, team=team)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role from the list.")
        return redirect("accounts:team_detail", slug=team.slug)
    try:
        membership = services.membership_set_role(
            membership=membership, role=form.cleaned_data["role"], by=request.user
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    return redirect("accounts:team_detail", slug=team.slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, team=team
    )
    try:
        services.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, f"{membership.user} left {team}.")
    return redirect("accounts:team_detail", slug=team.slug)
