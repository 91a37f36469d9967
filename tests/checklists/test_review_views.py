from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists.models import Attestation, ReviewDecision, ReviewState
from tests.checklists.assessment_helpers import (
    answer,
    attestation_of,
    make_checklist,
    submit,
    upload,
)
from tests.conftest import add_authenticator, make_user

QUEUE = reverse("checklists:review_queue")
BULK = reverse("checklists:review_bulk_approve")


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead)


def _submitted(checklist, by, *refs):
    items = []
    for ref in refs:
        item = attestation_of(checklist, ref)
        answer(item, by)
        submit(item, by)
        item.refresh_from_db()
        items.append(item)
    return items


def _queue_refs(response):
    return [item.control.ref for item in response.context["page"]]


def test_the_queue_lists_oldest_first_and_filters(client, checklist, member, reviewer):
    older, newer, low = _submitted(checklist, member, "GOPAY-1.5", "GOPAY-1.2", "GOPAY-5.3")
    Attestation.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(days=9))
    client.force_login(reviewer)
    assert _queue_refs(client.get(QUEUE)) == ["GOPAY-1.5", "GOPAY-1.2", "GOPAY-5.3"]
    assert _queue_refs(client.get(QUEUE, {"severity": "critical"})) == ["GOPAY-1.2"]
    assert _queue_refs(client.get(QUEUE, {"older_than_days": 7})) == ["GOPAY-1.5"]
    assert _queue_refs(client.get(QUEUE, {"provider": "mixpay"})) == []
    assert _queue_refs(client.get(QUEUE, {"team": "kopi-kita"})) == [
        "GOPAY-1.5",
        "GOPAY-1.2",
        "GOPAY-5.3",
    ]


def test_the_queue_is_for_reviewers_only(client, checklist, member, lead, auditor):
    for user in (member, lead, auditor):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 404


def test_queue_query_count_is_constant(
    client, checklist, member, reviewer, django_assert_max_num_queries
):
    _submitted(checklist, member, "GOPAY-1.2")
    client.force_login(reviewer)
    with django_assert_max_num_queries(20) as few:
        client.get(QUEUE)
    _submitted(checklist, member, "GOPAY-1.3", "GOPAY-2.2", "GOPAY-1.5", "GOPAY-1.6", "GOPAY-2.1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_queue_refs(client.get(QUEUE))) == 6


def test_bulk_approval_asks_for_confirmation_first(client, checklist, member, reviewer):
    first, second = _submitted(checklist, member, "GOPAY-1.2", "GOPAY-1.3")
    client.force_login(reviewer)
    items = [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]
    confirm = client.post(BULK, {"item": items})
    assert confirm.status_code == 200
    assert "Approve 2 answers?" in confirm.content.decode()
    assert not ReviewDecision.objects.exists()
    done = client.post(BULK, {"item": items, "confirm": "yes"}, follow=True)
    assert (
        "Approved 2: Kopi Kita 2026-Q4 GOPAY-1.2, Kopi Kita 2026-Q4 GOPAY-1.3."
        in done.content.decode()
    )
    assert set(
        Attestation.objects.filter(review_state=ReviewState.APPROVED).values_list("pk", flat=True)
    ) == {
        first.pk,
        second.pk,
    }


def test_bulk_approval_skips_a_version_changed_since_the_queue_was_read(
    client, checklist, member, reviewer
):
    (item,) = _submitted(checklist, member, "GOPAY-1.2")
    seen = f"{item.pk}:{item.version}"
    upload(item, member)  # a new version arrives after the reviewer opened the queue
    client.force_login(reviewer)
    response = client.post(BULK, {"item": [seen], "confirm": "yes"}, follow=True)
    assert "changed while you were editing it" in response.content.decode()
    assert not ReviewDecision.objects.exists()


def test_four_eyes_in_the_browser_flow(client, checklist, team):
    from portal.accounts import services as accounts
    from portal.accounts.permissions import REVIEWERS_GROUP

    # A member answers, then leaves the team and becomes a reviewer.
    reviewer = make_user("former-member")
    membership = accounts.membership_add(team=team, user=reviewer, role="member")
    (item,) = _submitted(checklist, reviewer, "GOPAY-1.2")
    accounts.membership_remove(membership=membership)
    accounts.global_role_grant(user=reviewer, group_name=REVIEWERS_GROUP)
    add_authenticator(reviewer)  # reviewers sign in with a second factor
    client.force_login(reviewer)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "another reviewer must approve it" in page
    assert "Approve version" not in page
    response = client.post(
        reverse("checklists:review_approve", args=[team.slug, item.checklist.period, "GOPAY-1.2"]),
        {"expected_version": item.version},
        follow=True,
    )
    assert (
        "GOPAY-1.2: You edited this answer or its evidence, so another reviewer must approve it."
        in response.content.decode()
    )
    second_reviewer = make_user("second-reviewer")
    accounts.global_role_grant(user=second_reviewer, group_name=REVIEWERS_GROUP)
    add_authenticator(second_reviewer)
    client.force_login(second_reviewer)
    client.post(
        reverse("checklists:review_approve", args=[team.slug, item.checklist.period, "GOPAY-1.2"]),
        {"expected_version": item.version},
    )
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.APPROVED


def test_a_change_request_without_comment_is_refused(client, checklist, member, reviewer):
    (item,) = _submitted(checklist, member, "GOPAY-1.2")
    client.force_login(reviewer)
    response = client.post(
        reverse(
            "checklists:review_request_changes",
            args=["kopi-kita", item.checklist.period, "GOPAY-1.2"],
        ),
        {"comment": "", "expected_version": item.version},
        follow=True,
    )
    assert "Say what needs to change: a comment is required." in response.content.decode()
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.SUBMITTED
