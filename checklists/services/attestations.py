"""Answering controls, attaching evidence, and reviewing the answers."""

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from checklists.evidence.filenames import clean_filename
from checklists.evidence.scanning import TextScanner
from checklists.evidence.storage import EvidenceRejected, delete_blob, open_blob, store_upload
from checklists.models import (
    NEEDS_JUSTIFICATION,
    AnswerStatus,
    Attestation,
    AttestationVersion,
    Decision,
    Evidence,
    EvidenceKind,
    EvidenceLink,
    ReviewDecision,
    ReviewState,
)
from portal.audit import services as audit

# What a reviewer approves; owner and due date only organise the work.
ANSWER_FIELDS = ("status", "statement", "justification")
ASSIGNMENT_FIELDS = ("owner", "due_date")


def refuse_secrets(**fields: str) -> None:
    """Text typed into the portal is scanned like uploaded files: no live credentials kept."""
    for label, text in fields.items():
        scanner = TextScanner()
        finding = scanner.feed(text or "") or scanner.finish()
        if finding is not None:
            raise ValidationError(
                f"The {label.replace('_', ' ')} looks like it holds {finding.kind} (line "
                f"{finding.line}); remove it — the portal must never hold live credentials."
            )


def _locked(attestation: Attestation, expected_version: int | None) -> Attestation:
    """Lock the row; refuse if someone saved a newer version since the form was opened."""
    current = (
        Attestation.objects.select_for_update()
        .select_related("checklist__team", "control")
        .get(pk=attestation.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            f"This attestation changed while you were editing it (now version {current.version}). "
            "Reload the page, check the changes, and try again."
        )
    return current


def _check_answerable(attestation: Attestation) -> None:
    if attestation.satisfied_through_id:
        raise ValidationError(
            f"{attestation.control.ref} is answered through "
            f"{attestation.satisfied_through.control.ref}; "
            "answer it there."
        )


def _new_version(attestation: Attestation, *, by, changed: list[str]) -> dict:
    """Bump the version and keep a snapshot. A changed approved answer goes back to the
    reviewers (or to draft, if it is no longer answered). Returns the review-state change."""
    attestation.version += 1
    state_change = {}
    if attestation.review_state == ReviewState.APPROVED:
        new_state = (
            ReviewState.DRAFT
            if attestation.status == AnswerStatus.UNANSWERED
            else ReviewState.SUBMITTED
        )
        state_change = {"review_state": [attestation.review_state, new_state]}
        attestation.review_state = new_state
        attestation.submitted_at = timezone.now() if new_state == ReviewState.SUBMITTED else None
        attestation.approved_at = None
        attestation.next_review_due = None
    attestation.save()
    AttestationVersion.objects.create(
        attestation=attestation,
        number=attestation.version,
        status=attestation.status,
        statement=attestation.statement,
        justification=attestation.justification,
        owner=attestation.owner,
        due_date=attestation.due_date,
        evidence_ids=list(
            attestation.evidence_links.filter(withdrawn_at__isnull=True).values_list(
                "evidence_id", flat=True
            )
        ),
        changed_fields=changed,
        saved_by=by,
    )
    return state_change


def attestation_save(
    *,
    attestation: Attestation,
    by,
    status: str,
    statement: str,
    justification: str = "",
    owner=None,
    due_date: date | None = None,
    expected_version: int,
) -> Attestation:
    """Save the answer. Changing status, statement or justification makes a new version (and
    sends an approved answer back to review); owner and due date alone do not."""
    if status in NEEDS_JUSTIFICATION and not justification.strip():
        raise ValidationError(
            f"Explain why the control is {AnswerStatus(status).label.lower()}: "
            "a justification is required."
        )
    if status in (AnswerStatus.IMPLEMENTED, AnswerStatus.PARTIAL) and not statement.strip():
        raise ValidationError("Describe how the control is met.")
    refuse_secrets(statement=statement, justification=justification)
    with transaction.atomic():
        attestation = _locked(attestation, expected_version)
        _check_answerable(attestation)
        new = {
            "status": status,
            "statement": statement.strip(),
            "justification": justification.strip(),
            "owner": owner,
            "due_date": due_date,
        }
        changes = {
            name: [_plain(getattr(attestation, name)), _plain(value)]
            for name, value in new.items()
            if getattr(attestation, name) != value
        }
        if not changes:
            return attestation
        for name, value in new.items():
            setattr(attestation, name, value)
        if not set(changes) & set(ANSWER_FIELDS):
            attestation.save(update_fields=ASSIGNMENT_FIELDS)
            audit.record(
                "checklists.attestation.assigned",
                actor=by,
                obj=attestation,
                team=attestation.checklist.team,
                changes=changes,
            )
            return attestation
        attestation.attested_by, attestation.attested_at = by, timezone.now()
        changes |= _new_version(attestation, by=by, changed=list(changes))
        audit.record(
            "checklists.attestation.changed",
            actor=by,
            obj=attestation,
            team=attestation.checklist.team,
            changes={**changes, "version": attestation.version},
        )
    return attestation


def _plain(value):
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def attestation_submit(*, attestation: Attestation, by, expected_version: int) -> Attestation:
    with transaction.atomic():
        attestation = _locked(attestation, expected_version)
        _check_answerable(attestation)
        if attestation.review_state == ReviewState.SUBMITTED:
            raise ValidationError("This answer is already awaiting review.")
        if attestation.review_state == ReviewState.APPROVED and not attestation.is_stale:
            raise ValidationError("This answer is approved; change it to send it back to review.")
        if attestation.status == AnswerStatus.UNANSWERED:
            raise ValidationError("Answer the control before submitting it for review.")
        attestation.review_state = ReviewState.SUBMITTED
        attestation.submitted_at = timezone.now()
        attestation.save(update_fields=("review_state", "submitted_at"))
        audit.record(
            "checklists.attestation.submitted",
            actor=by,
            obj=attestation,
            team=attestation.checklist.team,
            changes={"version": attestation.version},
        )
    return attestation


def _check_dates(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError("The evidence cannot stop being valid before it starts.")


def _attach(attestation: Attestation, evidence: Evidence, *, by) -> None:
    EvidenceLink.objects.create(attestation=attestation, evidence=evidence, added_by=by)
    state_change = _new_version(attestation, by=by, changed=["evidence"])
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
            "valid_from": _plain(evidence.valid_from),
            "valid_until": _plain(evidence.valid_until),
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
    _check_dates(valid_from, valid_until)
    _check_answerable(attestation)
    refuse_secrets(description=description)
    try:
        filename = clean_filename(upload.name)
        blob = store_upload(upload, filename=filename)
    except EvidenceRejected as rejected:
        raise ValidationError(rejected.message) from rejected
    try:
        with transaction.atomic():
            attestation = _locked(attestation, expected_version)
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
    _check_dates(valid_from, valid_until)
    refuse_secrets(link=url, description=description)
    with transaction.atomic():
        attestation = _locked(attestation, expected_version)
        _check_answerable(attestation)
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
        attestation = _locked(attestation, expected_version)
        updated = EvidenceLink.objects.filter(pk=link.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(), withdrawn_by=by
        )
        if updated != 1:
            raise ValidationError("That evidence was already removed.")
        state_change = _new_version(attestation, by=by, changed=["evidence"])
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


def editors_of(attestation: Attestation) -> set[int]:
    """Everyone who wrote the answer or attached or removed its evidence, including in the
    earlier periods the answer was copied from."""
    editors: set[int] = set()
    seen: set[int] = set()
    current: int | None = attestation.pk
    while current is not None and current not in seen:
        seen.add(current)
        editors |= set(
            AttestationVersion.objects.filter(attestation_id=current).values_list(
                "saved_by_id", flat=True
            )
        )
        for added, withdrawn, uploaded in EvidenceLink.objects.filter(
            attestation_id=current
        ).values_list("added_by_id", "withdrawn_by_id", "evidence__uploaded_by_id"):
            editors |= {added, uploaded} | ({withdrawn} if withdrawn else set())
        current = (
            Attestation.objects.filter(pk=current).values_list("copied_from_id", flat=True).first()
        )
    return editors


def review_approve(
    *, attestation: Attestation, by, expected_version: int, comment: str = ""
) -> ReviewDecision:
    refuse_secrets(comment=comment)
    with transaction.atomic():
        attestation = _locked(attestation, expected_version)
        if attestation.review_state != ReviewState.SUBMITTED:
            raise ValidationError(
                f"{attestation.control.ref} is {attestation.get_review_state_display().lower()}; "
                "only an answer awaiting review can be approved."
            )
        if attestation.status == AnswerStatus.UNANSWERED:
            raise ValidationError(
                f"{attestation.control.ref} is unanswered; there is nothing to approve."
            )
        if by.pk in editors_of(attestation):
            raise ValidationError(
                f"You edited {attestation.control.ref} or its evidence, "
                "so another reviewer must approve it."
            )
        recurrence = attestation.control.recurrence_days
        due = timezone.localdate() + timedelta(days=recurrence) if recurrence else None
        decision = _decide(
            attestation, by=by, decision=Decision.APPROVED, comment=comment, next_review_due=due
        )
    return decision


def review_request_changes(
    *, attestation: Attestation, by, comment: str, expected_version: int
) -> ReviewDecision:
    if not comment.strip():
        raise ValidationError("Say what needs to change: a comment is required.")
    refuse_secrets(comment=comment)
    with transaction.atomic():
        attestation = _locked(attestation, expected_version)
        if attestation.review_state not in (ReviewState.SUBMITTED, ReviewState.APPROVED):
            raise ValidationError(
                f"{attestation.control.ref} is {attestation.get_review_state_display().lower()}; "
                "changes can be requested on an answer awaiting review or approved."
            )
        decision = _decide(attestation, by=by, decision=Decision.CHANGES_REQUESTED, comment=comment)
    return decision


def _decide(
    attestation: Attestation,
    *,
    by,
    decision: str,
    comment: str,
    next_review_due: date | None = None,
) -> ReviewDecision:
    """Record a reviewer's decision on the locked attestation's current version."""
    approved = decision == Decision.APPROVED
    now = timezone.now()
    attestation.review_state = ReviewState.APPROVED if approved else ReviewState.CHANGES_REQUESTED
    attestation.approved_at = now if approved else None
    attestation.next_review_due = next_review_due
    attestation.save(update_fields=("review_state", "approved_at", "next_review_due"))
    audit.record(
        f"checklists.attestation.{'approved' if approved else 'changes_requested'}",
        actor=by,
        obj=attestation,
        team=attestation.checklist.team,
        changes={"version": attestation.version, "next_review_due": _plain(next_review_due)},
        reason=comment.strip(),
    )
    return ReviewDecision.objects.create(
        attestation=attestation,
        version=attestation.version,
        decision=decision,
        comment=comment.strip(),
        reviewer=by,
        decided_at=now,
    )


def review_bulk_approve(
    *, attestations: Iterable[Attestation], by
) -> tuple[list[Attestation], list[tuple[Attestation, str]]]:
    """Approve each in its own transaction; returns (approved, [(refused, why)])."""
    approved, refused = [], []
    for attestation in attestations:
        try:
            review_approve(attestation=attestation, by=by, expected_version=attestation.version)
        except ValidationError as error:
            refused.append((attestation, " ".join(error.messages)))
        else:
            approved.append(attestation)
    return approved, refused
