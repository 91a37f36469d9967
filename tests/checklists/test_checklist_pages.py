"""Checklist, attestation and to-do pages: what they show, and constant query counts."""

import pytest
from django.urls import reverse

from checklists.models import Attestation
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
    upload,
)


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead, providers=("codepay", "mixpay"))


def test_the_checklist_page_shows_progress(client, checklist, member, reviewer):
    item = (
        checklist.attestations.filter(satisfied_through__isnull=True)
        .select_related("control")
        .first()
    )
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    client.force_login(member)
    response = client.get(checklist.get_absolute_url())
    totals = response.context["totals"]
    assert totals["total"] == checklist.attestations.count()
    covered = Attestation.objects.filter(satisfied_through=item).count()
    assert totals["answered"] == totals["approved"] == 1 + covered
    page = response.content.decode()
    assert "Progress by provider" in page and "Progress by category" in page
    if covered:
        assert f"Answered through {item.control.ref}" in page


def test_checklist_page_queries_do_not_grow(
    client, catalog, team, lead, member, django_assert_max_num_queries
):
    small = make_checklist(team, lead, period="2026-Q3", providers=("mixpay",))
    client.force_login(member)
    with django_assert_max_num_queries(25) as few:
        client.get(small.get_absolute_url())
    large = make_checklist(
        team, lead, period="2026-Q4", providers=("codepay", "wechat", "gopay"), asvs_level=2
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(large.get_absolute_url())


def test_attestation_page_queries_do_not_grow(
    client, checklist, member, reviewer, django_assert_max_num_queries
):
    item = attestation_of(checklist, "MIXPAY-1.3")
    answer(item, member)
    submit(item, member)  # awaiting review: the page also works out who may approve it
    client.force_login(reviewer)
    with django_assert_max_num_queries(40) as few:
        client.get(item.get_absolute_url())
    for number in range(4):
        answer(item, member, statement=f"Revision {number}.")
        upload(item, member, name=f"proof-{number}.txt", content=f"proof {number}\n".encode())
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(item.get_absolute_url()).content.decode()
    assert "proof-3.txt" in page and "Revision 3." in page


def test_the_todo_page_lists_my_work(
    client, checklist, member, reviewer, django_assert_max_num_queries
):
    mine = attestation_of(checklist, "MIXPAY-2")
    Attestation.objects.filter(pk=mine.pk).update(owner=member)
    client.force_login(member)
    with django_assert_max_num_queries(25) as few:
        page = client.get(reverse("checklists:todo")).content.decode()
    assert "MIXPAY-2" in page
    for ref in ("MIXPAY-1", "MIXPAY-3"):
        Attestation.objects.filter(checklist=checklist, control__ref=ref).update(owner=member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("checklists:todo")).content.decode()
    assert "MIXPAY-3" in page


def test_a_team_starts_a_checklist_from_the_page(client, catalog, team, member):
    client.force_login(member)
    response = client.post(
        reverse("checklists:checklist_new", args=[team.slug]),
        {"period": "2026-Q4", "providers": ["gopay"], "asvs_level": 0},
        follow=True,
    )
    assert "Checklist 2026-Q4 created." in response.content.decode()
    refused = client.post(
        reverse("checklists:checklist_new", args=[team.slug]),
        {"period": "2026-Q4", "providers": ["gopay"], "asvs_level": 0, "copy_previous": "on"},
        follow=True,
    )
    assert "Kopi Kita has no checklist before 2026-Q4 to start from." in refused.content.decode()


def test_the_todo_page_covers_the_latest_checklist_only(catalog, team, lead, member):
    from checklists.selectors.assessments import todo_for

    old = make_checklist(team, lead, period="2026-Q3", providers=("mixpay",))
    new = make_checklist(team, lead, period="2026-Q4", providers=("mixpay",))
    Attestation.objects.filter(checklist__in=[old, new], control__ref="MIXPAY-2").update(
        owner=member
    )
    assert [a.checklist for a in todo_for(member)["unanswered"]] == [new]


def test_changes_requested_show_to_who_answered_or_owns(catalog, team, lead, member, reviewer):
    from checklists.selectors.assessments import todo_for
    from checklists.services import reviews

    checklist = make_checklist(team, lead, providers=("mixpay",))
    item = answer(attestation_of(checklist, "MIXPAY-2"), member)
    submit(item, member)
    item.refresh_from_db()
    reviews.review_request_changes(
        attestation=item, by=reviewer, comment="More.", expected_version=item.version
    )
    assert list(todo_for(member)["changes_requested"]) == [item]
    assert list(todo_for(lead)["changes_requested"]) == []


def test_resubmitting_the_answer_form_keeps_its_due_date(client, checklist, member):
    import re
    from datetime import date

    item = attestation_of(checklist, "MIXPAY-1.3")
    answer(item, member, due_date=date(2026, 12, 2))
    client.force_login(member)
    page = client.get(item.get_absolute_url()).content.decode()
    shown = re.search(r'<input type="date" name="due_date" value="([^"]*)"', page).group(1)
    assert shown == "2026-12-02"  # what a browser's date picker can display and send back
    item.refresh_from_db()
    client.post(
        reverse("checklists:attestation_save", args=["kopi-kita", checklist.period, "MIXPAY-1.3"]),
        {
            "status": "implemented",
            "statement": "Reworded.",
            "due_date": shown,
            "expected_version": item.version,
        },
    )
    item.refresh_from_db()
    assert item.due_date == date(2026, 12, 2) and item.statement == "Reworded."


def test_a_stale_approval_of_last_quarter_shows_until_approved_again(
    catalog, team, lead, member, reviewer
):
    from datetime import timedelta

    from django.utils import timezone

    from checklists.selectors.assessments import todo_for
    from tests.checklists.assessment_helpers import approve

    last = make_checklist(team, lead, period="2026-Q3", providers=("mixpay",))
    old = answer(attestation_of(last, "MIXPAY-2"), member)
    submit(old, member)
    approve(old, reviewer)
    Attestation.objects.filter(pk=old.pk).update(
        next_review_due=timezone.localdate() - timedelta(days=3)
    )
    current = make_checklist(
        team, lead, period="2026-Q4", providers=("mixpay",), copy_previous=True
    )
    assert [a.pk for a in todo_for(member)["stale"]] == [old.pk]
    renewed = attestation_of(current, "MIXPAY-2")
    submit(renewed, member)
    approve(renewed, reviewer)
    assert list(todo_for(member)["stale"]) == []


def test_the_todo_page_dates_a_stale_approval_by_when_its_review_was_due(
    client, catalog, team, lead, member, reviewer
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.checklists.assessment_helpers import approve

    checklist = make_checklist(team, lead, period="2026-Q3", providers=("mixpay",))
    item = answer(attestation_of(checklist, "MIXPAY-2"), member)
    submit(item, member)
    approve(item, reviewer)
    review_due = timezone.localdate() - timedelta(days=3)
    team_due = timezone.localdate() + timedelta(days=30)
    Attestation.objects.filter(pk=item.pk).update(next_review_due=review_due, due_date=team_due)

    client.force_login(member)
    page = client.get(reverse("checklists:todo")).content.decode()
    stale = page[page.index("Stale: recurring controls due again") :]
    assert "Review was due" in stale
    assert review_due.isoformat() in stale
    assert team_due.isoformat() not in stale
