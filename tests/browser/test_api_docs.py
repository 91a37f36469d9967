"""The API docs render in a real browser under the portal's Content-Security-Policy: Swagger UI
shows every operation of the schema, and the browser reports no blocked script or style."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db(transaction=True)


def _operations() -> int:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return sum(len(item) for item in paths.values())


def test_swagger_ui_shows_every_operation_with_nothing_blocked(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: blocked.append(str(error)))
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        page.goto(reverse("api:docs"))
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() == _operations()
        assert (
            page.locator(".opblock-summary-path", has_text="/answers/{ref}/evidence/").count() == 2
        )
        assert page.get_by_role("button", name="Authorize").is_visible()
        assert page.locator(".info .title").inner_text().startswith("Compliance portal API")
        page.locator(".opblock-summary", has_text="Upload evidence to an answer").click()
        page.wait_for_selector("text=multipart/form-data")
    finally:
        context.close()
    assert blocked == [] and failed == []
