"""The main navigation offers each role the links permissions.py says it may follow."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from guardian.shortcuts import assign_perm

from portal.accounts.permissions import AUDITORS_GROUP, audit_visibility, navigation_for
from tests.conftest import make_user

REVIEW_LINK = 'href="/review/"'
AUDIT_LINK = 'href="/audit/"'
ADMIN_LINK = 'href="/admin/"'


def _page(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("accounts:team_list")).content.decode()


@pytest.mark.parametrize(
    "who, review, audit, admin",
    [
        ("member", False, False, False),
        ("lead", False, True, False),
        ("reviewer", True, True, False),
        ("auditor", False, True, False),
        ("admin_user", True, True, True),
        ("nobody", False, False, False),
    ],
)
def test_it_links_what_each_role_may_open(client, request, who, review, audit, admin):
    page = _page(client, request.getfixturevalue(who))
    assert (REVIEW_LINK in page, AUDIT_LINK in page, ADMIN_LINK in page) == (review, audit, admin)


def test_every_offered_link_opens(client, lead, reviewer, auditor):
    for user, url in ((lead, "/audit/"), (reviewer, "/review/"), (auditor, "/audit/")):
        client.force_login(user)
        assert client.get(url).status_code == 200, (user, url)


def test_a_team_lead_opens_the_audit_trail_from_the_navigation(client, team, lead):
    page = _page(client, lead)
    assert AUDIT_LINK in page
    assert audit_visibility(lead).team_ids == {team.pk}


def test_a_reviewer_on_one_team_gets_the_review_queue(client, team, other_team):
    person = make_user("person")
    assign_perm("accounts.review_team", person, team)
    assert navigation_for(person).review_queue
    client.force_login(person)
    assert client.get(reverse("checklists:review_queue")).status_code == 200


def test_the_review_queue_is_404_without_review_permission(client, member):
    client.force_login(member)
    assert client.get(reverse("checklists:review_queue")).status_code == 404


def test_audit_visibility_follows_the_permission_not_the_group_name(auditor):
    Group.objects.filter(name=AUDITORS_GROUP).update(name="External auditors")
    visibility = audit_visibility(type(auditor).objects.get(pk=auditor.pk))
    assert visibility.every_team and visibility.teamless


def test_the_audit_permission_alone_shows_every_event(nobody):
    nobody.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    visibility = audit_visibility(type(nobody).objects.get(pk=nobody.pk))
    assert visibility.every_team and visibility.teamless


def test_reviewers_see_every_team_but_not_teamless_events(reviewer):
    visibility = audit_visibility(reviewer)
    assert visibility.every_team and not visibility.teamless


def test_members_see_no_events(member):
    assert not audit_visibility(member).any


def test_reports_are_linked_for_who_may_use_them(client, team, lead, member, reviewer):
    from django.urls import reverse

    client.force_login(reviewer)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert reverse("checklists:organisation_report_list") in page
    assert reverse("checklists:report_list", args=[team.slug]) in page
    client.force_login(lead)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert reverse("checklists:report_list", args=[team.slug]) in page
    assert reverse("checklists:organisation_report_list") not in page
    client.force_login(member)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert reverse("checklists:report_list", args=[team.slug]) not in page
    assert reverse("checklists:report_verify") in page
