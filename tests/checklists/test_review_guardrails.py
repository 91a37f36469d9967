"""Approving an answer that admits a gap, with nothing to back it, needs the reviewer's reason:
in the rules, the service, the answer page and bulk approval from the queue."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from checklists import rules
from checklists.models import AnswerStatus, Attestation, ReviewDecision, ReviewState
from checklists.services import reviews
from portal.accounts import services as accounts
from portal.accounts.models import Role
from tests.checklists.assessment_helpers import (
    answer,
    attestation_of,
    make_checklist,
    submit,
    upload,
)
from tests.conftest import make_user

QUEUE = reverse("checklists:review_queue")
BULK = reverse("checklists:review_bulk_approve")
RISKY = {AnswerStatus.PARTIAL, AnswerStatus.NOT_IMPLEMENTED, AnswerStatus.NOT_APPLICABLE}


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead)


def _awaiting(checklist, by, ref, status=AnswerStatus.PARTIAL, evidence=0):
    item = attestation_of(checklist, ref)
    answer(
        item,
        by,
        status=status,
        statement="" if status == AnswerStatus.NOT_APPLICABLE else "Half of it is done.",
        justification="" if status == AnswerStatus.IMPLEMENTED else "The rest ships in Q1.",
    )
    for number in range(evidence):
        upload(item, by, name=f"proof-{number}.txt")
    submit(item, by)
    item.refresh_from_db()
    return item


def _approve_url(item):
    return reverse(
        "checklists:review_approve",
        args=[item.checklist.team.slug, item.checklist.period, item.control.ref],
    )


@pytest.mark.parametrize("evidence_count", [0, 1, 2])
@pytest.mark.parametrize("status", AnswerStatus.values)
def test_the_rule_asks_for_a_comment_only_for_an_unbacked_gap(status, evidence_count):
    needed = status in RISKY and evidence_count == 0
    assert rules.approval_needs_comment(status=status, evidence_count=evidence_count) is needed
    reason = rules.why_approval_needs_comment(status=status, evidence_count=evidence_count)
    assert (reason is not None) is needed
    for comment, refused in (("", needed), ("   ", needed), ("Accepted until Q1.", False)):
        problem = rules.approval_comment_problem(
            status=status, evidence_count=evidence_count, comment=comment
        )
        assert (problem is not None) is refused, (status, evidence_count, comment)
    if needed:
        assert AnswerStatus(status).label.lower() in reason and "no evidence" in reason


@pytest.mark.parametrize("status", sorted(RISKY))
def test_the_service_refuses_a_silent_approval_next_to_the_comment(
    checklist, member, reviewer, status
):
    item = _awaiting(checklist, member, "GOPAY-1.2", status=status)
    with pytest.raises(ValidationError) as refused:
        reviews.review_approve(
            attestation=item, by=reviewer, expected_version=item.version, comment="  "
        )
    assert "comment" in refused.value.error_dict
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.SUBMITTED
    reviews.review_approve(
        attestation=item,
        by=reviewer,
        expected_version=item.version,
        comment="Compensating control: the gateway blocks it until Q1.",
    )
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.APPROVED
    assert ReviewDecision.objects.get().comment.startswith("Compensating control")


def test_evidence_or_an_implemented_answer_needs_no_comment(checklist, member, reviewer):
    backed = _awaiting(checklist, member, "GOPAY-1.2", evidence=1)
    implemented = _awaiting(checklist, member, "GOPAY-1.3", status=AnswerStatus.IMPLEMENTED)
    for item in (backed, implemented):
        reviews.review_approve(attestation=item, by=reviewer, expected_version=item.version)
    assert ReviewDecision.objects.filter(decision="approved").count() == 2


def test_withdrawn_evidence_does_not_count(checklist, member, reviewer):
    item = _awaiting(checklist, member, "GOPAY-1.2", evidence=1)
    item.evidence_links.update(withdrawn_at=item.submitted_at)
    with pytest.raises(ValidationError):
        reviews.review_approve(attestation=item, by=reviewer, expected_version=item.version)


def test_the_page_marks_the_comment_required_and_shows_the_refusal_next_to_it(
    client, checklist, member, reviewer
):
    item = _awaiting(checklist, member, "GOPAY-1.2")
    client.force_login(reviewer)
    page = client.get(item.get_absolute_url()).content.decode()
    assert '<label for="review_comment">Comment (required)</label>' in page
    assert "is partially implemented and has no evidence: to approve it" in page
    refused = client.post(_approve_url(item), {"expected_version": item.version, "comment": ""})
    assert refused.status_code == 400
    html = refused.content.decode()
    error = html.split('class="error" id="review_comment_error">', 1)[1].split("</p>", 1)[0]
    assert "A comment is required to approve it" in error
    assert 'aria-describedby="review_comment_helptext review_comment_error"' in html
    done = client.post(
        _approve_url(item),
        {"expected_version": item.version, "comment": "Risk accepted by the CISO until Q1."},
        follow=True,
    )
    assert "Kopi Kita 2026-Q4 GOPAY-1.2 approved." in done.content.decode()
    assert Attestation.objects.get(pk=item.pk).review_state == ReviewState.APPROVED


def test_a_backed_answer_does_not_mark_the_comment_required(client, checklist, member, reviewer):
    item = _awaiting(checklist, member, "GOPAY-1.2", evidence=1)
    client.force_login(reviewer)
    page = client.get(item.get_absolute_url()).content.decode()
    assert '<label for="review_comment">Comment</label>' in page
    assert "Comment (required)" not in page


def test_bulk_approval_leaves_out_what_needs_a_comment_and_says_why(
    client, checklist, member, reviewer
):
    risky = _awaiting(checklist, member, "GOPAY-1.2")
    fine = _awaiting(checklist, member, "GOPAY-1.3", status=AnswerStatus.IMPLEMENTED)
    items = [f"{risky.pk}:{risky.version}", f"{fine.pk}:{fine.version}"]
    client.force_login(reviewer)
    confirm = client.post(BULK, {"item": items}).content.decode()
    assert "Approve 1 answer?" in confirm
    assert "Left out: 1 answer to approve one by one" in confirm
    assert f'name="item" value="{fine.pk}:{fine.version}"' in confirm
    assert f'name="item" value="{risky.pk}:{risky.version}"' not in confirm
    assert "Kopi Kita 2026-Q4 GOPAY-1.2" in confirm and "has no evidence" in confirm
    # Even a confirmation that names it does not approve it.
    done = client.post(BULK, {"item": items, "confirm": "yes"}, follow=True).content.decode()
    assert "Approved 1: Kopi Kita 2026-Q4 GOPAY-1.3." in done
    assert "Not approved, Kopi Kita 2026-Q4 GOPAY-1.2: This answer is partially" in done
    assert Attestation.objects.get(pk=risky.pk).review_state == ReviewState.SUBMITTED
    assert Attestation.objects.get(pk=fine.pk).review_state == ReviewState.APPROVED


def test_bulk_approval_of_only_risky_answers_approves_nothing(client, checklist, member, reviewer):
    risky = _awaiting(checklist, member, "GOPAY-1.2", status=AnswerStatus.NOT_APPLICABLE)
    client.force_login(reviewer)
    page = client.post(
        BULK, {"item": [f"{risky.pk}:{risky.version}"], "confirm": "yes"}
    ).content.decode()
    assert "Nothing to approve in bulk" in page and "is not applicable and has no evidence" in page
    assert not ReviewDecision.objects.exists()


def test_the_bulk_service_refuses_an_answer_that_needs_a_comment(checklist, member, reviewer):
    risky = _awaiting(checklist, member, "GOPAY-1.2", status=AnswerStatus.NOT_IMPLEMENTED)
    approved, refused = reviews.review_bulk_approve(attestations=[risky], by=reviewer)
    assert approved == [] and "A comment is required to approve it" in refused[0][1]


def test_the_queue_shows_status_submitter_and_team(client, checklist, member, reviewer, other_team):
    risky = _awaiting(checklist, member, "GOPAY-1.2")
    ojek_dev = make_user("ojek-dev")
    accounts.membership_add(team=other_team, user=ojek_dev, role=Role.LEAD)
    other = make_checklist(other_team, ojek_dev)
    theirs = _awaiting(other, ojek_dev, "GOPAY-1.2", status=AnswerStatus.IMPLEMENTED)
    client.force_login(reviewer)
    response = client.get(QUEUE)
    rows = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    (mine,) = [row for row in rows.split("<tr>")[1:] if "Kopi Kita 2026-Q4" in row]
    (ojek,) = [row for row in rows.split("<tr>")[1:] if "Ojek Cepat 2026-Q4" in row]
    assert "Partially implemented" in mine and '"Submitted by">member</td>' in mine
    assert "Approve on its page, with a comment" in mine
    assert ">Implemented<" in ojek and '"Submitted by">ojek-dev</td>' in ojek
    assert "Approve on its page" not in ojek
    assert {risky.pk, theirs.pk} == {a.pk for a in response.context["page"]}


def test_the_submitter_is_who_sent_it_not_who_wrote_it(client, checklist, member, lead, reviewer):
    item = attestation_of(checklist, "GOPAY-1.2")
    answer(item, member)
    submit(item, lead)
    client.force_login(reviewer)
    (queued,) = client.get(QUEUE).context["page"]
    assert queued.submitted_by == "lead"
