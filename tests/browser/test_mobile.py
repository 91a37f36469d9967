"""On a 390 px wide phone no page is wider than the screen, and every link and button of the
header, Sign out included, is on screen. Wide tables scroll inside their own box."""

import pytest

from tests.browser.test_accessibility import portal  # noqa: F401  (the pages' data)
from tests.browser.test_smoke import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

MEMBER_PAGES = [
    "/catalog/",
    "/catalog/?provider=gopay&severity=critical",
    "/catalog/controls/GOPAY-1.2/",
    "/catalog/providers/gopay/",
    "/catalog/owasp/A07:2021/",
    "/schedule/",
    "team_schedule",
    "/account/notifications/",
    "obligations",
    "obligation",
    "occurrence",
    "credentials",
    "credential",
    "contacts",
    "incidents",
    "incident",
    "access_reviews",
    "access_review",
    # Pages of other parts of the portal: only their header is checked here.
    "team",
    "checklists",
    "/todo/",
    "/teams/no-such-team/",
]
LEAD_PAGES = ["reports", "credentials", "contacts", "obligations"]
REVIEWER_PAGES = ["/review/", "/reports/organisation/", "/reports/verify/", "access_review"]
AUDITOR_PAGES = ["/audit/", "/reports/verify/"]
# Owned elsewhere and checked for their header only until their own narrow-screen work lands.
HEADER_ONLY = {"team", "checklists", "/todo/", "/review/", "/audit/"}

OFF_SCREEN_HEADER_ITEMS = """() => [...document.querySelectorAll(
    ".site-header a, .site-header button")].filter(el => {
        const box = el.getBoundingClientRect();
        return box.left < 0 || box.right > window.innerWidth;
    }).map(el => el.textContent.trim())"""


def overflow(page, paths: list[str], urls: dict) -> list[str]:
    problems = []
    for key in paths:
        path = key if key.startswith("/") else urls[key]
        page.goto(path)
        off_screen = page.evaluate(OFF_SCREEN_HEADER_ITEMS)
        if off_screen:
            problems.append(f"{path}: header items off screen: {off_screen}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if key not in HEADER_ONLY and width > PHONE["width"]:
            problems.append(f"{path}: {width} px wide")
    return problems


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("member", MEMBER_PAGES),
        ("lead", LEAD_PAGES),
        ("reviewer", REVIEWER_PAGES),
        ("auditor", AUDITOR_PAGES),
    ],
    ids=["member", "lead", "reviewer", "auditor"],
)
def test_no_page_is_wider_than_a_phone(phone, portal, role, pages):  # noqa: F811
    _sign_in(phone, role)
    assert overflow(phone, pages, portal) == []


def test_the_sign_in_and_error_pages_fit_a_phone(phone, db):
    assert overflow(phone, ["/accounts/login/", "/no-such-page/"], {}) == []
