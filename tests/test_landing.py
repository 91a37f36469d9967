import pytest
from django.urls import reverse

from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.accounts.permissions import Landing, landing_for
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
)
from tests.conftest import PASSWORD


@pytest.fixture
def in_two_teams(team, other_team, member):
    accounts.membership_add(team=other_team, user=member, role=Role.LEAD)
    return member


# The rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "auditor", "admin_user"])
def test_portal_wide_roles_land_on_the_dashboard(who, request):
    assert landing_for(request.getfixturevalue(who)) == (Landing.DASHBOARD, None)


@pytest.mark.parametrize("who", ["member", "lead"])
def test_people_of_one_team_land_on_its_home(who, team, request):
    assert landing_for(request.getfixturevalue(who)) == (Landing.TEAM, team)


def test_people_of_several_teams_pick_one(in_two_teams):
    assert landing_for(in_two_teams) == (Landing.PICK, None)


def test_people_without_a_team_or_role_land_on_the_welcome(nobody):
    assert landing_for(nobody) == (Landing.NONE, None)


def test_a_deactivated_person_lands_nowhere(member, team):
    member.is_active = False
    assert landing_for(member) == (Landing.NONE, None)


# The page at / ----------------------------------------------------------------------------


def test_it_asks_strangers_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


@pytest.mark.parametrize("who", ["reviewer", "auditor"])
def test_reviewers_and_auditors_go_to_the_dashboard(client, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("checklists:posture_dashboard")


@pytest.mark.parametrize("who", ["member", "lead"])
def test_members_and_leads_go_to_their_team_home(client, team, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/")
    assert response["Location"] == reverse("checklists:team_home", args=[team.slug])
    assert client.get(response["Location"]).status_code == 200


def test_someone_in_several_teams_picks_one_with_its_posture(
    client, catalog, team, other_team, in_two_teams, lead, reviewer
):
    checklist = make_checklist(team, lead, providers=("gopay",))
    for ref in ("GOPAY-1.2", "GOPAY-1.3"):
        answer(attestation_of(checklist, ref), in_two_teams, addresses_all=False)
    done = attestation_of(checklist, "GOPAY-1.2")
    submit(done, in_two_teams)
    approve(done, reviewer)
    make_checklist(team, lead, period="2026-Q3", providers=("gopay",))  # an older period
    total = checklist.attestations.count()

    client.force_login(in_two_teams)
    response = client.get("/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Choose a team" in page
    assert page.index("Kopi Kita") < page.index("Ojek Cepat")
    assert reverse("checklists:team_home", args=[team.slug]) in page
    assert reverse("checklists:team_home", args=[other_team.slug]) in page
    assert f"2026-Q4: 2 of {total} answered · 1 approved" in page
    assert "No checklist yet" in page  # Ojek Cepat


def test_the_pick_page_queries_do_not_grow(
    client, catalog, team, other_team, in_two_teams, lead, django_assert_max_num_queries
):
    make_checklist(team, lead, providers=("mixpay",))
    client.force_login(in_two_teams)
    with django_assert_max_num_queries(20) as few:
        client.get("/")
    for number in range(3):
        extra = accounts.team_create(name=f"Team {number}", slug=f"team-{number}")
        accounts.membership_add(team=extra, user=in_two_teams, role=Role.MEMBER)
        make_checklist(extra, in_two_teams, providers=("gopay", "codepay"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/").content.decode()
    assert "Team 2" in page


def test_the_pick_page_shows_only_my_teams(client, catalog, team, other_team, in_two_teams, lead):
    hidden = accounts.team_create(name="Warung Rahasia", slug="warung-rahasia")
    make_checklist(hidden, lead, providers=("gopay",))
    client.force_login(in_two_teams)
    assert "Warung Rahasia" not in client.get("/").content.decode()


def test_someone_without_a_team_is_told_how_to_join_one(client, nobody):
    client.force_login(nobody)
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "You are not in a team yet" in page
    assert "Ask a lead of your team to invite you" in page
    assert "nobody@example.com" in page


def test_signing_in_starts_at_the_landing_page(client, team, member):
    response = client.post(reverse("login"), {"username": "member", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get("/")["Location"] == reverse("checklists:team_home", args=[team.slug])
