import pytest
from django.http import Http404

from portal.accounts.permissions import get_team_or_404, has_team_perm, teams_for


def test_it_gives_members_their_own_team_only(team, other_team, member):
    assert list(teams_for(member)) == [team]
    assert list(teams_for(member, "attest_team")) == [team]
    assert not teams_for(member, "manage_team").exists()


def test_it_gives_leads_management_of_their_team(team, lead):
    assert list(teams_for(lead, "manage_team")) == [team]
    assert has_team_perm(lead, "export_team", team)


def test_it_gives_reviewers_every_team_to_review(team, other_team, reviewer):
    assert set(teams_for(reviewer, "review_team")) == {team, other_team}
    assert not teams_for(reviewer, "attest_team").exists()


def test_it_gives_auditors_read_only_access(team, other_team, auditor):
    assert set(teams_for(auditor)) == {team, other_team}
    assert not teams_for(auditor, "attest_team").exists()
    assert not has_team_perm(auditor, "review_team", team)


def test_it_answers_404_for_another_teams_object(team, outsider):
    with pytest.raises(Http404):
        get_team_or_404(outsider, team.slug)


def test_it_gives_nothing_to_inactive_users(team, member):
    member.is_active = False
    member.save()
    assert not teams_for(member).exists()


def test_it_rejects_unknown_permissions(team, member):
    with pytest.raises(ValueError, match="unknown team permission"):
        teams_for(member, "delete_everything")
