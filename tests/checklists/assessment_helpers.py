"""Shared set-up for checklist tests: a GoPay + MixPay checklist for the `team` fixture."""

from django.core.files.uploadedfile import SimpleUploadedFile

from checklists.models import AnswerStatus, Attestation, Provider
from checklists.services import answers, reviews
from checklists.services import evidence as evidence_services
from checklists.services.checklists import checklist_create


def make_checklist(team, by, *, period="2026-Q4", providers=("gopay", "mixpay"), **kwargs):
    return checklist_create(
        team=team,
        period=period,
        providers=list(Provider.objects.filter(slug__in=providers)),
        by=by,
        **kwargs,
    )


def answer(
    attestation: Attestation,
    by,
    status=AnswerStatus.IMPLEMENTED,
    statement="Done in the back end.",
    **kw,
):
    attestation.refresh_from_db()
    return answers.attestation_save(
        attestation=attestation,
        by=by,
        status=status,
        statement=statement,
        justification=kw.pop("justification", ""),
        addresses_all=kw.pop("addresses_all", True),
        expected_version=attestation.version,
        **kw,
    )


def submit(attestation: Attestation, by):
    attestation.refresh_from_db()
    return answers.attestation_submit(
        attestation=attestation, by=by, expected_version=attestation.version
    )


def approve(attestation: Attestation, by):
    attestation.refresh_from_db()
    return reviews.review_approve(
        attestation=attestation, by=by, expected_version=attestation.version
    )


def upload(
    attestation: Attestation, by, name="config.txt", content=b"TLS 1.2 minimum on every listener\n"
):
    attestation.refresh_from_db()
    return evidence_services.evidence_add_file(
        attestation=attestation,
        upload=SimpleUploadedFile(name, content),
        description="Listener configuration",
        by=by,
        expected_version=attestation.version,
    )


def attestation_of(checklist, ref: str) -> Attestation:
    return checklist.attestations.select_related("control").get(control__ref=ref)
