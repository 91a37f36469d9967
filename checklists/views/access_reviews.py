"""A team's access-review campaigns: the list, a new campaign, the roster import, and starting
the review. The campaign's own page (decisions, completion) is `access_review_detail`.

Reading needs `view_team` (an outsider gets a 404); everything else needs `manage_team`. A
refused form shows its page again, as typed, each problem next to its field or, for a
roster, one per bad line (status 400)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklists import access_rosters
from checklists.forms.access_reviews import CampaignForm, RosterForm
from checklists.models.access_reviews import AccessReview, CampaignState, EntryChange
from checklists.services import access_reviews as services
from checklists.services.common import refuse
from checklists.views.common import apply_form
from portal.accounts.permissions import get_team_or_404, has_team_perm


def _review_or_404(request: HttpRequest, slug: str, pk: int, perm: str) -> AccessReview:
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(AccessReview.objects.select_related("team"), team=team, pk=pk)


FLAGGED = Q(entries__shared=True) | Q(entries__dormant=True)
FLAGGED |= Q(entries__privileged_without_mfa=True) | Q(entries__not_a_member=True)


@login_required
@require_GET
def access_review_list(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    can_manage = has_team_perm(request.user, "manage_team", team)
    current = ~Q(entries__change=EntryChange.REMOVED)
    reviews = (
        team.access_reviews.select_related("team")
        .annotate(
            accounts=Count("entries", filter=current),
            removed=Count("entries", filter=Q(entries__change=EntryChange.REMOVED)),
            flagged=Count("entries", filter=FLAGGED),
            undecided=Count("entries", filter=Q(entries__decision="")),
        )
        .order_by("-period", "system")
    )
    return render(
        request,
        "checklists/access_reviews/campaign_list.html",
        {
            "team": team,
            "rows": [
                {
                    "review": review,
                    "may_import": can_manage and review.state == CampaignState.DRAFT,
                }
                for review in reviews
            ],
            "can_manage": can_manage,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def access_review_new(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    form = CampaignForm(request.POST or None)
    if request.method == "POST":
        review = apply_form(
            form, partial(services.access_review_create, team=team, by=request.user)
        )
        if review is not None:
            messages.success(
                request, f"Campaign {review} created: import the system's roster next."
            )
            return redirect("checklists:access_review_import", team.slug, review.pk)
    return render(
        request,
        "checklists/access_reviews/campaign_new.html",
        {"team": team, "form": form},
        status=400 if form.is_bound else 200,
    )


def _import_page(request, review: AccessReview, form, status: int = 200) -> HttpResponse:
    frozen = services.frozen_problem(review)
    return render(
        request,
        "checklists/access_reviews/roster_import.html",
        {
            "team": review.team,
            "review": review,
            "form": form,
            "frozen": frozen,
            "columns": [
                {
                    "name": name,
                    "required": name in access_rosters.REQUIRED_COLUMNS,
                    "help": access_rosters.COLUMN_HELP[name],
                }
                for name in access_rosters.COLUMNS
            ],
            "sample": access_rosters.SAMPLE,
            "max_bytes": services.max_bytes(),
            "max_rows": services.max_rows(),
            "dormant_days": access_rosters.DORMANT_AFTER_DAYS,
            "generic_names": sorted(access_rosters.GENERIC_NAMES),
            "replaces": review.imported_at is not None and frozen is None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def access_review_import(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review = _review_or_404(request, slug, pk, "manage_team")
    if request.method == "GET":
        return _import_page(request, review, RosterForm())
    form = RosterForm(request.POST, request.FILES)

    def upload(roster):
        refuse(access_rosters.size_problem(roster.size, services.max_bytes()))
        return services.roster_import(
            review=review, data=roster.read(), name=roster.name, by=request.user
        )

    result = apply_form(form, upload)
    if result is None:
        return _import_page(request, review, form, status=400)
    messages.success(request, result.summary)
    return redirect(review.get_absolute_url())


@login_required
@require_POST
def access_review_start(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review = _review_or_404(request, slug, pk, "manage_team")
    try:
        services.access_review_start(review=review, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, f"The review of {review} has started: its roster is frozen from now on."
        )
    return redirect(review.get_absolute_url())
