from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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


def home(request: HttpRequest):
    return redirect("accounts:team_list")


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    # Pages link the icon; browsers still ask for /favicon.ico on responses without a page
    # (downloads, JSON). Temporary: the static URL changes with the file's content.
    response = redirect(static("portal/favicon.svg"))
    patch_cache_control(response, max_age=86_400)
    return response
