"""What the API answers: checklists and their progress, answers and their filters, evidence
uploaded through the same service as the pages (audited under the token's name), what is
due, occurrences completed with evidence, and signed reports downloaded (audited)."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from checklists.models import (
    AnswerStatus,
    Evidence,
    Occurrence,
    ReviewDecision,
    ReviewState,
)
from checklists.reports import storage as report_storage
from checklists.services import answers as answer_services
from portal.api.models import ApiToken
from portal.audit.models import AuditEvent
from tests.api.conftest import REF, TEXT, answer_url, bearer
from tests.checklists.assessment_helpers import answer as give_answer
from tests.checklists.assessment_helpers import approve, attestation_of, submit, upload
from tests.conftest import VerifiedClient


def _get(client, url, token, **params):
    response = client.get(url, params, **bearer(token))
    assert response.status_code == 200, response.content
    return response.json()


def _upload(client, team, period, token, ref=REF, name="tls.txt", content=TEXT, **fields):
    data = {
        "file": SimpleUploadedFile(name, content),
        "description": "TLS settings of the public listener",
        **fields,
    }
    return client.post(answer_url("answer_evidence", team, period, ref), data, **bearer(token))


# --- Checklists and answers ------------------------------------------------------------------


def test_checklists_show_providers_and_progress(
    token_client, api_tokens, checklist, team, lead, reviewer, period
):
    give_answer(attestation_of(checklist, REF), lead)
    approved = attestation_of(checklist, "GOPAY-1.3")
    give_answer(approved, lead)
    submit(approved, lead)
    approve(approved, reviewer)

    listed = _get(token_client, reverse("api:checklist_list", args=[team.slug]), api_tokens.read)
    (row,) = listed["results"]
    assert row["period"] == period
    assert [p["slug"] for p in row["providers"]] == ["gopay", "mixpay"]
    total = checklist.attestations.count()
    assert row["progress"] == {"total": total, "answered": 2, "approved": 1, "stale": 0}

    detail = _get(token_client, row["url"], api_tokens.read)
    assert detail["progress"] == row["progress"]
    by_provider = {r["name"]: r for r in detail["progress_by_provider"]}
    assert by_provider["GoPay"]["answered"] == 2 and by_provider["MixPay"]["answered"] == 0
    assert sum(r["total"] for r in detail["progress_by_category"]) == total


def test_answers_are_paged_and_filtered_by_reference_and_state(
    token_client, api_tokens, checklist, team, lead, period
):
    give_answer(attestation_of(checklist, REF), lead)
    url = reverse("api:answer_list", args=[team.slug, period])
    first = _get(token_client, url, api_tokens.read, page_size=5)
    assert first["count"] == checklist.attestations.count() and len(first["results"]) == 5
    second = _get(token_client, first["next"], api_tokens.read)
    assert {a["ref"] for a in first["results"]}.isdisjoint(a["ref"] for a in second["results"])

    (by_ref,) = _get(token_client, url, api_tokens.read, ref=REF.lower())["results"]
    assert by_ref["ref"] == REF and by_ref["state"] == "draft" and by_ref["status"] == "implemented"
    drafts = _get(token_client, url, api_tokens.read, state="draft")["results"]
    assert [a["ref"] for a in drafts] == [REF]
    mixpay = _get(token_client, url, api_tokens.read, provider="mixpay")["results"]
    assert mixpay and {a["provider"] for a in mixpay} == {"mixpay"}

    bad = token_client.get(url, {"state": "finished"}, **bearer(api_tokens.read))
    assert bad.status_code == 400 and bad.json()["detail"].startswith("state: Choose one of")


def test_an_answer_shows_its_requirement_and_the_evidence_that_counts(
    token_client, api_tokens, catalog, team, lead, period
):
    from tests.checklists.assessment_helpers import make_checklist

    checklist = make_checklist(team, lead, period=period, providers=("gopay", "wechat"))
    carrier = checklist.attestations.filter(covers__isnull=False).select_related("control").first()
    covered = carrier.covers.select_related("control").first()
    give_answer(carrier, lead, statement="Secrets are injected at deploy time.")
    kept = upload(carrier, lead, name="vault.txt", content=b"vault policy v3\n")

    answer = _get(
        token_client,
        answer_url("answer_detail", team, period, covered.control.ref),
        api_tokens.read,
    )
    assert answer["answered_through"] == carrier.control.ref
    assert answer["statement"] == "Secrets are injected at deploy time."
    assert answer["requirement"] == covered.control.requirement
    (evidence,) = answer["evidence"]
    assert evidence["sha256"] == kept.sha256 and evidence["name"] == "vault.txt"
    assert evidence["download_url"].endswith(f"/teams/{team.slug}/evidence/{kept.pk}/download")


# --- Uploads ---------------------------------------------------------------------------------


def test_an_upload_goes_through_the_evidence_service_and_is_audited_as_the_token(
    token_client, api_tokens, checklist, team, period, settings
):
    response = _upload(
        token_client,
        team,
        period,
        api_tokens.service,
        valid_from="2026-01-01",
        valid_until="2026-12-31",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = Evidence.objects.get()
    assert body["evidence"]["sha256"] == hashlib.sha256(TEXT).hexdigest() == evidence.sha256
    assert (evidence.valid_from, evidence.valid_until) == (date(2026, 1, 1), date(2026, 12, 31))
    assert body["answer"] == {
        "ref": REF,
        "version": 1,
        "review_state": "draft",
        "approval_withdrawn": False,
    }
    answer = attestation_of(checklist, REF)
    assert list(answer.evidence.all()) == [evidence]
    raw = (settings.EVIDENCE_ROOT / evidence.blob_name).read_bytes()
    assert TEXT not in raw  # encrypted at rest, as from the page
    token = ApiToken.objects.get(name="Pipeline")
    event = AuditEvent.objects.get(action="checklists.evidence.added")
    assert event.actor_label == token.actor_label
    assert event.actor == token.user and event.changes["sha256"] == evidence.sha256


def test_evidence_added_to_an_approved_answer_sends_it_back_to_review(
    token_client, api_tokens, checklist, team, lead, reviewer, period
):
    answer = attestation_of(checklist, REF)
    give_answer(answer, lead)
    submit(answer, lead)
    approve(answer, reviewer)
    response = _upload(token_client, team, period, api_tokens.write)
    assert response.status_code == 201
    state = response.json()["answer"]
    assert state["approval_withdrawn"] is True and state["review_state"] == "submitted"


def test_an_upload_naming_an_old_version_is_refused(
    token_client, api_tokens, checklist, team, lead, period
):
    give_answer(attestation_of(checklist, REF), lead)
    response = _upload(token_client, team, period, api_tokens.write, expected_version=0)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("This answer changed while you were editing it")
    assert not Evidence.objects.exists()


def test_an_upload_to_a_control_answered_through_its_group_is_refused(
    token_client, api_tokens, catalog, team, lead, period
):
    from tests.checklists.assessment_helpers import make_checklist

    checklist = make_checklist(team, lead, period=period, providers=("gopay", "wechat"))
    covered = checklist.attestations.filter(satisfied_through__isnull=False).first()
    response = _upload(token_client, team, period, api_tokens.write, ref=covered.control.ref)
    assert response.status_code == 400
    assert "answered through" in response.json()["detail"]
    assert not Evidence.objects.exists()


def test_an_upload_lists_with_the_answers_evidence(
    token_client, api_tokens, checklist, team, period
):
    _upload(token_client, team, period, api_tokens.write)
    listed = _get(token_client, answer_url("answer_evidence", team, period), api_tokens.read)
    assert [e["name"] for e in listed] == ["tls.txt"]


# --- What is due, and occurrences ------------------------------------------------------------


def test_due_lists_the_open_answers_and_occurrences_with_their_dates(
    token_client, api_tokens, checklist, team, lead, reviewer, period, occurrence
):
    soon = attestation_of(checklist, REF)
    due_date = timezone.localdate() + timedelta(days=3)
    answer_services.attestation_save(
        attestation=soon,
        by=lead,
        status=AnswerStatus.UNANSWERED,
        statement="",
        justification="",
        due_date=due_date,
        owner=lead,
        addresses_all=True,
        expected_version=0,
    )
    waiting = attestation_of(checklist, "GOPAY-1.3")
    give_answer(waiting, lead)
    submit(waiting, lead)  # with the reviewers: not the team's work now

    due = _get(token_client, reverse("api:team_due", args=[team.slug]), api_tokens.read)
    assert due["period"] == period
    refs = [a["ref"] for a in due["answers"]]
    assert refs[0] == REF and due["answers"][0]["due_date"] == str(due_date)
    assert due["answers"][0]["owner"] == lead.username
    assert "GOPAY-1.3" not in refs
    assert len(refs) == checklist.attestations.filter(satisfied_through__isnull=True).count() - 1
    (open_one,) = due["occurrences"]
    assert open_one["id"] == occurrence.pk and open_one["due_on"] == str(occurrence.due_on)
    assert open_one["status"] in ("due-soon", "overdue", "upcoming")

    within = _get(
        token_client, reverse("api:team_due", args=[team.slug]), api_tokens.read, within_days=7
    )
    assert [a["ref"] for a in within["answers"]] == [REF]
    for bad in ("soon", "²", "-1", "99999"):
        response = token_client.get(
            reverse("api:team_due", args=[team.slug]),
            {"within_days": bad},
            **bearer(api_tokens.read),
        )
        assert response.status_code == 400, bad


def test_an_occurrence_is_completed_with_a_file_valid_for_a_period(
    token_client, api_tokens, checklist, team, period, occurrence
):
    url = reverse("api:occurrence_completion", args=[team.slug, occurrence.pk])
    data = {
        "note": "Rules reviewed with the network team",
        "file": SimpleUploadedFile("rules.txt", TEXT),
        "description": "Firewall rules export",
        "valid_from": "2026-10-01",
        "valid_until": "2027-09-30",
    }
    response = token_client.post(url, data, **bearer(api_tokens.service))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "done" and body["note"] == data["note"]
    (evidence,) = Occurrence.objects.get(pk=occurrence.pk).evidence.all()
    assert (evidence.valid_from, evidence.valid_until) == (date(2026, 10, 1), date(2027, 9, 30))
    assert body["evidence"][0]["sha256"] == evidence.sha256
    stored = AuditEvent.objects.get(action="checklists.evidence.stored")
    assert stored.changes["valid_until"] == "2027-09-30"
    assert stored.actor_label == ApiToken.objects.get(name="Pipeline").actor_label

    again = token_client.post(
        url, {**data, "file": SimpleUploadedFile("rules.txt", TEXT)}, **bearer(api_tokens.write)
    )
    assert again.status_code == 400 and Evidence.objects.count() == 1


def test_an_occurrence_completion_refuses_a_period_out_of_order(
    token_client, api_tokens, team, occurrence
):
    url = reverse("api:occurrence_completion", args=[team.slug, occurrence.pk])
    response = token_client.post(
        url,
        {
            "note": "Rules reviewed",
            "file": SimpleUploadedFile("rules.txt", TEXT),
            "description": "Firewall rules export",
            "valid_from": "2027-01-01",
            "valid_until": "2026-01-01",
        },
        **bearer(api_tokens.write),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "valid_until": ["The evidence cannot stop being valid before it starts."]
    }
    assert not Evidence.objects.exists()
    assert Occurrence.objects.get(pk=occurrence.pk).completed_at is None


# --- Reports ---------------------------------------------------------------------------------


def test_a_signed_report_is_listed_and_downloaded_through_the_audited_service(
    token_client, api_tokens, team, report
):
    listed = _get(token_client, reverse("api:report_list", args=[team.slug]), api_tokens.read)
    (row,) = listed["results"]
    assert row["sha256"] == report.sha256 and row["signer_subject"] == report.signer_subject
    response = token_client.get(row["download_url"], **bearer(api_tokens.read))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content)
    assert pdf == report_storage.report_read(report.blob_name)
    assert hashlib.sha256(pdf).hexdigest() == report.sha256
    assert response["Content-Disposition"].startswith("attachment;")
    event = AuditEvent.objects.get(action="checklists.report.downloaded")
    assert event.actor_label == ApiToken.objects.get(name="Dashboard").actor_label
    as_pdf = token_client.get(
        row["download_url"], HTTP_ACCEPT="application/pdf", **bearer(api_tokens.read)
    )
    assert as_pdf.status_code == 200


# --- Nothing in the API approves -------------------------------------------------------------


def test_no_api_operation_approves_or_confirms(
    token_client, api_tokens, checklist, team, lead, period, occurrence
):
    """A service account's write token tries every operation the API has, with every method:
    no answer is approved, no decision taken, no duty confirmed."""
    from django.urls import get_resolver

    answer = attestation_of(checklist, REF)
    give_answer(answer, lead)
    submit(answer, lead)
    resolver = get_resolver().url_patterns
    api = next(p for p in resolver if getattr(p, "namespace", None) == "api")
    names = {pattern.name for pattern in api.url_patterns}
    assert not {n for n in names if any(w in n for w in ("approve", "confirm", "review"))}
    urls = [
        reverse("api:answer_detail", args=[team.slug, period, REF]),
        reverse("api:answer_evidence", args=[team.slug, period, REF]),
        reverse("api:occurrence_detail", args=[team.slug, occurrence.pk]),
        reverse("api:occurrence_completion", args=[team.slug, occurrence.pk]),
        reverse("api:checklist_detail", args=[team.slug, period]),
    ]
    for url in urls:
        for method in ("post", "put", "patch", "delete"):
            getattr(token_client, method)(
                url, {"decision": "approved", "note": "x"}, **bearer(api_tokens.service)
            )
    answer.refresh_from_db()
    assert answer.review_state == ReviewState.SUBMITTED
    assert not ReviewDecision.objects.exists()
    assert not Occurrence.objects.filter(confirmed_at__isnull=False).exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_other_than_uploads_are_not_allowed(
    token_client, api_tokens, checklist, team, period, method
):
    url = answer_url("answer_detail", team, period)
    response = getattr(token_client, method)(url, **bearer(api_tokens.write))
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_a_signed_in_person_browses_the_api(client, member, checklist, team, period):
    client = VerifiedClient()
    client.force_login(member)
    page = client.get(reverse("api:answer_list", args=[team.slug, period]), HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert REF in page.content.decode()
