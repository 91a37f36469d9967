"""A team's checklist for a quarter as OSCAL assessment results: valid, faithful to the answers
and reviews, claiming nothing that was not checked, and the same bytes for the same data."""

import base64
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from trestle.oscal import assessment_results as oscal_results

from checklists.models import AnswerStatus, Attestation, ReviewDecision, ReviewState
from checklists.oscal.assessment_results import assessment_results_document
from checklists.oscal.catalog import catalog_document
from checklists.oscal.identifiers import end_of, utc
from checklists.oscal.services import assessment_results_export
from checklists.periods import Quarter
from checklists.services import evidence as evidence_services
from checklists.services import reviews
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    make_checklist,
    submit,
    upload,
)
from tests.checklists.test_oscal_catalog import trestle_validates


def read_results(data: bytes) -> oscal_results.AssessmentResults:
    return oscal_results.Model.model_validate_json(data).assessment_results


def value(field) -> str:
    return getattr(field, "value", field)


def findings_by_ref(results) -> dict:
    return {
        finding.target.target_id.removesuffix("_smt"): finding
        for finding in results.results[0].findings
    }


def props(item, name: str) -> list[str]:
    return [prop.value for prop in item.props or [] if prop.name == name]


def roles_of(results, item) -> dict[str, set[str]]:
    """Who played which role in a finding or observation, by user name."""
    names = {party.uuid: party.name for party in results.metadata.parties}
    played: dict[str, set[str]] = {}
    for origin in item.origins or []:
        for actor in origin.actors:
            played.setdefault(actor.role_id, set()).add(names[actor.actor_uuid])
    return played


def export(checklist, **kwargs):
    document = assessment_results_document(checklist, **kwargs)
    return document, read_results(document.data)


def plain_answers(checklist) -> list[Attestation]:
    """Answers that stand for no other control and are answered through none."""
    return list(
        checklist.attestations.filter(satisfied_through__isnull=True, covers__isnull=True)
        .select_related("control")
        .order_by("control__ref")
    )


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead, providers=("gopay", "wechat", "codepay"))


def test_it_is_valid_oscal_assessment_results(checklist, lead, reviewer):
    item = plain_answers(checklist)[0]
    answer(item, lead)
    submit(item, lead)
    approve(item, reviewer)
    document, results = export(checklist)
    data = json.loads(document.data)
    assert list(data) == ["assessment-results"]
    assert {"import-ap", "back-matter", "results"} <= set(data["assessment-results"])
    assert trestle_validates(results)
    [result] = results.results
    refs = sorted(checklist.attestations.values_list("control__ref", flat=True))
    [selection] = result.reviewed_controls.control_selections
    assert sorted(c.control_id for c in selection.include_controls) == refs
    assert sorted(findings_by_ref(results)) == refs
    # The plan reference names the catalog export, by path and SHA-256.
    resources = {f"#{r.uuid}": r for r in results.back_matter.resources}
    [rlink] = resources[results.import_ap.href].rlinks
    assert rlink.href == reverse("checklists:oscal_catalog")
    assert rlink.hashes[0].value == catalog_document().sha256
    assert value(rlink.hashes[0].algorithm) == "SHA-256"


def test_findings_follow_every_answer_and_review_state(checklist):
    """Every status with every review state (and approvals gone stale), set on the rows."""
    today = timezone.localdate()
    answered = [status for status in AnswerStatus if status != AnswerStatus.UNANSWERED]
    combinations = [
        # The database refuses an unanswered control awaiting review or approved.
        (AnswerStatus.UNANSWERED, ReviewState.DRAFT, False),
        (AnswerStatus.UNANSWERED, ReviewState.CHANGES_REQUESTED, False),
        *((status, review, False) for status in answered for review in ReviewState),
        *((status, ReviewState.APPROVED, True) for status in answered),
    ]
    rows = plain_answers(checklist)
    assert len(rows) >= len(combinations)
    expected = {}
    for item, (status, review_state, stale) in zip(rows, combinations, strict=False):
        Attestation.objects.filter(pk=item.pk).update(
            status=status,
            review_state=review_state,
            justification="Accepted for now." if status != AnswerStatus.IMPLEMENTED else "",
            statement="How it is met.",
            approved_at=timezone.now() if review_state == ReviewState.APPROVED else None,
            next_review_due=today - timedelta(days=1) if stale else today + timedelta(days=30),
        )
        expected[item.control.ref] = (status, review_state, stale)
    _, results = export(checklist)
    findings = findings_by_ref(results)
    for ref, (status, review_state, stale) in expected.items():
        finding = findings[ref]
        target = finding.target
        current = review_state == ReviewState.APPROVED and not stale
        satisfied = status == AnswerStatus.IMPLEMENTED and current
        assert value(target.status.state) == ("satisfied" if satisfied else "not-satisfied"), ref
        assert value(target.status.reason) == (
            "pass"
            if satisfied
            else "fail"
            if current and status in (AnswerStatus.PARTIAL, AnswerStatus.NOT_IMPLEMENTED)
            else "other"
        ), ref
        implementation = target.implementation_status
        if current and status != AnswerStatus.NOT_IMPLEMENTED:
            assert value(implementation.state) == status.value, ref
        else:
            assert implementation is None, ref
        assert props(finding, "answer") == [status.value]
        assert props(finding, "review-state") == [review_state.value]
        assert props(finding, "stale") == (["true"] if stale else [])
    # Nothing else in the checklist claims anything.
    untouched = set(findings) - set(expected)
    assert all(value(findings[ref].target.status.state) == "not-satisfied" for ref in untouched)


def test_a_control_is_satisfied_only_once_a_reviewer_approved_it(checklist, lead, reviewer):
    item = plain_answers(checklist)[0]
    answer(item, lead)

    def finding():
        _, results = export(checklist)
        return results, findings_by_ref(results)[item.control.ref]

    assert value(finding()[1].target.status.state) == "not-satisfied"
    submit(item, lead)
    assert value(finding()[1].target.status.state) == "not-satisfied"
    approve(item, reviewer)
    results, approved = finding()
    assert value(approved.target.status.state) == "satisfied"
    assert value(approved.target.implementation_status.state) == "implemented"
    assert roles_of(results, approved) == {"attester": {"lead"}, "approver": {"reviewer"}}
    # Editing the answer withdraws the approval, and the claim with it.
    answer(item, lead, statement="Now done in the gateway instead.")
    results, edited = finding()
    assert value(edited.target.status.state) == "not-satisfied"
    assert edited.target.implementation_status is None
    assert "approver" not in roles_of(results, edited)


def test_a_request_for_changes_names_the_reviewer(checklist, lead, reviewer):
    item = plain_answers(checklist)[0]
    answer(item, lead)
    submit(item, lead)
    item.refresh_from_db()
    reviews.review_request_changes(
        attestation=item, by=reviewer, comment="Attach the gateway policy.", expected_version=1
    )
    document, results = export(checklist)
    finding = findings_by_ref(results)[item.control.ref]
    assert value(finding.target.status.state) == "not-satisfied"
    assert value(finding.target.status.reason) == "other"
    assert roles_of(results, finding) == {"attester": {"lead"}, "reviewer": {"reviewer"}}
    assert "Attach the gateway policy." in finding.remarks
    reviewer_role = {p.role_id: p.party_uuids for p in results.metadata.responsible_parties}
    assert len(reviewer_role["reviewer"]) == 1 and "approver" not in reviewer_role


def test_an_answer_given_through_its_group_says_so(checklist, lead, reviewer):
    carrier = checklist.attestations.filter(covers__isnull=False).select_related("control")[0]
    covered = carrier.covers.select_related("control").first()
    answer(carrier, lead, statement="Secrets come from the vault for every provider.")
    evidence = upload(carrier, lead, name="vault.txt", content=b"vault policy\n")
    submit(carrier, lead)
    approve(carrier, reviewer)
    _, results = export(checklist)
    findings = findings_by_ref(results)
    through = findings[covered.control.ref]
    assert value(through.target.status.state) == "satisfied"
    assert props(through, "satisfied-through") == [carrier.control.ref]
    assert carrier.control.ref in through.description
    observations = {o.uuid: o for o in results.results[0].observations}
    [related] = through.related_observations
    assert props(observations[related.observation_uuid], "sha256") == [evidence.sha256]
    assert props(findings[carrier.control.ref], "satisfied-through") == []
    # "Not applicable" never stands for a group: the covered control then answers for itself.
    Attestation.objects.filter(pk=carrier.pk).update(
        status=AnswerStatus.NOT_APPLICABLE, justification="Not used."
    )
    _, results = export(checklist)
    alone = findings_by_ref(results)[covered.control.ref]
    assert value(alone.target.status.state) == "not-satisfied"
    assert props(alone, "satisfied-through") == [] and props(alone, "answer") == ["unanswered"]


def test_evidence_is_an_observation_with_its_sha256_and_never_its_content(checklist, lead, member):
    content = b"TLS 1.2 minimum on every listener, HSTS one year\n"
    first, second = plain_answers(checklist)[:2]
    valid_until = timezone.localdate() + timedelta(days=90)
    evidence = evidence_services.evidence_add_file(
        attestation=first,
        upload=SimpleUploadedFile("listeners.txt", content),
        description="Listener configuration",
        valid_from=timezone.localdate(),
        valid_until=valid_until,
        by=member,
        expected_version=first.version,
    )
    second.refresh_from_db()
    evidence_services.evidence_attach(
        attestation=second, evidence=evidence, by=lead, expected_version=second.version
    )
    withdrawn = upload(first, member, name="old.txt", content=b"old listener list\n")
    first.refresh_from_db()
    link = first.evidence_links.get(evidence=withdrawn, withdrawn_at__isnull=True)
    evidence_services.evidence_withdraw(
        attestation=first, link=link, by=member, expected_version=first.version
    )
    document, results = export(checklist)
    [observation] = results.results[0].observations
    assert observation.title == "listeners.txt"
    assert props(observation, "sha256") == [evidence.sha256]
    assert props(observation, "valid-until") == [valid_until.isoformat()]
    refs = sorted([first.control.ref, second.control.ref])
    assert sorted(props(observation, "attached-to")) == refs
    assert observation.collected == utc(evidence.uploaded_at)
    assert observation.expires.date() == valid_until + timedelta(days=1)
    assert roles_of(results, observation) == {
        "evidence-uploader": {"member"},
        "evidence-attacher": {"lead", "member"},
    }
    [evidence_ref] = observation.relevant_evidence
    resources = {f"#{r.uuid}": r for r in results.back_matter.resources}
    [rlink] = resources[evidence_ref.href].rlinks
    assert rlink.hashes[0].value == evidence.sha256
    assert rlink.href == reverse("checklists:evidence_download", args=["kopi-kita", evidence.pk])
    findings = findings_by_ref(results)
    for ref in refs:
        assert [r.observation_uuid for r in findings[ref].related_observations] == [
            observation.uuid
        ]
    # The file's name and hash, never its bytes; withdrawn evidence is gone.
    for trace in (content, base64.b64encode(content), b"old.txt", withdrawn.sha256.encode()):
        assert trace not in document.data


def test_the_same_data_gives_the_same_bytes(checklist, lead, reviewer):
    item = plain_answers(checklist)[0]
    answer(item, lead)
    upload(item, lead)
    submit(item, lead)
    approve(item, reviewer)
    first = assessment_results_export(checklist=checklist, by=lead)  # recorded, changes nothing
    second = assessment_results_document(checklist)
    assert first.data == second.data and first.sha256 == second.sha256
    before = read_results(first.data)
    decided = ReviewDecision.objects.get(attestation=item).decided_at
    assert before.metadata.last_modified == utc(decided)
    answer(plain_answers(checklist)[1], lead, statement="Pinned in the app.")
    changed = assessment_results_document(checklist)
    after = read_results(changed.data)
    assert changed.data != first.data
    assert after.uuid != before.uuid and after.results[0].uuid == before.results[0].uuid
    assert after.metadata.last_modified > before.metadata.last_modified


def test_an_ended_quarter_is_judged_as_of_its_last_day(catalog, team, lead, reviewer):
    quarter = Quarter.current().previous()
    checklist = make_checklist(team, lead, period=str(quarter), providers=("gopay",))
    kept, lapsed = plain_answers(checklist)[:2]
    for item, due in ((kept, quarter.last_day), (lapsed, quarter.last_day - timedelta(days=1))):
        answer(item, lead)
        submit(item, lead)
        approve(item, reviewer)
        Attestation.objects.filter(pk=item.pk).update(next_review_due=due)
    _, results = export(checklist)
    [result] = results.results
    assert result.end == end_of(quarter.last_day)
    assert props(result, "kind") == ["final"] and props(result, "as-of") == [str(quarter.last_day)]
    assert results.metadata.version == f"{quarter}-final"
    findings = findings_by_ref(results)
    # Due on the quarter's last day: still current then, though stale today.
    assert value(findings[kept.control.ref].target.status.state) == "satisfied"
    assert value(findings[lapsed.control.ref].target.status.state) == "not-satisfied"
    assert props(findings[lapsed.control.ref], "stale") == ["true"]


def test_an_open_quarter_has_no_end_and_says_the_day_it_speaks_for(checklist):
    _, results = export(checklist)
    [result] = results.results
    assert result.end is None
    assert props(result, "kind") == ["draft"]
    assert props(result, "as-of") == [str(timezone.localdate())]


def test_it_holds_nothing_of_another_team(checklist, other_team, outsider):
    theirs = make_checklist(other_team, outsider, providers=("gopay",))
    item = plain_answers(theirs)[0]
    answer(item, outsider, statement="Ojek keeps the token in its own HSM.")
    secret = upload(item, outsider, name="ojek-hsm.txt", content=b"ojek hsm layout\n")
    document, _ = export(checklist)
    for trace in (b"Ojek", b"ojek", b"outsider", secret.sha256.encode(), b"ojek-hsm.txt"):
        assert trace not in document.data


def test_the_queries_do_not_grow_with_answers_and_evidence(checklist, lead, reviewer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assessment_results_document(checklist)
        return len(captured)

    first = plain_answers(checklist)[0]
    answer(first, lead)
    upload(first, lead)
    few = queries()
    for item in plain_answers(checklist)[1:6]:
        answer(item, lead)
        upload(item, lead, name=f"{item.control.ref}.txt")
        submit(item, lead)
        approve(item, reviewer)
    assert queries() == few
