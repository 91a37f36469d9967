"""The team schedule and the schedule across one's teams."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from checklists.services.obligations import occurrence_complete
from portal.accounts import services as accounts
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
)
from tests.checklists.schedule.conftest import make_obligation, open_occurrence
from tests.conftest import make_user

TODAY = date(2026, 3, 10)


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def duties(frozen, team, other_team, lead, member, outsider):
    return {
        "upcoming": make_obligation(team, lead, "Upcoming drill", TODAY + timedelta(days=40)),
        "late": make_obligation(
            team, lead, "Late access review", TODAY - timedelta(days=2), owner=member
        ),
        "soon": make_obligation(team, lead, "Soon key rotation", TODAY + timedelta(days=3)),
        "beyond": make_obligation(team, lead, "Beyond the window", TODAY + timedelta(days=91)),
        "later_late": make_obligation(team, lead, "Older overdue", TODAY - timedelta(days=9)),
        "theirs": make_obligation(other_team, outsider, "Ojek restore test", TODAY),
    }


def team_page(client, slug="kopi-kita"):
    return client.get(reverse("checklists:team_schedule", args=[slug]))


def schedule_page(client, **params):
    return client.get(reverse("checklists:schedule"), params)


def order_of(page: str, *titles: str) -> list[int]:
    return [page.index(title) for title in titles]


def test_the_team_schedule_lists_overdue_first_then_by_due_date(client, duties, member):
    client.force_login(member)

    page = team_page(client).content.decode()

    positions = order_of(
        page, "Older overdue", "Late access review", "Soon key rotation", "Upcoming drill"
    )
    assert positions == sorted(positions)
    assert "Beyond the window" not in page
    assert "Ojek restore test" not in page
    for words in ("Overdue", "Due soon", "Upcoming"):
        assert f">{words}</span>" in page
    late = open_occurrence(duties["late"])
    assert f'href="{late.get_absolute_url()}"' in page
    assert "2026-03-08" in page
    assert 'aria-current="page">Schedule' in page


def test_awaiting_confirmation_does_not_count_as_overdue(client, frozen, team, lead, member):
    rotation = make_obligation(
        team, lead, "Rotate the signing key", TODAY - timedelta(days=5), kind="key-rotation"
    )
    make_obligation(team, lead, "Plain overdue", TODAY - timedelta(days=1))
    occurrence_complete(occurrence=open_occurrence(rotation), by=member, note="Rotated.")
    client.force_login(member)

    page = team_page(client).content.decode()

    assert ">Awaiting confirmation</span>" in page
    assert order_of(page, "Plain overdue", "Rotate the signing key") == sorted(
        order_of(page, "Plain overdue", "Rotate the signing key")
    )


def test_stale_and_soon_stale_approvals_are_listed(
    client, catalog, frozen, team, lead, member, reviewer
):
    checklist = make_checklist(team, lead, providers=("codepay",))
    item = attestation_of(checklist, "CODEPAY-1.4a.1")
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    item.refresh_from_db()
    due = item.next_review_due
    assert due is not None

    frozen.move_to(datetime.combine(due - timedelta(days=3), time(9), UTC))
    client.force_login(member)
    page = team_page(client).content.decode()
    assert ">Review due soon</span>" in page
    assert "CODEPAY-1.4a.1" in page and item.get_absolute_url() in page

    frozen.move_to(datetime.combine(due + timedelta(days=1), time(9), UTC))
    client.force_login(member)  # days later, a new session
    page = team_page(client).content.decode()
    assert ">Stale: review overdue</span>" in page
    assert "CODEPAY-1.4a.1" in page


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 200),
        ("member", 200),
        ("reviewer", 200),
        ("auditor", 200),
        ("outsider", 404),
        ("nobody", 404),
    ],
)
def test_who_may_see_the_team_schedule(client, duties, request, role, expected):
    client.force_login(request.getfixturevalue(role))
    assert team_page(client).status_code == expected


def test_an_unknown_team_is_404(client, member):
    client.force_login(member)
    assert team_page(client, "no-such-team").status_code == 404


@pytest.mark.parametrize("name", ["schedule", "team_schedule"])
def test_anonymous_visitors_are_sent_to_sign_in(client, team, name):
    url = reverse(f"checklists:{name}", args=[team.slug] if name == "team_schedule" else [])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("role", "ours", "theirs"),
    [
        ("lead", True, False),
        ("member", True, False),
        ("reviewer", True, True),
        ("auditor", True, True),
        ("outsider", False, True),
        ("nobody", False, False),
    ],
)
def test_the_schedule_covers_the_teams_one_may_see(client, duties, request, role, ours, theirs):
    client.force_login(request.getfixturevalue(role))

    response = schedule_page(client)

    assert response.status_code == 200
    page = response.content.decode()
    assert ("Late access review" in page) is ours
    assert ("Ojek restore test" in page) is theirs


def test_the_schedule_lists_overdue_first_across_teams(client, duties, reviewer):
    client.force_login(reviewer)
    page = schedule_page(client).content.decode()
    positions = order_of(
        page, "Older overdue", "Late access review", "Ojek restore test", "Soon key rotation"
    )
    assert positions == sorted(positions)


def test_the_team_filter(client, duties, reviewer):
    client.force_login(reviewer)

    page = schedule_page(client, team="ojek-cepat").content.decode()

    assert "Ojek restore test" in page
    assert "Late access review" not in page
    assert '<option value="ojek-cepat" selected>' in page


def test_filtering_by_a_team_one_may_not_see_is_refused_next_to_the_field(client, duties, member):
    client.force_login(member)

    page = schedule_page(client, team="ojek-cepat").content.decode()

    assert "Choose one of your teams" in page
    assert "Ojek restore test" not in page


def test_the_filter_is_kept_across_pages(
    client, frozen, team, other_team, lead, outsider, reviewer
):
    for number in range(51):
        make_obligation(other_team, outsider, f"Ojek duty {number:02}", TODAY)
    make_obligation(team, lead, "Kopi duty", TODAY)
    client.force_login(reviewer)

    first = schedule_page(client, team="ojek-cepat").content.decode()
    assert "Page 1 of 2" in first
    assert "?team=ojek-cepat&amp;page=2" in first
    second = schedule_page(client, team="ojek-cepat", page=2).content.decode()
    assert "Ojek duty" in second
    assert "Kopi duty" not in second


def test_the_team_schedule_queries_do_not_grow(
    client, frozen, team, lead, member, django_assert_max_num_queries
):
    make_obligation(team, lead, "Duty 0", TODAY, owner=member)
    client.force_login(member)
    with django_assert_max_num_queries(30) as few:
        team_page(client)
    for number in range(1, 10):
        make_obligation(team, lead, f"Duty {number}", TODAY + timedelta(days=number), owner=lead)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = team_page(client).content.decode()
    assert "Duty 9" in page


@pytest.mark.parametrize("viewer", ["lead", "reviewer"])
def test_the_schedule_queries_do_not_grow_with_teams(
    client, db, frozen, request, viewer, django_assert_max_num_queries
):
    lead = make_user("team-lead")

    def add_team(number):
        team = accounts.team_create(name=f"Team {number}", slug=f"team-{number}")
        accounts.membership_add(team=team, user=lead, role="lead")
        make_obligation(team, lead, f"Team {number} duty", TODAY, owner=lead)

    add_team(0)
    client.force_login(lead if viewer == "lead" else request.getfixturevalue("reviewer"))
    with django_assert_max_num_queries(30) as few:
        schedule_page(client)
    for number in range(1, 10):
        add_team(number)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = schedule_page(client).content.decode()
    assert "Team 9 duty" in page
