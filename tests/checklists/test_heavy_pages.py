"""The to-do page, the review queue and the checklist page cost the same whatever the data."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checklists.models import AnswerStatus, Attestation, ReviewState
from checklists.templatetags.checklist_tags import answer_label, clip, review_label
from checklists.views import reviews as review_views
from portal.accounts import services as accounts
from portal.accounts.models import Role
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
    upload,
)
from tests.conftest import make_user

QUEUE = reverse("checklists:review_queue")
TODO = reverse("checklists:todo")


def _submitted(checklist, by, *refs):
    for ref in refs:
        item = answer(attestation_of(checklist, ref), by)
        submit(item, by)


def _statements(captured) -> list[str]:
    """The captured reads, with the clock's readings taken out."""
    return [
        re.sub(r"'\d{4}-\d\d-\d\d[^']*'", "'…'", q["sql"])
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT")
    ]


def _queue_refs(response):
    return [item.control.ref for item in response.context["page"]]


def _more_teams(count: int, by):
    """`count` more teams, each with a checklist full of work: answers waiting for review,
    unanswered items with owners, approvals gone stale."""
    for n in range(count):
        other = accounts.team_create(name=f"Team {n}", slug=f"team-{n}")
        accounts.membership_add(team=other, user=by, role=Role.LEAD)
        checklist = make_checklist(other, by, providers=("gopay",))
        _submitted(checklist, by, "GOPAY-1.2", "GOPAY-1.3")
        stale = answer(attestation_of(checklist, "GOPAY-1.5"), by)
        submit(stale, by)
        yield checklist, stale


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(review_views, "QUEUE_PAGE_SIZE", 2)


def test_page_two_of_a_filtered_queue_is_still_filtered(
    client, catalog, team, lead, member, reviewer, small_pages
):
    checklist = make_checklist(team, lead, providers=("gopay", "codepay", "mixpay"))
    critical = list(
        checklist.attestations.filter(
            control__severity="critical", satisfied_through__isnull=True
        ).values_list("control__ref", flat=True)[:3]
    )
    assert len(critical) == 3
    _submitted(checklist, member, *critical, "GOPAY-5.3")
    client.force_login(reviewer)
    first = client.get(QUEUE, {"severity": "critical"})
    assert first.context["page"].paginator.count == 3
    assert 'href="?severity=critical&amp;page=2"' in first.content.decode()
    second = client.get(QUEUE, {"severity": "critical", "page": 2})
    assert _queue_refs(second) == [critical[2]]
    assert 'href="?severity=critical&amp;page=1"' in second.content.decode()


def test_the_queue_shows_each_rows_submitter_and_evidence_on_every_page(
    client, catalog, team, lead, member, reviewer, small_pages
):
    checklist = make_checklist(team, lead)
    _submitted(checklist, lead, "GOPAY-1.2", "GOPAY-1.3")
    item = answer(attestation_of(checklist, "GOPAY-1.5"), member)
    upload(item, member)
    upload(item, member, name="second.txt", content=b"Keys rotate every quarter\n")
    submit(item, member)  # the newest: alone on page 2
    client.force_login(reviewer)
    [row] = client.get(QUEUE, {"page": 2}).context["page"]
    assert (row.control.ref, row.submitted_by, row.evidence_count) == ("GOPAY-1.5", "member", 2)
    assert [row.submitted_by for row in client.get(QUEUE).context["page"]] == ["lead", "lead"]


def test_the_queue_reads_the_same_queries_for_one_page_of_any_queue(
    client, catalog, team, lead, member, reviewer, small_pages
):
    checklist = make_checklist(team, lead)
    _submitted(checklist, member, "GOPAY-1.2", "GOPAY-1.3")
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE, {"severity": "critical"})
    _submitted(checklist, member, "GOPAY-1.5", "GOPAY-1.6", "GOPAY-2.1", "GOPAY-2.2")
    list(_more_teams(3, lead))
    with CaptureQueriesContext(connection) as many:
        client.get(QUEUE, {"severity": "critical", "page": 2})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_empty_todo_reads_the_same_queries_however_much_others_have(
    client, catalog, team, lead, member
):
    client.force_login(member)
    client.get(TODO)  # caches what every later page reuses (content types)
    with CaptureQueriesContext(connection) as alone:
        assert client.get(TODO).status_code == 200
    list(_more_teams(20, lead))
    with CaptureQueriesContext(connection) as crowded:
        client.get(TODO)
    assert _statements(crowded) == _statements(alone)
    # Nobody's answers were read: without a checklist of their own, no query touches them.
    assert not any("checklists_attestation" in q["sql"] for q in crowded.captured_queries)


def test_a_full_todo_reads_as_many_queries_at_one_team_as_at_four(
    client, catalog, team, lead, reviewer, django_assert_max_num_queries
):
    checklist = make_checklist(team, lead)
    Attestation.objects.filter(checklist=checklist).update(owner=lead)
    client.force_login(lead)
    with django_assert_max_num_queries(30) as few:
        client.get(TODO)
    for _, stale in _more_teams(3, lead):
        approve(stale, reviewer)
        Attestation.objects.filter(pk=stale.pk).update(
            next_review_due=timezone.localdate() - timedelta(days=2)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(TODO)
    assert page.context["stale"]["count"] == 3
    assert [row["team_slug"] for row in page.context["unowned"]] == ["team-0", "team-1", "team-2"]


def test_the_todo_counts_only_the_persons_teams(client, catalog, team, lead, member, reviewer):
    (_, stale), *_ = _more_teams(2, make_user("elsewhere"))
    approve(stale, reviewer)
    Attestation.objects.filter(pk=stale.pk).update(
        next_review_due=timezone.localdate() - timedelta(days=2)
    )
    make_checklist(team, lead)
    client.force_login(member)
    page = client.get(TODO)
    assert page.context["stale"]["count"] == 0
    assert page.context["due_soon"]["count"] == 0


@pytest.mark.parametrize("value", [*AnswerStatus.values, "retired"])
def test_the_answer_label_is_the_status_label(value):
    expected = AnswerStatus(value).label if value in AnswerStatus.values else value
    assert answer_label(value) == expected


@pytest.mark.parametrize("value", [*ReviewState.values, "retired"])
def test_the_review_label_is_the_review_state_label(value):
    expected = ReviewState(value).label if value in ReviewState.values else value
    assert review_label(value) == expected


@pytest.mark.parametrize("text", ["Rotate keys.", "x" * 180, "Keep the App Key in a vault. " * 9])
def test_clipping_a_requirement_reads_as_truncatechars_did(text):
    from django.template.defaultfilters import truncatechars

    assert clip(text, 180) == truncatechars(text, 180)
