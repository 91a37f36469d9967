from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from checklists.models import Attestation, ObligationKind, ReviewState
from checklists.periods import Quarter
from checklists.schedule import Rule
from checklists.selectors.posture import PostureFilters, approved_trend, heat_map
from checklists.services import reviews
from checklists.services.obligations import obligation_create
from checklists.services.owners import attestations_assign_owner
from portal.accounts import services as accounts
from portal.accounts.models import Role, Team
from portal.accounts.permissions import navigation_for
from tests.checklists.assessment_helpers import answer, make_checklist, submit
from tests.conftest import make_user

URL = reverse("checklists:posture_dashboard")
DASHBOARD_URLS = {"posture_dashboard"}  # walked for every role here
PERIOD = str(Quarter.current())


def plain(team, n: int) -> list[Attestation]:
    """`n` of the team's current answers outside any equivalence group, so each counts once."""
    return list(
        Attestation.objects.filter(
            checklist__team=team, checklist__period=PERIOD, control__equivalence_group__isnull=True
        ).order_by("control__ref")[:n]
    )


def approve(attestation, reviewer):
    attestation.refresh_from_db()
    reviews.review_approve(
        attestation=attestation,
        by=reviewer,
        expected_version=attestation.version,
        comment="Checked in the provider's console.",
    )


def owned_and_approved(team, member, reviewer, *, owned: int, approved: int):
    """`owned` answers owned by `member` (the team's lead assigns them), the first `approved`
    of them approved."""
    rows = plain(team, owned)
    lead = team.memberships.get(role=Role.LEAD).user
    attestations_assign_owner(
        checklist=rows[0].checklist, ids=[a.pk for a in rows], owner=member, by=lead
    )
    for index, attestation in enumerate(rows):
        answer(attestation, member, owner=member)
        if index < approved:
            submit(attestation, member)
            approve(attestation, reviewer)
    return rows


def overdue_obligation(team, by, kind=ObligationKind.ACCESS_REVIEW, days=10):
    return obligation_create(
        team=team,
        kind=kind,
        title=f"{kind} of {team.name}",
        rule=Rule("days", 90),
        by=by,
        owner=None,
        starts_on=timezone.localdate() - timedelta(days=days),
        description="",
    )


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


# Who may open it --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "lead", "outsider", "nobody"])
def test_it_is_not_found_for_team_people(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("role", ["reviewer", "auditor", "admin_user"])
def test_it_opens_for_those_who_see_every_team(client, request, role, team):
    client.force_login(request.getfixturevalue(role))
    response = client.get(URL)
    assert response.status_code == 200
    assert f'href="{URL}" aria-current="page">Dashboard</a>' in response.text


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_post(reviewer_client):
    assert reviewer_client.post(URL).status_code == 405


@pytest.mark.parametrize("role", ["member", "lead", "outsider", "nobody"])
def test_team_people_see_no_dashboard_link(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert ">Dashboard</a>" not in client.get(reverse("checklists:todo")).text


def test_a_grant_on_one_team_does_not_open_the_dashboard(client, team, nobody):
    assign_perm("accounts.view_team", nobody, team)
    assert not navigation_for(nobody).dashboard
    client.force_login(nobody)
    assert client.get(URL).status_code == 404


# What it shows ----------------------------------------------------------------------------


def test_a_team_with_two_of_four_owned_answers_approved_shows_50_percent(
    client, catalog, team, lead, member, reviewer
):
    make_checklist(team, lead, period=PERIOD, providers=("gopay",))
    owned_and_approved(team, member, reviewer, owned=4, approved=2)
    client.force_login(reviewer)

    page = client.get(URL, {"owner": "member"}).text

    assert "Kopi Kita, GoPay: 2 of 4 approved: 50 %." in page
    assert ">50 %</text>" in page  # the number is printed in the cell
    checklist = reverse("checklists:checklist_detail", args=[team.slug, PERIOD])
    assert f'href="{checklist}?provider=gopay&amp;owner=member"' in page


def test_the_heat_map_counts_approved_per_provider(catalog, team, lead, member, reviewer):
    make_checklist(team, lead, period=PERIOD, providers=("gopay", "mixpay"))
    approved = owned_and_approved(team, member, reviewer, owned=1, approved=1)[0]
    provider = approved.control.source.provider

    heat = heat_map(Team.objects.all(), period=Quarter.current(), filters=PostureFilters())

    [row] = heat.rows
    cells = {cell.provider_slug: cell for cell in row.cells}
    assert cells[provider.slug].approved == 1
    assert (
        cells[provider.slug].total
        == Attestation.objects.filter(
            checklist__team=team, control__source__provider=provider
        ).count()
    )
    assert row.total == Attestation.objects.filter(checklist__team=team).count()
    assert row.approved == 1


def test_severity_narrows_the_heat_map(catalog, team, lead):
    make_checklist(team, lead, period=PERIOD, providers=("gopay",))
    heat = heat_map(
        Team.objects.all(), period=Quarter.current(), filters=PostureFilters(severity="critical")
    )
    assert (
        heat.rows[0].total
        == Attestation.objects.filter(checklist__team=team, control__severity="critical").count()
    )


def test_teams_without_a_checklist_are_listed_apart(
    reviewer_client, catalog, team, other_team, lead
):
    make_checklist(team, lead, period=PERIOD)
    page = reviewer_client.get(URL).text
    assert f"Teams with no checklist for {PERIOD} (1)" in page
    no_checklist = page.split("Teams with no checklist")[1]
    assert "Ojek Cepat" in no_checklist and "Kopi Kita" not in no_checklist


def test_the_queue_shows_size_and_age_and_links_to_the_queue(
    reviewer_client, catalog, team, lead, member
):
    make_checklist(team, lead, period=PERIOD, providers=("gopay",))
    old, new = plain(team, 2)
    for attestation in (old, new):
        answer(attestation, member)
        submit(attestation, member)
    Attestation.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=40))
    Attestation.objects.filter(pk=new.pk).update(submitted_at=timezone.now() - timedelta(days=8))

    response = reviewer_client.get(URL)

    queue = response.context["queue"]
    assert queue.waiting == 2
    assert queue.older_than == {7: 2, 30: 1}
    assert f'<a href="{reverse("checklists:review_queue")}?older_than_days=30">1</a>' in (
        response.text
    )


def test_an_auditor_sees_queue_figures_without_links_to_a_queue_they_cannot_open(
    client, auditor, catalog, team, lead
):
    client.force_login(auditor)
    page = client.get(URL).text
    assert reverse("checklists:review_queue") not in page


def test_overdue_and_stale_are_listed_by_team_with_links(
    reviewer_client, catalog, team, other_team, lead, member, reviewer
):
    make_checklist(team, lead, period=PERIOD, providers=("gopay",))
    [approved] = owned_and_approved(team, member, reviewer, owned=1, approved=1)
    Attestation.objects.filter(pk=approved.pk).update(
        next_review_due=timezone.localdate() - timedelta(days=1)
    )
    overdue_obligation(team, lead)

    response = reviewer_client.get(URL)

    [row] = response.context["attention"]
    assert (row["team"], row["overdue"], row["stale"]) == (team, 1, 1)
    stale_url = reverse("checklists:checklist_detail", args=[team.slug, PERIOD]) + "?state=stale"
    assert f'href="{stale_url}"' in response.text
    assert reverse("checklists:team_schedule", args=[team.slug]) in response.text


def test_overdue_access_reviews_and_key_rotations_are_counted_and_linked(
    reviewer_client, team, other_team, lead, outsider
):
    review = overdue_obligation(team, lead, ObligationKind.ACCESS_REVIEW, days=20)
    overdue_obligation(other_team, outsider, ObligationKind.KEY_ROTATION, days=5)
    overdue_obligation(other_team, outsider, ObligationKind.SECURITY_AUDIT, days=5)

    response = reviewer_client.get(URL)

    duties = response.context["duties"]
    assert [count for _, _, count in duties.by_kind] == [1, 1]
    assert [o.obligation.kind for o in duties.oldest] == ["access-review", "key-rotation"]
    assert review.occurrences.get().get_absolute_url() in response.text


def test_the_trend_gives_each_of_the_last_four_quarters(catalog, team, lead, member, reviewer):
    current = Quarter.current()
    make_checklist(team, lead, period=str(current.previous()), providers=("gopay",))
    make_checklist(team, lead, period=PERIOD, providers=("gopay",))
    owned_and_approved(team, member, reviewer, owned=2, approved=1)

    trend = approved_trend(Team.objects.all(), until=current, filters=PostureFilters(owner=member))

    assert [point.period for point in trend] == [
        str(current.previous().previous().previous()),
        str(current.previous().previous()),
        str(current.previous()),
        PERIOD,
    ]
    assert [(p.approved, p.total) for p in trend] == [(0, 0), (0, 0), (0, 0), (1, 2)]
    assert [p.share for p in trend] == [None, None, None, 0.5]


def test_the_trend_is_drawn_with_its_numbers(reviewer_client, catalog, team, lead):
    make_checklist(team, lead, period=PERIOD, providers=("gopay",))
    page = reviewer_client.get(URL).text
    assert "Share of controls approved, last four quarters" in page
    assert f"{PERIOD}: 0 %." in page


def test_a_filter_that_is_not_a_choice_is_reported_and_left_out(reviewer_client, team):
    response = reviewer_client.get(URL, {"severity": "dire", "owner": "someone-else"})
    assert response.status_code == 200
    assert "“dire” is not one of the choices" in response.text
    assert "“someone-else” is not a member of these teams" in response.text


def test_names_are_escaped(reviewer_client, catalog, lead):
    hostile = accounts.team_create(name="<script>x</script>", slug="hostile")
    make_checklist(hostile, lead, period=PERIOD, providers=("gopay",))
    page = reviewer_client.get(URL).text
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


# Cost -------------------------------------------------------------------------------------


def _teams_with_work(count: int, reviewer) -> None:
    for n in range(count):
        team = accounts.team_create(name=f"Team {n:02d}", slug=f"team-{n:02d}")
        person = make_user(f"person-{n:02d}")
        accounts.membership_add(team=team, user=person, role=Role.LEAD)
        if n % 3 == 2:
            continue  # some teams have no checklist
        make_checklist(team, person, period=PERIOD, providers=("gopay", "mixpay"))
        first, second = plain(team, 2)
        attestations_assign_owner(
            checklist=first.checklist, ids=[first.pk], owner=person, by=person
        )
        answer(first, person, owner=person)
        submit(first, person)
        answer(second, person)
        submit(second, person)
        approve(second, reviewer)
        overdue_obligation(team, person, ObligationKind.KEY_ROTATION)


@pytest.mark.parametrize(
    "filters", [{}, {"provider": "gopay", "severity": "high", "owner": "none"}]
)
def test_the_page_costs_the_same_for_3_and_30_teams(
    client, catalog, reviewer, django_assert_max_num_queries, filters
):
    client.force_login(reviewer)
    _teams_with_work(3, reviewer)
    with django_assert_max_num_queries(20) as small:
        assert client.get(URL, filters).status_code == 200
    for n in range(3, 30):
        team = accounts.team_create(name=f"Later {n:02d}", slug=f"later-{n:02d}")
        person = make_user(f"later-{n:02d}")
        accounts.membership_add(team=team, user=person, role=Role.LEAD)
        make_checklist(team, person, period=PERIOD, providers=("gopay", "mixpay", "wechat"))
        overdue_obligation(team, person)
    assert Team.objects.count() == 30
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(URL, filters)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(response.context["heat_rows"]) >= 27
    assert Attestation.objects.filter(review_state=ReviewState.APPROVED).exists()
