from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from checklists.selectors.team_home import teams_posture
from portal.accounts.permissions import Landing, landing_for, teams_for


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where everyone starts: see `permissions.landing_for`."""
    landing, team = landing_for(request.user)
    if landing == Landing.DASHBOARD:
        return redirect("checklists:posture_dashboard")
    if landing == Landing.TEAM:
        return redirect("checklists:team_home", slug=team.slug)
    if landing == Landing.PICK:
        teams = teams_for(request.user).order_by("name")
        return render(request, "home/pick_team.html", {"rows": teams_posture(teams)})
    return render(request, "home/no_team.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    # Pages link the icon; browsers still ask for /favicon.ico on responses without a page
    # (downloads, JSON). Temporary: the static URL changes with the file's content.
    response = redirect(static("portal/favicon.svg"))
    patch_cache_control(response, max_age=86_400)
    return response
