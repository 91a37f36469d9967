"""What the answer, evidence and review services share: the row lock, versions, secret refusal."""

from collections.abc import Mapping
from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from checklists import rules
from checklists.evidence.scanning import TextScanner
from checklists.models import Attestation, AttestationVersion, ReviewState
from portal.audit import services as audit


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


def refuse(*objections: str | None, fields: Mapping[str, str | None] | None = None) -> None:
    """Raise the rules' objections, if any, as one ValidationError; those about one field
    (`fields`) keyed by that field, so a form shows them next to what was typed."""
    problems = [p for p in objections if p]
    by_field = {field: [problem] for field, problem in (fields or {}).items() if problem}
    if not by_field:
        if problems:
            raise ValidationError(problems)
        return
    if problems:
        by_field.setdefault(NON_FIELD_ERRORS, []).extend(problems)
    raise ValidationError(by_field)


def refuse_secrets_by_field(**fields: str) -> None:
    """`refuse_secrets`, with the refusal keyed by the field that holds the secret."""
    for field, text in fields.items():
        try:
            refuse_secrets(**{field: text})
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None


def locked(attestation: Attestation, expected_version: int | None) -> Attestation:
    """Lock the answer's own row and refuse if someone saved a newer version since the form
    was opened.

    Only this row (`of`), and as FOR NO KEY UPDATE (`no_key`): it does not block the key-share
    locks that foreign-key checks take, so a quarter being copied from this answer, which
    holds the audit chain's head, never waits on it while it waits on the head (a deadlock).
    """
    current = (
        Attestation.objects.select_for_update(of=("self",), no_key=True)
        .select_related(
            "checklist__team", "control__source__provider", "satisfied_through__control"
        )
        .get(pk=attestation.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            f"This answer changed while you were editing it (now version {current.version}). "
            "Reload the page, check the changes, and try again."
        )
    return current


def refuse_if_covered(attestation: Attestation) -> None:
    carrier = attestation.satisfied_through
    refuse(rules.why_not_answerable(carrier_ref=carrier.control.ref if carrier else None))


def new_version(attestation: Attestation, *, by, changed: list[str]) -> dict:
    """Bump the version, move the review state as the rules say, and keep a snapshot.
    Returns the review-state change, for the audit event."""
    attestation.version += 1
    state_change = {}
    new_state = rules.review_state_after_change(
        review_state=attestation.review_state, status=attestation.status
    )
    if new_state != attestation.review_state:
        state_change = {"review_state": audit.change(attestation.review_state, new_state)}
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


def plain(value):
    """A value as JSON for the audit trail."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
