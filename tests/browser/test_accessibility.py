"""Every main page, checked by axe-core as the role that uses it, with realistic data.

A serious or critical violation fails the page's test and is printed with the rule, its help
text and the selectors of the offending elements. axe-core is vendored under
`vendor/axe-core/` (see its README). The portal's CSP allows no inline script, so the library
is evaluated through the browser's debugging protocol instead of a <script> tag.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from checklists import demo_access, demo_duties
from checklists.models import AnswerStatus
from checklists.services import credentials as credential_services
from checklists.services import reviews
from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from tests.browser.test_smoke import _sign_in
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
    upload,
)
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text("utf-8")
BLOCKING = ("serious", "critical")


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it stands."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']}: {v['help']} ({v['helpUrl']})")
        lines += [f"    {target}" for target in v["targets"][:10]]
    return "\n".join(lines)


def assert_accessible(page) -> None:
    blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {page.url}:\n{describe(blocking)}"


@pytest.fixture
def portal(catalog, team, lead, member, reviewer, auditor):
    """A team with a checklist in every answer state, duties, contacts, an incident and
    access reviews, as the demo has them; returns the paths the pages need."""
    ops = make_user("ops")
    accounts.membership_add(team=team, user=ops, role=Role.MEMBER)
    checklist = make_checklist(team, lead)
    base = f"/teams/{team.slug}/checklists/{checklist.period}"

    submitted = attestation_of(checklist, "GOPAY-1.2")
    answer(submitted, member, statement="Only the back end holds the client token.")
    upload(submitted, member)
    submit(submitted, member)

    approved = attestation_of(checklist, "GOPAY-1.3")
    answer(approved, member)
    submit(approved, member)
    approve(approved, reviewer)

    sent_back = attestation_of(checklist, "GOPAY-1.4")
    answer(sent_back, member)
    submit(sent_back, member)
    sent_back.refresh_from_db()
    reviews.review_request_changes(
        attestation=sent_back,
        by=reviewer,
        comment="Name the vault path.",
        expected_version=sent_back.version,
    )

    partial = attestation_of(checklist, "MIXPAY-1")
    answer(
        partial,
        member,
        status=AnswerStatus.PARTIAL,
        statement="Amounts are checked; the asset is not yet.",
        justification="The asset check ships next sprint.",
    )

    demo_duties.seed_team_duties(team, 1)
    demo_access.seed_team_access_reviews(team, reviewer)
    credential = team.credentials.order_by("pk").first()
    incident = credential_services.credential_report_leak(
        credential=credential, by=member, summary="The key was pasted into a public issue."
    )
    obligation = team.obligations.filter(occurrences__isnull=False).order_by("pk").first()
    occurrence = obligation.occurrences.order_by("pk").first()
    in_progress = team.access_reviews.order_by("-pk").first()
    t = f"/teams/{team.slug}"
    return {
        "team": f"{t}/",
        "checklists": f"{t}/checklists/",
        "checklist": f"{base}/",
        "unanswered": f"{base}/GOPAY-1.5/",
        "partial": f"{base}/MIXPAY-1/",
        "submitted": f"{base}/GOPAY-1.2/",
        "approved": f"{base}/GOPAY-1.3/",
        "sent_back": f"{base}/GOPAY-1.4/",
        "team_schedule": f"{t}/schedule/",
        "obligations": f"{t}/obligations/",
        "obligation": obligation.get_absolute_url(),
        "occurrence": occurrence.get_absolute_url(),
        "credentials": f"{t}/credentials/",
        "new_credential": f"{t}/credentials/new",
        "new_contact": f"{t}/contacts/new",
        "credential": credential.get_absolute_url(),
        "contacts": f"{t}/contacts/",
        "incidents": f"{t}/incidents/",
        "incident": incident.get_absolute_url(),
        "access_reviews": f"{t}/access-reviews/",
        "access_review": f"{t}/access-reviews/{in_progress.pk}/",
        "reports": f"{t}/reports/",
        "audit_event": f"/audit/events/{AuditEvent.objects.order_by('-pk').first().sequence}/",
    }


@dataclass(frozen=True)
class Page:
    name: str
    role: str | None  # None: signed out
    path: str  # a key of the `portal` fixture, or a path starting with "/"
    submit_empty: bool = False  # check the form as it comes back with its errors


PAGES = [
    Page("login", None, "/accounts/login/"),
    Page("not-found-signed-out", None, "/no-such-page/"),
    Page("team", "member", "team"),
    Page("checklist-list", "member", "checklists"),
    Page("checklist", "member", "checklist"),
    Page("answer-unanswered", "member", "unanswered"),
    Page("answer-partial-draft", "member", "partial"),
    Page("answer-submitted", "member", "submitted"),
    Page("answer-approved", "member", "approved"),
    Page("answer-changes-requested", "member", "sent_back"),
    Page("answer-under-review", "reviewer", "submitted"),
    Page("todo", "member", "/todo/"),
    Page("schedule", "member", "/schedule/"),
    Page("team-schedule", "lead", "team_schedule"),
    Page("notifications", "member", "/account/notifications/"),
    Page("review-queue", "reviewer", "/review/"),
    Page("catalog", "member", "/catalog/"),
    Page("catalog-filtered", "member", "/catalog/?provider=gopay&severity=critical"),
    Page("control", "member", "/catalog/controls/GOPAY-1.2/"),
    Page("provider", "member", "/catalog/providers/gopay/"),
    Page("owasp", "member", "/catalog/owasp/A07:2021/"),
    Page("obligations", "member", "obligations"),
    Page("obligation", "member", "obligation"),
    Page("occurrence", "member", "occurrence"),
    Page("credentials", "member", "credentials"),
    Page("credential", "member", "credential"),
    Page("contacts", "lead", "contacts"),
    Page("credential-form-errors", "lead", "new_credential", submit_empty=True),
    Page("contact-form-errors", "lead", "new_contact", submit_empty=True),
    Page("incidents", "member", "incidents"),
    Page("incident", "member", "incident"),
    Page("access-reviews", "lead", "access_reviews"),
    Page("access-review-reviewer", "reviewer", "access_review"),
    Page("reports", "lead", "reports"),
    Page("organisation-reports", "reviewer", "/reports/organisation/"),
    Page("verify", "auditor", "/reports/verify/"),
    Page("audit-list", "auditor", "/audit/"),
    Page("audit-event", "auditor", "audit_event"),
    Page("password-change", "member", "/accounts/password_change/"),
    Page("not-found-signed-in", "member", "/teams/no-such-team/"),
]


@pytest.mark.parametrize("target", PAGES, ids=[p.name for p in PAGES])
def test_the_page_has_no_serious_accessibility_violation(page, portal, target):
    if target.role:
        _sign_in(page, target.role)
    path = portal.get(target.path, target.path)
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    response = page.goto(path)
    expected = 404 if target.name.startswith("not-found") else 200
    assert response.status == expected, f"{path} answered {response.status}"
    assert [f for f in failed if not f.endswith(path)] == []  # stylesheet, icon
    if target.submit_empty:
        page.locator("main form").last.get_by_role("button").last.click()
        expect(page.locator(".error, .form-errors").first).to_be_visible()
    assert_accessible(page)


def test_the_icon_loads_where_browsers_look_for_it(page, db):
    page.goto("/accounts/login/")
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    for path in (icon, "/favicon.ico"):
        response = page.goto(path)
        assert response.status == 200, path
        assert response.headers["content-type"] == "image/svg+xml", path


def test_it_fails_a_page_with_a_serious_violation(page, db):
    """The check itself: an unlabelled field and an image without text are caught."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<img src="/static/portal/favicon.svg"><input type="text">')"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    assert "critical: image-alt" in str(failure.value)
    assert "critical: label" in str(failure.value)
