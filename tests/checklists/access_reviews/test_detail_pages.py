"""The campaign page and its actions: the diff first, forms that keep what was typed, every
endpoint for every role, and a query count that does not grow with the roster."""

import pytest
from django.urls import reverse

from checklists.models.access_reviews import AccessEntry, CampaignState
from checklists.services import access_decisions as services
from tests.checklists.access_reviews.campaigns import GITHUB, campaign, entries, entry


def _url(name: str, review, *more) -> str:
    return reverse(f"checklists:{name}", args=[review.team.slug, review.pk, *more])


def _error_of(response, field: str) -> str:
    html = response.content.decode()
    marker = f'{field}_error">'
    assert marker in html, f"no error next to {field}"
    return html.split(marker, 1)[1].split("</p>", 1)[0]


@pytest.fixture
def review(team, lead):
    return campaign(team, by=lead)


def test_the_page_shows_the_diff_first_with_flags_in_words(client, review, member):
    entry(review, "kasir-old")
    entry(review, "kasir-new", change="new", not_a_member=True)
    entry(review, "kasir-gone", change="removed")
    entry(review, "kasir-moved", change="role-changed", previous_role="viewer", role="admin")
    client.force_login(member)
    html = client.get(review.get_absolute_url()).content.decode()
    order = [
        html.index(title)
        for title in (
            "Removed since the last review",
            "New since the last review",
            "Role changed since the last review",
            "Unchanged",
        )
    ]
    assert order == sorted(order)
    assert "viewer → admin" in html
    assert "Flag: Nobody of the team by e-mail" in html
    assert "codepay-users.csv" in html and "ab" * 32 in html
    assert "Decided</dt><dd>0 of 4" in html
    assert "In review" in html
    assert 'action="' + _url("access_entry_decide", review, 1) not in html  # members read only
    assert "Complete the review" not in html


def test_a_refused_decision_comes_back_with_the_error_next_to_the_field(client, review, reviewer):
    one = entry(review, "kasir1")
    client.force_login(reviewer)
    prefix = f"entry-{one.pk}"
    response = client.post(
        _url("access_entry_decide", review, one.pk),
        {f"{prefix}-decision": "revoke", f"{prefix}-new_role": "", f"{prefix}-reason": ""},
    )
    assert response.status_code == 400
    assert _error_of(response, f"{prefix}-reason") == "Say why the access is revoked."
    response = client.post(
        _url("access_entry_decide", review, one.pk),
        {f"{prefix}-decision": "change-role", f"{prefix}-reason": f"token {GITHUB}"},
    )
    assert response.status_code == 400
    assert "GitHub" in _error_of(response, f"{prefix}-reason")
    assert GITHUB in response.content.decode()  # what was typed is kept in the form
    response = client.post(
        _url("access_entry_decide", review, one.pk),
        {f"{prefix}-decision": "change-role", f"{prefix}-reason": "Moved to the back office."},
    )
    assert response.status_code == 400
    assert _error_of(response, f"{prefix}-new_role") == "Name the role the account should have."
    assert "Moved to the back office." in response.content.decode()
    one.refresh_from_db()
    assert one.decision == ""
    response = client.post(
        _url("access_entry_decide", review, one.pk),
        {f"{prefix}-decision": "revoke", f"{prefix}-reason": "Left in November."},
        follow=True,
    )
    assert "kasir1: revoke recorded." in response.content.decode()
    one.refresh_from_db()
    assert (one.decision, one.decided_by) == ("revoke", reviewer)


def test_ones_own_account_shows_no_form(client, review, reviewer):
    own = entry(review, "reviewer", email="reviewer@example.com")
    client.force_login(reviewer)
    html = client.get(review.get_absolute_url()).content.decode()
    assert "This is your own account: someone else must decide on it." in html
    assert _url("access_entry_decide", review, own.pk) not in html
    prefix = f"entry-{own.pk}"
    response = client.post(
        _url("access_entry_decide", review, own.pk), {f"{prefix}-decision": "keep"}
    )
    assert response.status_code == 400
    assert "This is your own account" in response.content.decode()


def test_bulk_keep_confirms_the_list_first(client, review, lead):
    plain = entries(review, 3)
    flagged = entry(review, "shared-till", shared=True)
    client.force_login(lead)
    html = client.get(review.get_absolute_url()).content.decode()
    assert "Keep 3 unflagged, unchanged accounts" in html
    page = client.get(_url("access_review_bulk_keep", review))
    html = page.content.decode()
    assert page.status_code == 200 and "Keep 3 accounts?" in html
    assert "shared-till" not in html
    assert AccessEntry.objects.filter(review=review).exclude(decision="").count() == 0
    response = client.post(
        _url("access_review_bulk_keep", review),
        {"entry_ids": [e.pk for e in plain]},
        follow=True,
    )
    assert "3 accounts kept." in response.content.decode()
    assert {e.decision for e in AccessEntry.objects.filter(pk__in=[e.pk for e in plain])} == {
        "keep"
    }
    refused = client.post(_url("access_review_bulk_keep", review), {"entry_ids": [flagged.pk]})
    assert refused.status_code == 400
    assert "can no longer be kept at once" in refused.content.decode()


def test_a_lead_confirms_an_action_and_completes_from_the_page(client, review, lead, reviewer):
    one = entry(review, "kasir1")
    services.entry_decide(entry=one, by=reviewer, decision="revoke", reason="Left.")
    client.force_login(lead)
    html = client.get(review.get_absolute_url()).content.decode()
    assert "Cannot be completed yet: 1 revocation or role change is not confirmed done yet." in (
        html
    )
    refused = client.post(_url("access_review_complete", review))
    assert refused.status_code == 400
    assert "not confirmed done yet" in refused.content.decode()
    blank = client.post(
        _url("access_entry_action_done", review, one.pk), {f"done-{one.pk}-note": ""}
    )
    assert blank.status_code == 400
    assert _error_of(blank, f"done-{one.pk}-note") == "This field is required."
    client.post(
        _url("access_entry_action_done", review, one.pk),
        {f"done-{one.pk}-note": "Removed from the dashboard, OPS-4."},
    )
    response = client.post(_url("access_review_complete", review), follow=True)
    html = response.content.decode()
    assert "completed; the obligation" in html and "Result SHA-256" in html
    review.refresh_from_db()
    assert review.state == CampaignState.COMPLETED


ENDPOINTS = {
    # name: (method, who may: roles)
    "access_review_detail": ("get", {"lead", "member", "reviewer", "auditor"}),
    "access_review_bulk_keep": ("get", {"lead", "reviewer"}),
    "access_entry_decide": ("post", {"lead", "reviewer"}),
    "access_entry_action_done": ("post", {"lead"}),
    "access_review_complete": ("post", {"lead", "reviewer"}),
}
ROLES = ("lead", "member", "reviewer", "auditor", "outsider", "anonymous")
# The URL names this area adds, for the walk over every checklist URL.
ACCESS_DECISION_URLS = set(ENDPOINTS)


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_each_role(request, client, review, lead, role):
    one = entry(review, "kasir1")
    services.entry_decide(entry=one, by=lead, decision="revoke", reason="Left.")
    user = None if role == "anonymous" else request.getfixturevalue(role)
    if user is not None:
        client.force_login(user)
    for name, (method, allowed) in ENDPOINTS.items():
        more = [one.pk] if name.startswith("access_entry") else []
        url = _url(name, review, *more)
        response = getattr(client, method)(url, {})
        if user is None:
            assert response.status_code == 302 and "/login" in response["Location"], name
        elif role in allowed:
            assert response.status_code in (200, 400), (name, role, response.status_code)
        else:
            assert response.status_code == 404, (name, role, response.status_code)
    one.refresh_from_db()
    assert one.decision == "revoke" and one.action_done_at is None


def test_writes_refuse_get(client, review, lead):
    one = entry(review, "kasir1")
    client.force_login(lead)
    for name in ("access_entry_decide", "access_entry_action_done"):
        assert client.get(_url(name, review, one.pk)).status_code == 405
    assert client.get(_url("access_review_complete", review)).status_code == 405


def test_another_teams_campaign_is_not_found(client, review, other_team, outsider):
    theirs = campaign(other_team, by=outsider)
    one = entry(theirs, "kasir1")
    client.force_login(outsider)
    wrong = reverse("checklists:access_review_detail", args=[other_team.slug, review.pk])
    assert client.get(wrong).status_code == 404
    foreign_entry = reverse(
        "checklists:access_entry_decide", args=[review.team.slug, review.pk, one.pk]
    )
    assert client.post(foreign_entry, {}).status_code == 404


def test_the_page_costs_the_same_for_10_or_200_entries(
    client, review, lead, reviewer, django_assert_max_num_queries
):
    def grow(count: int, prefix: str) -> None:
        made = entries(review, count, prefix=prefix)
        for item in made[::3]:
            services.entry_decide(entry=item, by=reviewer, decision="revoke", reason="Left.")

    grow(10, "a")
    client.force_login(lead)
    with django_assert_max_num_queries(40) as few:
        client.get(review.get_absolute_url())
    AccessEntry.objects.bulk_create(
        AccessEntry(
            review=review,
            account=f"b{number:03}",
            change=("new", "unchanged", "role-changed", "removed")[number % 4],
            dormant=number % 5 == 0,
        )
        for number in range(190)
    )
    grow(3, "c")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(review.get_absolute_url()).content.decode()
    assert "b189" in html
