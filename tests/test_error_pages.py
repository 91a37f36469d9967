"""The portal's own error pages, with DEBUG off as in production and with DEBUG on as in
`make run`, where Django would otherwise show its technical pages."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.checklists.assessment_helpers import make_checklist

CSRF_INPUT = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def _portal_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert '<a href="/">Back to the portal</a>' in html
    assert 'href="/static/portal/portal.css"' in html
    # Nothing of Django's technical pages: no URL patterns, settings or tracebacks.
    assert "URLconf" not in html
    assert "Traceback" not in html
    assert "DEBUG = True" not in html
    return html


def test_it_answers_an_unknown_url_with_the_portal_404(client, db, debug):
    _portal_page(client.get("/no-such-page/"), 404, "Not found")


def test_it_answers_an_unknown_url_without_a_slash_with_the_portal_404(client, db, debug):
    _portal_page(client.get("/no-such-page"), 404, "Not found")


def test_it_still_adds_the_slash_before_answering_404(client, db, debug):
    response = client.get("/catalog")
    assert response.status_code == 301
    assert response["Location"] == "/catalog/"


def test_a_view_s_404_is_the_portal_page_and_tells_nothing_about_the_object(
    client, team, member, other_team, outsider, debug
):
    client.force_login(member)
    # Another team's existing page and a team that does not exist answer the same page.
    theirs = client.get(f"/teams/{other_team.slug}/checklists/")
    missing = client.get("/teams/no-such-team/checklists/")
    assert CSRF_INPUT.sub(b"", theirs.content) == CSRF_INPUT.sub(b"", missing.content)
    html = _portal_page(theirs, 404, "Not found")
    assert other_team.name not in html
    assert "Sign out" in html  # the signed-in header: the rest of the portal is a click away


def _with_view(settings, view) -> None:
    """The portal's URLs plus /raising/, answered by `view`."""
    from django.urls import path

    from portal import urls

    settings.ROOT_URLCONF = type(
        "Urls", (), {"urlpatterns": [path("raising/", view), *urls.urlpatterns]}
    )


def test_a_403_is_the_portal_page(client, member, settings, debug):
    def forbidden(request):
        raise PermissionDenied

    _with_view(settings, forbidden)
    client.force_login(member)
    _portal_page(client.get("/raising/"), 403, "Not allowed")


def test_a_refused_upload_is_the_portal_400(client, catalog, team, member, settings, debug, caplog):
    settings.EVIDENCE_MAX_BYTES = 1_000
    checklist = make_checklist(team, member, providers=("gopay",))
    client.force_login(member)
    too_big = b"x" * (settings.EVIDENCE_UPLOAD_FORM_MARGIN * 2)
    response = client.post(
        f"/teams/{team.slug}/checklists/{checklist.period}/GOPAY-1.2/evidence/upload",
        {
            "file": SimpleUploadedFile("big.txt", too_big),
            "description": "Too big",
        },
    )
    html = _portal_page(response, 400, "Bad request")
    assert "size limit" in html
    refused = [r for r in caplog.records if r.name == "django.security.UploadRefused"]
    assert refused, "the refusal is logged with its reason"


def test_a_request_for_an_unknown_host_is_the_portal_400(client, db, settings):
    settings.DEBUG = False
    html = _portal_page(client.get("/catalog/", HTTP_HOST="evil.example"), 400, "Bad request")
    assert "Sign out" not in html  # refused before anyone is signed in


def test_it_keeps_the_technical_500_page_for_developers(client, db, settings):
    settings.DEBUG = True
    client.raise_request_exception = False

    def broken(request):
        raise RuntimeError("the traceback a developer needs")

    _with_view(settings, broken)
    response = client.get("/raising/")
    assert response.status_code == 500
    assert b"the traceback a developer needs" in response.content


def test_it_is_not_loaded_when_debug_is_off(settings):
    from django.core.exceptions import MiddlewareNotUsed

    from portal.error_pages import PortalErrorPagesMiddleware

    settings.DEBUG = False
    with pytest.raises(MiddlewareNotUsed):
        PortalErrorPagesMiddleware(lambda request: None)


def test_the_favicon_is_linked_and_served(client, db):
    page = client.get("/accounts/login/")
    assert b'<link rel="icon" href="/static/portal/favicon.svg" type="image/svg+xml">' in (
        page.content
    )
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/portal/favicon.svg"
