from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists.models import Attestation, ExportStatus, ReportExport, ReportKind, ReportScope
from checklists.selectors import team_home as selectors
from checklists.services import reviews
from portal.accounts import services as accounts
from portal.accounts.models import Role
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
)
from tests.checklists.obligations.helpers import make_obligation
from tests.conftest import make_user


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead, providers=("gopay",))


def _url(team) -> str:
    return reverse("checklists:team_home", args=[team.slug])


def _signed_report(team, *, period="2026-Q3", finished_days_ago=3, **fields) -> ReportExport:
    finished = timezone.now() - timedelta(days=finished_days_ago)
    return ReportExport.objects.create(
        scope=ReportScope.TEAM,
        team=team,
        period=period,
        kind=fields.pop("kind", ReportKind.FINAL),
        status=ExportStatus.DONE,
        requested_at=finished - timedelta(minutes=1),
        finished_at=finished,
        blob_name=f"reports/{period}.pdf",
        sha256="a" * 64,
        content_sha256="b" * 64,
        signer_subject="CN=Compliance portal report signing",
        signer_fingerprint="c" * 64,
        **fields,
    )


# Who may open it ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "lead", "reviewer", "auditor"])
def test_it_opens_for_the_team_and_portal_roles(client, checklist, team, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(team)).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "nobody"])
def test_it_answers_404_to_people_outside_the_team(client, checklist, team, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(team)).status_code == 404


def test_it_requires_sign_in(client, team):
    response = client.get(_url(team))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_post(client, team, member):
    client.force_login(member)
    assert client.post(_url(team)).status_code == 405


def test_the_team_page_links_to_the_home(client, team, member):
    client.force_login(member)
    page = client.get(reverse("accounts:team_detail", args=[team.slug])).content.decode()
    assert f'href="{_url(team)}"' in page


# What it shows -----------------------------------------------------------------------------


def test_the_progress_splits_each_answer_into_one_segment(checklist, member, reviewer):
    approved = attestation_of(checklist, "GOPAY-1.2")
    answer(approved, member, addresses_all=False)
    submit(approved, member)
    approve(approved, reviewer)
    answer(attestation_of(checklist, "GOPAY-1.3"), member, addresses_all=False)
    total = checklist.attestations.count()

    home = selectors.team_home(checklist.team, member, today=timezone.localdate(), with_todo=True)

    assert home.checklist == checklist
    assert home.progress["provider"] == [
        {
            "key": "GoPay",
            "label": "GoPay",
            "total": total,
            "approved": 1,
            "stale": 0,
            "answered": 1,
            "unanswered": total - 2,
        }
    ]
    assert sum(row["total"] for row in home.progress["category"]) == total
    credentials = next(r for r in home.progress["category"] if r["key"] == "credentials")
    assert credentials["label"] == "Credentials"
    assert home.totals == {"total": total, "answered": 2, "approved": 1, "stale": 0}


def test_it_draws_the_progress_by_provider_and_category(client, checklist, team, member):
    answer(attestation_of(checklist, "GOPAY-1.2"), member, addresses_all=False)
    total = checklist.attestations.count()
    client.force_login(member)
    page = client.get(_url(team)).content.decode()
    section = page.split('id="home-progress"')[1].split("</section>")[0]
    assert section.count('role="img"') == 2
    assert "2026-Q4 progress by provider" in section
    assert (
        f"GoPay: {total} in all; 0 approved, 0 approval stale, 1 answered, not approved" in section
    )
    assert "Credentials: 4 in all; 0 approved, 0 approval stale, 1 answered" in section
    assert f'href="{checklist.get_absolute_url()}">Open the 2026-Q4 checklist' in section


def test_it_shows_my_work_in_this_team_only(client, catalog, checklist, team, other_team, member):
    mine = attestation_of(checklist, "GOPAY-1.2")
    Attestation.objects.filter(pk=mine.pk).update(owner=member)
    sent_back = attestation_of(checklist, "GOPAY-1.3")
    answer(sent_back, member, addresses_all=False)
    submit(sent_back, member)
    sent_back.refresh_from_db()
    reviews.review_request_changes(
        attestation=sent_back,
        by=make_reviewer(),
        comment="Name the vault path.",
        expected_version=sent_back.version,
    )
    # The same person in another team, with work there: not on this team's home.
    accounts.membership_add(team=other_team, user=member, role=Role.MEMBER)
    elsewhere = make_checklist(other_team, member, providers=("mixpay",))
    Attestation.objects.filter(checklist=elsewhere).update(owner=member)

    client.force_login(member)
    page = client.get(_url(team)).content.decode()

    todo = page.split('id="home-todo"')[1].split("</section>")[0]
    assert "Changes requested" in todo and "GOPAY-1.3" in todo
    assert "Unanswered, owned by me" in todo and "GOPAY-1.2" in todo
    assert "MIXPAY" not in page
    assert reverse("checklists:todo") in todo


def make_reviewer():
    from portal.accounts.permissions import REVIEWERS_GROUP

    user = make_user("second-reviewer")
    accounts.global_role_grant(user=user, group_name=REVIEWERS_GROUP)
    return user


def test_a_reviewer_has_no_todo_section_but_reaches_the_report(client, checklist, team, reviewer):
    report = _signed_report(team)
    client.force_login(reviewer)
    page = client.get(_url(team)).content.decode()
    assert 'id="home-todo"' not in page
    assert reverse("checklists:report_download", args=[team.slug, report.pk]) in page


def test_the_last_signed_report_is_the_latest_finished(client, checklist, team, lead, member):
    _signed_report(team, period="2026-Q2", finished_days_ago=40)
    latest = _signed_report(team, period="2026-Q3", finished_days_ago=2, kind=ReportKind.DRAFT)
    ReportExport.objects.create(
        scope=ReportScope.TEAM, team=team, period="2026-Q4", kind=ReportKind.DRAFT
    )  # queued: not signed yet
    client.force_login(lead)
    page = client.get(_url(team)).content.decode()
    section = page.split('id="home-report"')[1].split("</section>")[0]
    assert "2026-Q3" in section and "2026-Q2" not in section and "2026-Q4" not in section
    assert "Draft (the period is still open)" in section
    assert "CN=Compliance portal report signing" in section
    assert latest.finished_at.strftime("%Y-%m-%d %H:%M") in section
    assert reverse("checklists:report_download", args=[team.slug, latest.pk]) in section
    assert reverse("checklists:report_verify") in section

    # A member may not download reports: the facts, the verify page, no download link.
    client.force_login(member)
    section = client.get(_url(team)).content.decode().split('id="home-report"')[1]
    assert "2026-Q3" in section and reverse("checklists:report_verify") in section
    assert "/download" not in section


def test_it_counts_unowned_controls_and_links_to_them(client, checklist, team, lead, member):
    total = checklist.attestations.count()
    Attestation.objects.filter(
        pk__in=[attestation_of(checklist, ref).pk for ref in ("GOPAY-1.2", "GOPAY-1.3")]
    ).update(owner=member)
    assert selectors.unowned_count(checklist) == total - 2

    client.force_login(member)
    page = client.get(_url(team)).content.decode()
    unowned = f"{checklist.get_absolute_url()}?owner=none"
    assert f'<strong class="big-number">{total - 2}</strong> of {total}' in page
    assert f'href="{unowned}"' in page
    assert "Assign owners in bulk" not in page

    client.force_login(lead)
    assert (
        f'href="{unowned}#controls">Assign owners in bulk'
        in client.get(_url(team)).content.decode()
    )


def test_it_lists_what_falls_due_in_the_next_30_days(client, checklist, team, lead, member):
    today = timezone.localdate()
    make_obligation(team, lead, title="Rotate the GoPay client token", starts_on=today)
    make_obligation(
        team, lead, title="Yearly disaster recovery test", starts_on=today + timedelta(days=60)
    )
    due = attestation_of(checklist, "GOPAY-1.2")
    answer(due, member, addresses_all=False, due_date=today + timedelta(days=5))

    items = selectors.falling_due(team, checklist, today=today)
    titles = [item.title for item in items]
    assert "Rotate the GoPay client token" in titles
    assert "Yearly disaster recovery test" not in titles
    answer_item = next(item for item in items if item.kind == selectors.KIND_ANSWER_DUE)
    assert answer_item.title.startswith("GOPAY-1.2 ")
    assert answer_item.due_on == today + timedelta(days=5)
    assert [item.due_on for item in items] == sorted(item.due_on for item in items)

    client.force_login(member)
    page = client.get(_url(team)).content.decode()
    section = page.split('id="home-due"')[1]
    assert "Rotate the GoPay client token" in section and "GOPAY-1.2" in section


def test_an_approved_answer_with_a_due_date_no_longer_falls_due(checklist, member, reviewer):
    today = timezone.localdate()
    item = attestation_of(checklist, "GOPAY-1.2")
    answer(item, member, addresses_all=False, due_date=today + timedelta(days=5))
    submit(item, member)
    assert not [
        i
        for i in selectors.falling_due(checklist.team, checklist, today=today)
        if i.kind == selectors.KIND_ANSWER_DUE
    ]


def test_a_team_without_a_checklist_is_offered_one(client, team, member):
    client.force_login(member)
    page = client.get(_url(team)).content.decode()
    assert "The team has no checklist yet." in page
    assert reverse("checklists:checklist_list", args=[team.slug]) in page


def test_the_queries_do_not_grow_with_the_team(
    client, catalog, team, lead, member, django_assert_max_num_queries
):
    today = timezone.localdate()
    small = make_checklist(team, lead, period="2026-Q3", providers=("mixpay",))
    Attestation.objects.filter(checklist=small).update(owner=member)
    client.force_login(lead)
    with django_assert_max_num_queries(40) as few:
        client.get(_url(team))

    large = make_checklist(
        team, lead, period="2026-Q4", providers=("codepay", "wechat", "gopay"), asvs_level=2
    )
    Attestation.objects.filter(checklist=large, control__ref__startswith="GOPAY").update(
        owner=lead, due_date=today + timedelta(days=3)
    )
    for number in range(5):
        make_obligation(team, lead, title=f"Duty {number}", starts_on=today, owner=lead)
        _signed_report(team, period=f"2025-Q{number % 4 + 1}", kind=ReportKind.DRAFT)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(_url(team)).content.decode()
    assert "Duty 4" in page and "2026-Q4" in page
