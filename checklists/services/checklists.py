"""Creating a team's checklist for a period."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from checklists.models import (
    AnswerStatus,
    Attestation,
    AttestationVersion,
    Checklist,
    Control,
    EvidenceLink,
    Provider,
)
from checklists.services.catalog import ASVS_SOURCE_SLUG
from portal.accounts.models import Team
from portal.audit import services as audit

PERIOD_RE = re.compile(r"^(?P<year>20\d\d)-Q(?P<quarter>[1-4])$")


def previous_period(period: str) -> str:
    match = PERIOD_RE.match(period)
    year, quarter = int(match["year"]), int(match["quarter"])
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"


def next_period(period: str) -> str:
    match = PERIOD_RE.match(period)
    year, quarter = int(match["year"]), int(match["quarter"])
    return f"{year + 1}-Q1" if quarter == 4 else f"{year}-Q{quarter + 1}"


def applicable_controls(*, providers: list[Provider], asvs_level: int):
    condition = Q(source__provider__in=providers)
    if asvs_level:
        condition |= Q(source__slug=ASVS_SOURCE_SLUG, owasp__asvs_level__lte=asvs_level)
    return (
        Control.objects.filter(condition, retired=False)
        .distinct()
        .order_by(F("source__provider__name").asc(nulls_last=True), "source__slug", "position")
    )


def checklist_create(
    *,
    team: Team,
    period: str,
    providers: list[Provider],
    asvs_level: int = 0,
    by,
    copy_previous: bool = False,
) -> Checklist:
    """A checklist with one attestation per applicable control, equivalents answered once.

    With `copy_previous`, the answers of the team's latest earlier checklist come over as
    drafts and their evidence is linked again.
    """
    if not PERIOD_RE.match(period):
        raise ValidationError(f"{period!r} is not a quarter such as 2026-Q4.")
    if asvs_level not in (0, 1, 2):
        raise ValidationError("The ASVS baseline is level 1, level 2, or none.")
    if not providers and not asvs_level:
        raise ValidationError("Choose at least one provider or an ASVS baseline.")
    with transaction.atomic():
        copy_from = None
        if copy_previous:
            copy_from = team.checklists.filter(period__lt=period).order_by("-period").first()
            if copy_from is None:
                raise ValidationError(f"{team} has no checklist before {period} to start from.")
        try:
            with transaction.atomic():  # a savepoint: a second, simultaneous create lands here
                checklist = Checklist.objects.create(
                    team=team,
                    period=period,
                    asvs_level=asvs_level,
                    created_by=by,
                    copied_from=copy_from,
                )
        except IntegrityError:
            raise ValidationError(f"{team} already has a checklist for {period}.") from None
        checklist.providers.set(providers)
        controls = list(applicable_controls(providers=providers, asvs_level=asvs_level))
        attestations = Attestation.objects.bulk_create(
            [Attestation(checklist=checklist, control=control) for control in controls]
        )
        _link_equivalents(attestations)
        copied = _copy_answers(attestations, copy_from, by) if copy_from else 0
        audit.record(
            "checklists.checklist.created",
            actor=by,
            obj=checklist,
            team=team,
            changes={
                "period": period,
                "providers": sorted(provider.slug for provider in providers),
                "asvs_level": asvs_level,
                "attestations": len(attestations),
                "copied_from": copy_from.period if copy_from else None,
                "answers_copied": copied,
            },
        )
    return checklist


def _strictness(attestation: Attestation) -> tuple:
    """The member of a group that recurs most often carries the answer, so approvals of the
    group go stale by the strictest provider's interval."""
    days = attestation.control.recurrence_days
    return (days is None, days or 0)


def _link_equivalents(attestations: list[Attestation]) -> None:
    """One control of each equivalence group carries the answer for the others."""
    groups: dict[int, list[Attestation]] = {}
    for attestation in attestations:
        if attestation.control.equivalence_group_id is not None:
            groups.setdefault(attestation.control.equivalence_group_id, []).append(attestation)
    covered = []
    for members in groups.values():
        primary = min(members, key=_strictness)  # min() keeps catalog order among equals
        for attestation in members:
            if attestation is not primary:
                attestation.satisfied_through = primary
                covered.append(attestation)
    Attestation.objects.bulk_update(covered, ["satisfied_through"])


def _copy_answers(attestations: list[Attestation], source: Checklist, by) -> int:
    """Bring over the earlier period's answers as drafts, each linked to its predecessor.

    An equivalence group's answer follows the group even when another member carries it now.
    """
    earlier = list(
        source.attestations.filter(satisfied_through__isnull=True)
        .exclude(status=AnswerStatus.UNANSWERED)
        .select_related("control")
        .prefetch_related("evidence_links")
    )
    by_control = {old.control_id: old for old in earlier}
    by_group = {
        old.control.equivalence_group_id: old for old in earlier if old.control.equivalence_group_id
    }
    versions, links, copied = [], [], []
    for attestation in attestations:
        if attestation.satisfied_through_id:
            continue
        old = by_control.get(attestation.control_id) or by_group.get(
            attestation.control.equivalence_group_id
        )
        if old is None:
            continue
        attestation.status, attestation.statement = old.status, old.statement
        attestation.justification, attestation.owner_id = old.justification, old.owner_id
        attestation.version, attestation.copied_from = 1, old
        evidence_ids = [
            link.evidence_id for link in old.evidence_links.all() if link.withdrawn_at is None
        ]
        links += [
            EvidenceLink(attestation=attestation, evidence_id=pk, added_by=by)
            for pk in evidence_ids
        ]
        versions.append(
            AttestationVersion(
                attestation=attestation,
                number=1,
                status=old.status,
                statement=old.statement,
                justification=old.justification,
                owner_id=old.owner_id,
                evidence_ids=evidence_ids,
                changed_fields=[f"copied from {source.period} ({old.control.ref})"],
                saved_by=by,
            )
        )
        copied.append(attestation)
    Attestation.objects.bulk_update(
        copied, ["status", "statement", "justification", "owner", "version", "copied_from"]
    )
    AttestationVersion.objects.bulk_create(versions)
    EvidenceLink.objects.bulk_create(links)
    for attestation, version in zip(copied, versions, strict=True):
        audit.record(
            "checklists.attestation.copied",
            actor=by,
            obj=attestation,
            team=source.team,
            changes={
                "from": f"{source.period} {attestation.copied_from.control.ref}",
                "status": attestation.status,
                "evidence": version.evidence_ids,
            },
        )
    return len(copied)
