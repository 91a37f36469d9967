"""The checklist page's filters, search, grouping and pagination."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists.models import AnswerStatus, Attestation, Category
from checklists.rules import ProgressState
from checklists.services import reviews
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    attestation_of,
    make_checklist,
    submit,
)


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead, providers=("codepay", "mixpay"), asvs_level=1)


def _refs(client, checklist, **params) -> list[str]:
    response = client.get(checklist.get_absolute_url(), params)
    assert response.status_code == 200
    return [a.control.ref for a in response.context["page"].paginator.object_list]


@pytest.fixture
def one_of_each_state(checklist, member, reviewer):
    """An ASVS answer in each state (ASVS controls stand alone: no equivalence groups)."""
    refs = {
        ProgressState.DRAFT: "ASVS-V2.1.1",
        ProgressState.SUBMITTED: "ASVS-V2.1.2",
        ProgressState.CHANGES_REQUESTED: "ASVS-V2.1.3",
        ProgressState.APPROVED: "ASVS-V2.1.4",
        ProgressState.STALE: "ASVS-V2.1.5",
    }
    items = {state: attestation_of(checklist, ref) for state, ref in refs.items()}
    for state, item in items.items():
        answer(item, member)
        if state != ProgressState.DRAFT:
            submit(item, member)
    item = items[ProgressState.CHANGES_REQUESTED]
    item.refresh_from_db()
    reviews.review_request_changes(
        attestation=item, by=reviewer, comment="Name the length.", expected_version=item.version
    )
    approve(items[ProgressState.APPROVED], reviewer)
    approve(items[ProgressState.STALE], reviewer)
    Attestation.objects.filter(pk=items[ProgressState.STALE].pk).update(
        next_review_due=timezone.localdate() - timedelta(days=1)
    )
    refs[ProgressState.UNANSWERED] = "ASVS-V2.1.6"
    return refs


def test_it_filters_by_every_state(client, checklist, member, one_of_each_state):
    client.force_login(member)
    assert set(one_of_each_state) == set(ProgressState.values)
    for state, ref in one_of_each_state.items():
        shown = _refs(client, checklist, state=state)
        assert ref in shown, state
        others = {r for s, r in one_of_each_state.items() if s != state}
        assert not others & set(shown), state
    unanswered = _refs(client, checklist, state=ProgressState.UNANSWERED)
    answered = set(
        checklist.attestations.exclude(status=AnswerStatus.UNANSWERED).values_list(
            "control__ref", flat=True
        )
    )
    assert unanswered and not answered & set(unanswered)


def test_it_shows_each_rows_state(client, checklist, member, one_of_each_state):
    client.force_login(member)
    page = client.get(checklist.get_absolute_url(), {"provider": "asvs"}).content.decode()
    assert "Changes requested" in page and "Awaiting review" in page and "Stale: review due" in page


def test_it_filters_by_provider_category_and_owner(client, checklist, lead, member):
    client.force_login(member)
    assert {ref.split("-")[0] for ref in _refs(client, checklist, provider="mixpay")} == {"MIXPAY"}
    assert all(ref.startswith("ASVS-") for ref in _refs(client, checklist, provider="asvs"))
    transport = _refs(client, checklist, category=Category.TRANSPORT)
    assert transport and set(transport) == set(
        checklist.attestations.filter(control__category=Category.TRANSPORT).values_list(
            "control__ref", flat=True
        )
    )
    Attestation.objects.filter(
        checklist=checklist, control__ref__in=["MIXPAY-1", "ASVS-V2.1.1"]
    ).update(owner=member)
    Attestation.objects.filter(checklist=checklist, control__ref="MIXPAY-2").update(owner=lead)
    assert set(_refs(client, checklist, owner="me")) == {"MIXPAY-1", "ASVS-V2.1.1"}
    assert _refs(client, checklist, owner="lead") == ["MIXPAY-2"]
    unowned = _refs(client, checklist, owner="none")
    assert len(unowned) == checklist.attestations.count() - 3
    assert not {"MIXPAY-1", "MIXPAY-2", "ASVS-V2.1.1"} & set(unowned)


def test_a_control_answered_through_another_has_that_answers_owner(
    client, catalog, team, lead, member
):
    checklist = make_checklist(team, lead, providers=("gopay", "codepay"))
    covered = checklist.attestations.filter(satisfied_through__isnull=False).first()
    Attestation.objects.filter(pk=covered.satisfied_through_id).update(owner=member)
    client.force_login(member)
    assert covered.control.ref in _refs(client, checklist, owner="me")
    assert covered.control.ref not in _refs(client, checklist, owner="none")


def test_it_searches_ref_title_and_requirement(client, checklist, member):
    client.force_login(member)
    assert _refs(client, checklist, q="v2.1.1") == [
        "ASVS-V2.1.1",
        "ASVS-V2.1.10",
        "ASVS-V2.1.11",
        "ASVS-V2.1.12",
    ]
    by_title = _refs(client, checklist, q="Password Security")
    assert by_title and all(ref.startswith("ASVS-V2.1.") for ref in by_title)
    by_text = _refs(client, checklist, q="at least 12 characters")
    assert by_text == ["ASVS-V2.1.1"]


def test_filters_combine(client, checklist, member):
    Attestation.objects.filter(checklist=checklist, control__ref="ASVS-V2.1.2").update(owner=member)
    client.force_login(member)
    shown = _refs(
        client,
        checklist,
        provider="asvs",
        category=Category.AUTHENTICATION,
        state=ProgressState.UNANSWERED,
        owner="none",
        q="password",
    )
    assert "ASVS-V2.1.1" in shown and "ASVS-V2.1.2" not in shown
    assert all(ref.startswith("ASVS-V2.") for ref in shown)
    response = client.get(checklist.get_absolute_url(), {"provider": "asvs", "q": "password"})
    page = response.content.decode()
    total = checklist.attestations.count()
    assert f"Showing <strong>{response.context['page'].paginator.count}</strong> of {total}" in page
    assert "Clear filters" in page


def test_it_groups_the_asvs_baseline_by_chapter_and_the_rest_by_provider(client, checklist, member):
    client.force_login(member)
    response = client.get(checklist.get_absolute_url(), {"provider": "asvs"})
    groups = {group["title"]: group["rows"] for group in response.context["groups"]}
    assert "OWASP ASVS V2: Authentication" in groups
    assert all(
        a.control.ref.startswith("ASVS-V2.") for a in groups["OWASP ASVS V2: Authentication"]
    )
    first = client.get(checklist.get_absolute_url()).context["groups"]
    assert [group["title"] for group in first][:2] == ["CodePay", "MixPay"]
    assert [g["title"] for g in first][2:] == [
        "OWASP ASVS V2: Authentication",
        "OWASP ASVS V3: Session Management",
    ]
    page = response.content.decode()
    assert '<th scope="colgroup" colspan="5">OWASP ASVS V2: Authentication</th>' in page


def test_rows_show_the_requirement_where_titles_repeat(client, checklist, member):
    client.force_login(member)
    page = client.get(checklist.get_absolute_url(), {"q": "V2.1.1"}).content.decode()
    assert "at least 12 characters in length" in page


def test_the_filters_are_kept_in_the_pagination_and_the_assignment_form(client, checklist, lead):
    client.force_login(lead)
    response = client.get(checklist.get_absolute_url(), {"provider": "asvs", "owner": "none"})
    page = response.content.decode()
    assert response.context["page"].paginator.num_pages == 2
    assert 'href="?provider=asvs&amp;owner=none&amp;page=2#controls"' in page
    owners_url = reverse("checklists:checklist_assign_owner", args=[checklist.team.slug, "2026-Q4"])
    assert f'action="{owners_url}?provider=asvs&amp;owner=none"' in page
    second = client.get(
        checklist.get_absolute_url(), {"provider": "asvs", "owner": "none", "page": 2}
    )
    assert all(a.control.ref.startswith("ASVS-") for a in second.context["page"].object_list)
    assert second.context["page"].number == 2


def test_bad_filter_values_are_reported_and_the_rest_still_apply(client, checklist, member):
    client.force_login(member)
    response = client.get(
        checklist.get_absolute_url(),
        {
            "state": "bogus",
            "owner": "somebody-else",
            "provider": "nope",
            "category": Category.TRANSPORT,
            "page": "abc",
            "q": "x" * 500,
        },
    )
    assert response.status_code == 200
    errors = response.context["filter_form"].errors
    assert set(errors) == {"state", "owner", "provider", "q"}
    refs = [a.control.ref for a in response.context["page"].paginator.object_list]
    transport = set(
        checklist.attestations.filter(control__category=Category.TRANSPORT).values_list(
            "control__ref", flat=True
        )
    )
    assert refs and set(refs) == transport
    assert "“bogus” is not one of the choices; this filter is off." in response.content.decode()


def test_the_filtered_page_queries_do_not_grow(
    client, catalog, team, lead, django_assert_max_num_queries
):
    small = make_checklist(team, lead, period="2026-Q3", providers=("mixpay",))
    params = {"owner": "none", "state": "unanswered", "q": "a", "category": "privacy"}
    client.force_login(lead)
    with django_assert_max_num_queries(30) as few:
        client.get(small.get_absolute_url(), params)
    large = make_checklist(
        team, lead, period="2026-Q4", providers=("codepay", "wechat", "gopay"), asvs_level=2
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(large.get_absolute_url(), params)
