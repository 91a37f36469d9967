"""Evidence on answers: files and links attached, withdrawn and downloaded."""

from collections.abc import Iterator
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from checklists import rules
from checklists.evidence.filenames import clean_filename
from checklists.evidence.storage import EvidenceRejected, delete_blob, open_blob, store_upload
from checklists.models import Attestation, Evidence, EvidenceKind, EvidenceLink
from checklists.services.common import (
    locked,
    new_version,
    plain,
    refuse,
    refuse_if_covered,
    refuse_secrets,
)
from portal.audit import services as audit


def _attach(attestation: Attestation, evidence: Evidence, *, by) -> None:
    EvidenceLink.objects.create(attestation=attestation, evidence=evidence, added_by=by)
    state_change = new_version(attestation, by=by, changed=["evidence"])
    audit.record(
        "checklists.evidence.added",
        actor=by,
        obj=attestation,  # so the answer's own history lists its evidence
        team=attestation.checklist.team,
        changes={
            "evidence": evidence.pk,
            "kind": evidence.kind,
            "name": evidence.original_name or evidence.url,
            "sha256": evidence.sha256,
            "size": evidence.size,
            "valid_from": plain(evidence.valid_from),
            "valid_until": plain(evidence.valid_until),
            "version": attestation.version,
            **state_change,
        },
    )


def evidence_add_file(
    *,
    attestation: Attestation,
    upload,
    description: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
    by,
    expected_version: int,
) -> Evidence:
    """Scan, hash, encrypt and attach the file; a refused or failed upload leaves nothing."""
    refuse(rules.evidence_period_problem(valid_from, valid_until))
    refuse_if_covered(attestation)
    refuse_secrets(description=description)
    try:
        filename = clean_filename(upload.name)
        blob = store_upload(upload, filename=filename)
    except EvidenceRejected as rejected:
        raise ValidationError(rejected.message) from rejected
    try:
        with transaction.atomic():
            attestation = locked(attestation, expected_version)
            refuse_if_covered(attestation)
            evidence = Evidence.objects.create(
                team=attestation.checklist.team,
                kind=EvidenceKind.FILE,
                description=description.strip(),
                valid_from=valid_from,
                valid_until=valid_until,
                original_name=filename,
                size=blob.size,
                sha256=blob.sha256,
                content_type=blob.content_type,
                blob_name=blob.name,
                uploaded_by=by,
            )
            _attach(attestation, evidence, by=by)
    except BaseException:
        delete_blob(blob.name)
        raise
    return evidence


def evidence_add_link(
    *,
    attestation: Attestation,
    url: str,
    description: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
    by,
    expected_version: int,
) -> Evidence:
    refuse(rules.link_problem(url), rules.evidence_period_problem(valid_from, valid_until))
    refuse_secrets(link=url, description=description)
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        refuse_if_covered(attestation)
        evidence = Evidence.objects.create(
            team=attestation.checklist.team,
            kind=EvidenceKind.LINK,
            description=description.strip(),
            valid_from=valid_from,
            valid_until=valid_until,
            url=url,
            uploaded_by=by,
        )
        _attach(attestation, evidence, by=by)
    return evidence


def evidence_withdraw(
    *, attestation: Attestation, link: EvidenceLink, by, expected_version: int
) -> EvidenceLink:
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        refuse_if_covered(attestation)
        updated = EvidenceLink.objects.filter(pk=link.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(), withdrawn_by=by
        )
        if updated != 1:
            raise ValidationError("That evidence was already removed.")
        state_change = new_version(attestation, by=by, changed=["evidence"])
        audit.record(
            "checklists.evidence.withdrawn",
            actor=by,
            obj=attestation,
            team=attestation.checklist.team,
            changes={
                "evidence": link.evidence_id,
                "name": str(link.evidence),
                "version": attestation.version,
                **state_change,
            },
        )
    return link


def evidence_open(*, evidence: Evidence, by) -> Iterator[bytes]:
    """The decrypted file, recorded as a download before the first byte leaves."""
    if evidence.kind != EvidenceKind.FILE:
        raise ValidationError("Only files can be downloaded.")
    audit.record(
        "checklists.evidence.downloaded",
        actor=by,
        obj=evidence,
        team=evidence.team,
        changes={"sha256": evidence.sha256},
    )
    return open_blob(evidence.blob_name)
