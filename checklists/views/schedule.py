"""What falls due: a team's schedule, the schedule across one's teams, the calendar feed and
the notification settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe

from checklists import calendar_feed as ics
from checklists.forms.schedule import CalendarFeedForm, ReminderPreferenceForm, ScheduleFilterForm
from checklists.selectors import schedule as selectors
from checklists.services import notifications
from checklists.views.common import apply_form
from portal.accounts.permissions import get_team_or_404, teams_for

SCHEDULE_PAGE_SIZE = 50
FEED_MAX_AGE = 15 * 60


@login_required
@require_GET
def team_schedule(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug)
    today = timezone.localdate()
    return render(
        request,
        "checklists/schedule/team_schedule.html",
        {
            "team": team,
            "today": today,
            "days": selectors.SCHEDULE_DAYS,
            "items": selectors.team_schedule(team, today=today),
        },
    )


@login_required
@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    teams = teams_for(request.user, "view_team").order_by("name")
    form = ScheduleFilterForm(request.GET or None, teams=teams)
    chosen = form.cleaned_data.get("team") if form.is_valid() else ""
    shown = teams.filter(slug=chosen) if chosen else teams
    today = timezone.localdate()
    items = selectors.schedule_across(shown, today=today)
    page = Paginator(items, SCHEDULE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "checklists/schedule/schedule.html",
        {
            "form": form,
            "page": page,
            "chosen_team": chosen,
            "days": selectors.SCHEDULE_DAYS,
            "today": today,
        },
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    """The same answer for a token never issued and one revoked."""
    return HttpResponseNotFound(render_to_string("404.html", request=request))


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed, opened by its secret address alone (calendar services cannot sign in)."""
    feed = selectors.active_feed_for_token(token)
    if feed is None:
        return _not_found(request)
    today = timezone.localdate()
    body = ics.build(
        selectors.feed_occurrences(feed.user, today=today),
        today=today,
        now=timezone.now(),
        absolute_url=request.build_absolute_uri,
    )
    notifications.calendar_feed_used(feed=feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = f"private, max-age={FEED_MAX_AGE}"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Disposition"] = 'inline; filename="due-dates.ics"'
    return response


def _notifications_page(
    request: HttpRequest,
    *,
    preference_form=None,
    feed_form=None,
    new_feed_url: str | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    feed = selectors.active_feed(user)
    response = render(
        request,
        "checklists/schedule/notifications.html",
        {
            "preference_form": preference_form
            or ReminderPreferenceForm(initial={"frequency": selectors.digest_frequency(user)}),
            "feed_form": feed_form or CalendarFeedForm(),
            "feed": feed,
            "new_feed_url": new_feed_url,
        },
        status=status,
    )
    if new_feed_url:
        # The address is the credential: no cache keeps the page that shows it.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def notifications_page(request: HttpRequest) -> HttpResponse:
    return _notifications_page(request)


@login_required
@require_POST
def reminder_preference_save(request: HttpRequest) -> HttpResponse:
    form = ReminderPreferenceForm(request.POST)

    def save(*, frequency: str):
        return notifications.reminder_preference_set(user=request.user, frequency=frequency)

    if apply_form(form, save) is None:
        return _notifications_page(request, preference_form=form, status=400)
    messages.success(request, "Reminder preference saved.")
    return redirect("checklists:notifications")


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("checklists:calendar_feed", args=[token]))


def _make_feed(request: HttpRequest, service) -> HttpResponse:
    form = CalendarFeedForm(request.POST)
    made = apply_form(form, lambda: service(user=request.user))
    if made is None:
        return _notifications_page(request, feed_form=form, status=400)
    _feed, token = made
    return _notifications_page(request, new_feed_url=_feed_url(request, token))


@login_required
@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    return _make_feed(request, notifications.calendar_feed_create)


@login_required
@require_POST
def calendar_feed_rotate(request: HttpRequest) -> HttpResponse:
    return _make_feed(request, notifications.calendar_feed_rotate)


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    form = CalendarFeedForm(request.POST)
    if apply_form(form, lambda: notifications.calendar_feed_revoke(user=request.user)) is None:
        return _notifications_page(request, feed_form=form, status=400)
    messages.success(request, "Calendar feed revoked: its address no longer works.")
    return redirect("checklists:notifications")
