"""The campaign pages: the list, a new campaign, the roster import and starting the review;
every URL for every role, forms that keep what was typed, and query counts that do not grow
with the campaigns."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists.models.access_reviews import AccessEntry, AccessReview, CampaignState
from checklists.services import access_reviews as services
from tests.checklists.access_reviews.rosters import (
    GITHUB,
    GOOD_ROWS,
    SYSTEM,
    csv_bytes,
    imported,
    make_review,
    on,
    row,
)


@pytest.fixture
def review(team, lead, member):
    with on():
        return make_review(team, lead)


def _upload(data: bytes, name: str = "codepay.csv") -> dict:
    return {"roster": SimpleUploadedFile(name, data, content_type="text/csv")}


def _messages(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


# --- Every URL for every role ------------------------------------------------------------------

# The URLs these pages own, for the walk over every checklist URL.
ACCESS_REVIEW_CAMPAIGN_URLS = {
    "access_review_list",
    "access_review_new",
    "access_review_import",
    "access_review_start",
}
ROLES = ("lead", "member", "reviewer", "auditor", "outsider", "nobody")
READ = {"lead": 200, "member": 200, "reviewer": 200, "auditor": 200, "outsider": 404}
MANAGE = {"lead": 200, "member": 404, "reviewer": 404, "auditor": 404, "outsider": 404}


def _pages(team, review):
    """(URL name, method, URL arguments, status by role); roles not named get a 404."""
    campaign = [team.slug, review.pk]
    return [
        ("access_review_list", "get", [team.slug], READ),
        ("access_review_new", "get", [team.slug], MANAGE),
        ("access_review_import", "get", campaign, MANAGE),
        ("access_review_start", "post", campaign, {**MANAGE, "lead": 302}),
    ]


def test_the_walk_covers_every_url_of_these_pages(team, review):
    assert {name for name, *_rest in _pages(team, review)} == ACCESS_REVIEW_CAMPAIGN_URLS


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role(request, client, team, review, role):
    client.force_login(request.getfixturevalue(role))
    for name, method, args, expected in _pages(team, review):
        response = getattr(client, method)(reverse(f"checklists:{name}", args=args))
        assert response.status_code == expected.get(role, 404), (role, name)


def test_anonymous_visitors_are_sent_to_sign_in(client, team, review):
    for name, method, args, _expected in _pages(team, review):
        response = getattr(client, method)(reverse(f"checklists:{name}", args=args))
        assert response.status_code == 302
        assert "login" in response.url


def test_writes_refuse_get(client, team, review, lead):
    client.force_login(lead)
    url = reverse("checklists:access_review_start", args=[team.slug, review.pk])
    assert client.get(url).status_code == 405


def test_another_teams_campaign_is_not_found(client, team, other_team, lead, outsider):
    with on():
        theirs = make_review(other_team, outsider)
    client.force_login(lead)
    for name in ("access_review_import", "access_review_start"):
        url = reverse(f"checklists:{name}", args=[team.slug, theirs.pk])
        response = client.post(url, _upload(csv_bytes(row("a"))))
        assert response.status_code == 404
    assert not theirs.entries.exists()


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_campaigns_with_their_counts(client, team, lead, member):
    with on():
        imported(team, lead, *GOOD_ROWS)
        make_review(team, lead, system="WeChat admin console")
    client.force_login(lead)
    response = client.get(reverse("checklists:access_review_list", args=[team.slug]))
    html = response.content.decode()
    assert SYSTEM in html and "WeChat admin console" in html
    rows = response.context["rows"]
    codepay = next(r["review"] for r in rows if r["review"].system == SYSTEM)
    assert (codepay.accounts, codepay.removed, codepay.flagged, codepay.undecided) == (4, 0, 2, 4)
    assert codepay.get_absolute_url() in html
    assert reverse("checklists:access_review_new", args=[team.slug]) in html
    assert "Import roster" in html


def test_members_see_no_manage_links(client, team, review, member):
    client.force_login(member)
    html = client.get(reverse("checklists:access_review_list", args=[team.slug])).content.decode()
    assert review.get_absolute_url() in html
    assert "New campaign" not in html and "Import roster" not in html


def test_the_team_page_links_to_access_reviews(client, team, member):
    client.force_login(member)
    html = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert reverse("checklists:access_review_list", args=[team.slug]) in html


def _list_queries(client, team) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("checklists:access_review_list", args=[team.slug]))
    assert response.status_code == 200
    return len(queries)


def test_the_list_queries_do_not_grow_with_the_campaigns(client, team, lead):
    client.force_login(lead)
    with on():
        imported(team, lead, row("a"), row("b"), period="2024-Q1")
    one = _list_queries(client, team)
    with on():
        for number in range(2, 11):
            imported(
                team,
                lead,
                row("a"),
                row("b"),
                period=f"2024-Q{1 + number % 4}",
                system=f"S{number}",
            )
    assert AccessReview.objects.count() == 10
    assert _list_queries(client, team) == one


# --- A new campaign ----------------------------------------------------------------------------


def test_a_new_campaign_goes_on_to_the_import(client, team, lead):
    with on():
        client.force_login(lead)
        response = client.post(
            reverse("checklists:access_review_new", args=[team.slug]),
            {"system": "GoPay portal", "period": "2026-Q4"},
        )
    review = AccessReview.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("checklists:access_review_import", args=[team.slug, review.pk])
    assert review.created_by == lead and review.state == CampaignState.DRAFT


def _error_of(response, field: str) -> str:
    html = response.content.decode()
    marker = f'id="id_{field}_error">'
    assert marker in html, f"no error next to {field}"
    return html.split(marker, 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"system": "GoPay portal", "period": "Q4 2026"}, "period", "is not a quarter"),
        ({"system": f"GoPay {GITHUB}", "period": "2026-Q4"}, "system", "GitHub token"),
        ({"system": "", "period": "2026-Q4"}, "system", "This field is required."),
    ],
)
def test_a_bad_campaign_is_refused_next_to_the_field(client, team, lead, data, field, message):
    client.force_login(lead)
    response = client.post(reverse("checklists:access_review_new", args=[team.slug]), data)
    assert response.status_code == 400
    assert message in _error_of(response, field)
    html = response.content.decode()
    assert f'value="{data["period"]}"' in html
    assert not AccessReview.objects.exists()


def test_a_second_campaign_for_the_quarter_is_refused(client, team, lead, review):
    client.force_login(lead)
    response = client.post(
        reverse("checklists:access_review_new", args=[team.slug]),
        {"system": SYSTEM, "period": "2026-Q4"},
    )
    assert response.status_code == 400
    assert "has a campaign for CodePay merchant platform in 2026-Q4 already" in _error_of(
        response, "period"
    )


# --- The import --------------------------------------------------------------------------------


def test_the_import_page_explains_the_columns(client, team, lead, review):
    client.force_login(lead)
    response = client.get(reverse("checklists:access_review_import", args=[team.slug, review.pk]))
    html = response.content.decode()
    for column in ("account", "person", "email", "role", "privileged", "mfa", "last_login"):
        assert f"<code>{column}</code>" in html
    assert "siti.rahma,Siti Rahma" in html
    assert 'enctype="multipart/form-data"' in html


def test_an_import_goes_to_the_campaign_with_its_counts(client, team, lead, member, review):
    url = reverse("checklists:access_review_import", args=[team.slug, review.pk])
    with on():
        client.force_login(lead)
        response = client.post(url, _upload(csv_bytes(*GOOD_ROWS)))
    assert response.status_code == 302
    assert response.url == review.get_absolute_url()
    assert _messages(response) == [
        "Imported 4 accounts into CodePay merchant platform 2026-Q4 for Kopi Kita: 4 new, "
        "0 unchanged, 0 role changed, 0 removed; flags: 1 shared, 1 dormant, 1 privileged "
        "without MFA, 2 not members."
    ]
    assert review.entries.count() == 4


def test_bad_lines_are_listed_on_the_page(client, team, lead, review):
    client.force_login(lead)
    url = reverse("checklists:access_review_import", args=[team.slug, review.pk])
    data = csv_bytes(row("a", mfa="maybe"), row("b", last_login="1/2/2026"))
    response = client.post(url, _upload(data))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 2, field mfa: expected yes or no, got &#x27;maybe&#x27;." in html
    assert "Line 3, field last_login: expected a date as YYYY-MM-DD" in html
    assert not AccessEntry.objects.exists()


def test_an_import_without_a_file_is_refused(client, team, lead, review):
    client.force_login(lead)
    url = reverse("checklists:access_review_import", args=[team.slug, review.pk])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "This field is required." in _error_of(response, "roster")


def test_an_oversize_upload_is_refused_with_its_size(client, team, lead, review, settings):
    settings.ACCESS_REVIEW_MAX_BYTES = 50
    client.force_login(lead)
    url = reverse("checklists:access_review_import", args=[team.slug, review.pk])
    data = csv_bytes(row("a"))
    response = client.post(url, _upload(data))
    assert response.status_code == 400
    assert f"The file is {len(data)} bytes; a roster may be at most 50 bytes." in (
        response.content.decode()
    )


def test_a_frozen_roster_is_said_and_refused(client, team, lead):
    with on():
        review = imported(team, lead, row("a"))
        services.access_review_start(review=review, by=lead)
    client.force_login(lead)
    url = reverse("checklists:access_review_import", args=[team.slug, review.pk])
    html = client.get(url).content.decode()
    assert "The roster is frozen since the review started on 15 December 2026" in html
    assert 'enctype="multipart/form-data"' not in html
    response = client.post(url, _upload(csv_bytes(row("b"))))
    assert response.status_code == 400
    assert list(review.entries.values_list("account", flat=True)) == ["a"]


# --- Starting ----------------------------------------------------------------------------------


def test_starting_goes_to_the_campaign(client, team, lead):
    with on():
        review = imported(team, lead, row("a"))
    client.force_login(lead)
    response = client.post(reverse("checklists:access_review_start", args=[team.slug, review.pk]))
    assert response.url == review.get_absolute_url()
    review.refresh_from_db()
    assert review.state == CampaignState.IN_REVIEW and review.started_by == lead


def test_starting_without_accounts_is_refused_as_a_message(client, team, lead, review):
    client.force_login(lead)
    response = client.post(reverse("checklists:access_review_start", args=[team.slug, review.pk]))
    assert response.status_code == 302
    assert _messages(response) == [
        "Import the roster before starting the review: there is no account to review."
    ]
    review.refresh_from_db()
    assert review.state == CampaignState.DRAFT
