"""Evidence: files stored for a team, and files and links attached to, withdrawn from and
downloaded from answers."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import magic
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from checklists import rules
from checklists.evidence.errors import BlobUnreadable, EvidenceRejected
from checklists.evidence.filenames import clean_filename
from checklists.evidence.storage import StoredBlob, delete_blob, open_blob, store_upload
from checklists.evidence.types import new_text_decoder
from checklists.models import Attestation, Evidence, EvidenceKind, EvidenceLink
from checklists.services.common import (
    locked,
    new_version,
    plain,
    refuse,
    refuse_if_covered,
    refuse_secrets,
)
from portal.accounts.models import Team
from portal.audit import services as audit


def _attach(attestation: Attestation, evidence: Evidence, *, by) -> EvidenceLink:
    link = EvidenceLink.objects.create(attestation=attestation, evidence=evidence, added_by=by)
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
    return link


def seal_upload(upload) -> StoredBlob:
    """Check, scan, hash and encrypt an uploaded file into the evidence store."""
    try:
        return store_upload(upload, filename=clean_filename(upload.name))
    except EvidenceRejected as rejected:
        raise ValidationError(rejected.message) from rejected


def evidence_row(
    *,
    team: Team,
    blob: StoredBlob,
    description: str,
    valid_from: date | None,
    valid_until: date | None,
    by,
) -> Evidence:
    return Evidence.objects.create(
        team=team,
        kind=EvidenceKind.FILE,
        description=description.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        original_name=blob.filename,
        size=blob.size,
        sha256=blob.sha256,
        content_type=blob.content_type,
        blob_name=blob.name,
        uploaded_by=by,
    )


def evidence_create_file(
    *,
    team: Team,
    upload,
    description: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
    by,
) -> Evidence:
    """Scan, hash and encrypt the file into the evidence store and keep its row, attached to
    nothing yet (see `evidence_attach`); a refused or failed upload leaves nothing."""
    refuse(rules.evidence_period_problem(valid_from, valid_until))
    refuse_secrets(description=description)
    blob = seal_upload(upload)
    try:
        with transaction.atomic():
            evidence = evidence_row(
                team=team,
                blob=blob,
                description=description,
                valid_from=valid_from,
                valid_until=valid_until,
                by=by,
            )
            audit.record(
                "checklists.evidence.stored",
                actor=by,
                obj=evidence,
                team=team,
                changes={
                    "name": evidence.original_name,
                    "sha256": evidence.sha256,
                    "size": evidence.size,
                    "valid_from": plain(valid_from),
                    "valid_until": plain(valid_until),
                },
            )
    except BaseException:
        delete_blob(blob.name)
        raise
    return evidence


def evidence_attach(
    *, attestation: Attestation, evidence: Evidence, by, expected_version: int
) -> EvidenceLink:
    """Attach the team's existing evidence to one of its answers, as a new answer version."""
    with transaction.atomic():
        attestation = locked(attestation, expected_version)
        refuse_if_covered(attestation)
        if evidence.team_id != attestation.checklist.team_id:
            raise ValidationError("That evidence belongs to another team.")
        if attestation.evidence_links.filter(evidence=evidence, withdrawn_at__isnull=True).exists():
            raise ValidationError("That evidence is already attached to this answer.")
        return _attach(attestation, evidence, by=by)


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
    blob = seal_upload(upload)
    try:
        with transaction.atomic():
            attestation = locked(attestation, expected_version)
            refuse_if_covered(attestation)
            evidence = evidence_row(
                team=attestation.checklist.team,
                blob=blob,
                description=description,
                valid_from=valid_from,
                valid_until=valid_until,
                by=by,
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


def _record_unreadable(evidence: Evidence, by, problem: BlobUnreadable) -> None:
    with transaction.atomic():
        audit.record(
            "checklists.evidence.unreadable",
            actor=by,
            obj=evidence,
            team=evidence.team,
            changes={"sha256": evidence.sha256, "problem": str(problem)},
        )


def _reporting_failures(chunks: Iterator[bytes], evidence: Evidence, by) -> Iterator[bytes]:
    try:
        yield from chunks
    except BlobUnreadable as problem:
        _record_unreadable(evidence, by, problem)
        raise


def evidence_open(*, evidence: Evidence, by) -> Iterator[bytes]:
    """The decrypted file, recorded as a download before the first byte leaves.

    The blob's header and first chunk are checked before this returns (BlobUnreadable if they
    fail, so the caller can still answer an error); the file's SHA-256 is compared with the
    recorded one before its last chunk is released, so a blob that is not this file's never
    arrives whole. Every such failure is written to the audit trail.
    """
    if evidence.kind != EvidenceKind.FILE:
        raise ValidationError("Only files can be downloaded.")
    try:
        chunks = open_blob(evidence.blob_name, sha256=evidence.sha256)
    except BlobUnreadable as problem:
        _record_unreadable(evidence, by, problem)
        raise
    audit.record(
        "checklists.evidence.downloaded",
        actor=by,
        obj=evidence,
        team=evidence.team,
        changes={"sha256": evidence.sha256},
    )
    return _reporting_failures(chunks, evidence, by)


# --- Previews ------------------------------------------------------------------------------
# A reviewer reads text evidence and looks at images on the answer page. Only raster images
# are ever served inline (SVG and HTML can carry scripts), only when the bytes themselves are
# one, and never markup as text either: those are downloaded. A preview is a read of the file
# and is recorded like a download.

PREVIEW_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_PREVIEW_TYPES = frozenset({"application/json", "application/yaml"})
MARKUP_EXTENSIONS = frozenset({"svg", "svgz", "html", "htm", "xhtml", "xht", "xml"})
TEXT_PREVIEW_BYTES = 20 * 1024
IMAGE_PREVIEW_MAX_BYTES = 10 * 1024 * 1024


def preview_kind(evidence: Evidence) -> str | None:
    """ "image", "text", or None when the evidence is only downloaded."""
    if evidence.kind != EvidenceKind.FILE:
        return None
    content_type = evidence.content_type.split(";", 1)[0].strip().lower()
    if content_type in PREVIEW_IMAGE_TYPES:
        return "image" if evidence.size <= IMAGE_PREVIEW_MAX_BYTES else None
    # The store renames markup to text (diagram.svg.txt): any markup extension in the name counts.
    if MARKUP_EXTENSIONS.intersection(evidence.original_name.lower().split(".")[1:]):
        return None
    if content_type.startswith("text/") or content_type in TEXT_PREVIEW_TYPES:
        return "text"
    return None


@dataclass(frozen=True)
class TextPreview:
    text: str
    truncated: bool


def _record_preview(evidence: Evidence, by, kind: str) -> None:
    audit.record(
        "checklists.evidence.previewed",
        actor=by,
        obj=evidence,
        team=evidence.team,
        changes={"sha256": evidence.sha256, "as": kind},
    )


def _open_for_preview(evidence: Evidence, by) -> Iterator[bytes]:
    try:
        return open_blob(evidence.blob_name, sha256=evidence.sha256)
    except BlobUnreadable as problem:
        _record_unreadable(evidence, by, problem)
        raise


def evidence_preview_text(*, evidence: Evidence, by) -> TextPreview:
    """The first TEXT_PREVIEW_BYTES of a text file, decoded (a character cut at the limit is
    left out), recorded as a preview."""
    if preview_kind(evidence) != "text":
        raise ValidationError("This evidence has no text preview; download it.")
    chunks = _open_for_preview(evidence, by)
    head = bytearray()
    try:
        for chunk in chunks:
            head += chunk
            if len(head) > TEXT_PREVIEW_BYTES:
                break
    except BlobUnreadable as problem:
        _record_unreadable(evidence, by, problem)
        raise
    finally:
        chunks.close()
    truncated = len(head) > TEXT_PREVIEW_BYTES
    text = new_text_decoder().decode(bytes(head[:TEXT_PREVIEW_BYTES]), final=not truncated)
    _record_preview(evidence, by, "text")
    return TextPreview(text=text, truncated=truncated)


def evidence_preview_image(*, evidence: Evidence, by) -> tuple[str, Iterator[bytes]]:
    """(content type, decrypted chunks) of an image evidence, served only when its first bytes
    are one of PREVIEW_IMAGE_TYPES and match what was recorded at upload."""
    if preview_kind(evidence) != "image":
        raise ValidationError("This evidence has no image preview; download it.")
    chunks = _open_for_preview(evidence, by)
    first = next(chunks, b"")
    sniffed = magic.from_buffer(first[:4096], mime=True)
    if sniffed not in PREVIEW_IMAGE_TYPES or not evidence.content_type.startswith(sniffed):
        chunks.close()
        raise ValidationError("This file is not an image that can be shown; download it.")
    _record_preview(evidence, by, "image")
    return sniffed, _reporting_failures(itertools.chain([first], chunks), evidence, by)
