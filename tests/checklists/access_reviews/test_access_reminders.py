"""Access reviews in the to-do page and in the reminder digest."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists.selectors.assessments import todo_for
from checklists.selectors.reminders import Scope, Window, access_reviews, items_for_person
from checklists.services import access_decisions as services
from checklists.services.reminders import send_reminders
from tests.checklists.access_reviews.campaigns import access_obligation, campaign, entries, entry
from tests.checklists.reminders.conftest import WEDNESDAY, on


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_URL = "https://portal.example.com"
    settings.DEFAULT_FROM_EMAIL = "portal@example.com"


def _mails_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_the_todo_lists_undecided_counts_and_open_actions(team, lead, member, reviewer):
    review = campaign(team, by=lead)
    revoked = entry(review, "kasir1")
    entries(review, 2, prefix="kept")
    services.entry_decide(entry=revoked, by=reviewer, decision="revoke", reason="Left.")

    [row] = todo_for(lead)["access_review_actions"]
    assert row.undecided == 2 and [e.account for e in row.open_actions] == ["kasir1"]
    [row] = todo_for(reviewer)["access_review_actions"]
    assert row.undecided == 2 and row.open_actions == []  # reviewers decide, leads carry out
    assert list(todo_for(member)["access_review_actions"]) == []

    services.entries_keep_bulk(
        review=review, by=reviewer, entry_ids=review.entries.values_list("pk", flat=True)
    )
    assert list(todo_for(reviewer)["access_review_actions"]) == []
    [row] = todo_for(lead)["access_review_actions"]
    assert row.undecided == 0
    services.entry_action_done(entry=revoked, by=lead, note="Removed, OPS-3.")
    assert list(todo_for(lead)["access_review_actions"]) == []


def test_the_todo_page_shows_the_section_at_a_constant_cost(
    client, team, lead, reviewer, django_assert_max_num_queries
):
    first = campaign(team, by=lead, system="CodePay merchant platform")
    gone = entry(first, "kasir1")
    entry(first, "kasir2")
    services.entry_decide(entry=gone, by=reviewer, decision="revoke", reason="Left.")
    client.force_login(lead)
    with django_assert_max_num_queries(20) as few:
        html = client.get(reverse("checklists:todo")).content.decode()
    assert "Access-review actions" in html
    assert "1 entry undecided" in html and "kasir1</a>: revoke" in html
    for number in range(4):
        review = campaign(team, by=lead, system=f"Miniapp console {number}")
        for item in entries(review, 3, prefix=f"m{number}-"):
            services.entry_decide(entry=item, by=reviewer, decision="revoke", reason="Left.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("checklists:todo")).content.decode()
    assert "Miniapp console 3" in html and "m3-002" in html


def test_reminders_go_to_the_leads_with_the_occurrence_due_date(team, lead, member, reviewer):
    with on(WEDNESDAY):
        obligation = access_obligation(team, lead, starts_on=WEDNESDAY + timedelta(days=7))
        review = campaign(team, by=lead, obligation=obligation)
        entries(review, 2)
        revoked = entry(review, "kasir-x")
        services.entry_decide(entry=revoked, by=reviewer, decision="revoke", reason="Left.")

        counts = send_reminders(today=WEDNESDAY)

    assert counts.failed == 0
    [digest] = _mails_to(lead)
    for body in (digest.body, digest.alternatives[0][0]):
        assert "Access review of CodePay merchant platform (2026-Q4): 2 entries to decide" in body
        assert "1 revocation or role change to carry out" in body
        assert "https://portal.example.com" + review.get_absolute_url() in body
        assert "Left." not in body  # no typed reasons in mail
    # The obligation's own occurrence is due the same day and reaches the lead too.
    assert "Review access to the merchant platform" in digest.body
    assert _mails_to(member) == [] and _mails_to(reviewer) == []


def test_without_an_open_occurrence_the_quarter_end_is_the_due_date(team, lead):
    with on(WEDNESDAY):
        review = campaign(team, by=lead, period="2026-Q4")
        entries(review, 1)
        review.obligation.occurrences.all().delete()  # none open: the quarter end counts
        items = items_for_person(lead, today=WEDNESDAY, frequency="weekly")
        assert items == []  # weekly digests go out on Mondays
        monday = WEDNESDAY + timedelta(days=5)
        [item] = items_for_person(lead, today=monday, frequency="weekly")
    assert item.kind == "access-review"
    assert item.due_on.isoformat() == "2026-12-31"
    assert item.title.endswith("1 entry to decide")


def test_the_source_reads_everyone_in_one_query(team, other_team, lead, outsider):
    for owner_team, by in ((team, lead), (other_team, outsider)):
        for number in range(3):
            review = campaign(owner_team, by=by, system=f"System {number}", obligation=None)
            entries(review, 2)
    window = Window("weekly", WEDNESDAY + timedelta(days=5))
    with CaptureQueriesContext(connection) as captured:
        routed = list(access_reviews(window, Scope()))
    assert len(captured.captured_queries) == 1
    assert len(routed) == 6 and {r.owner_id for r in routed} == {None}
    mine = list(access_reviews(window, Scope(lead.pk, frozenset({team.pk}))))
    assert {r.team_id for r in mine} == {team.pk}
