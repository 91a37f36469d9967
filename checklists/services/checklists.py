"""Creating a team's checklist for a period."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from checklists import rules
from checklists.models import (
    AnswerStatus,
    Attestation,
    AttestationVersion,
    Checklist,
    Control,
    EvidenceLink,
    Provider,
)
from checklists.periods import Quarter
from checklists.services import obligations
from checklists.services.catalog import ASVS_SOURCE_SLUG
from portal.accounts.models import Team
from portal.accounts.permissions import team_member_ids
from portal.audit import services as audit


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
    period = str(Quarter.parse(period))
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
        _link_equivalents(
            attestations,
            separately=_groups_answered_separately(copy_from) if copy_from else set(),
        )
        copies = _copy_answers(attestations, copy_from, by) if copy_from else []
        duties = obligations.ensure_for_checklist(checklist, by=by)
        created = audit.Entry(
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
                "answers_copied": len(copies),
            },
        )
        # Last, all at once: the audit chain's head is held only from here to the commit.
        audit.record_many([*copies, *duties, created])
    return checklist


def _link_equivalents(attestations: list[Attestation], *, separately: set[int]) -> None:
    """The strictest member of each equivalence group carries the answer for the others,
    except in groups the team chose to answer separately (`separately`: group ids)."""
    groups: dict[int, list[Attestation]] = {}
    for attestation in attestations:
        group = attestation.control.equivalence_group_id
        if group is not None and group not in separately:
            groups.setdefault(group, []).append(attestation)
    covered = []
    for members in groups.values():
        carrier_control = rules.choose_carrier([member.control for member in members])
        carrier = next(member for member in members if member.control is carrier_control)
        for attestation in members:
            if attestation is not carrier:
                attestation.satisfied_through = carrier
                covered.append(attestation)
    Attestation.objects.bulk_update(covered, ["satisfied_through"])


def _groups_answered_separately(checklist: Checklist) -> set[int]:
    """Groups whose members the earlier checklist answered each on its own."""
    members = checklist.attestations.filter(control__equivalence_group__isnull=False)
    grouped = set(
        members.filter(satisfied_through__isnull=False).values_list(
            "control__equivalence_group", flat=True
        )
    )
    counts: dict[int, int] = {}
    for group in members.values_list("control__equivalence_group", flat=True):
        counts[group] = counts.get(group, 0) + 1
    return {group for group, count in counts.items() if count > 1 and group not in grouped}


def _copy_answers(attestations: list[Attestation], source: Checklist, by) -> list[audit.Entry]:
    """Bring over the earlier period's answers as drafts, each linked to its predecessor;
    returns the audit entries to record.

    A group's answer follows the group even when another member carries it now; an answer
    given for one control alone only ever comes back to that control.
    """
    earlier = list(
        source.attestations.filter(satisfied_through__isnull=True)
        .exclude(status=AnswerStatus.UNANSWERED)
        .select_related("control")
        .prefetch_related("evidence_links")
    )
    by_control = {old.control_id: old for old in earlier}
    stood_for: dict[int, set[int]] = {}  # an earlier answer's pk -> the controls it answered
    for old in earlier:
        stood_for[old.pk] = {old.control_id}
    for carrier_id, control_id in source.attestations.filter(
        satisfied_through__isnull=False
    ).values_list("satisfied_through", "control"):
        stood_for.setdefault(carrier_id, set()).add(control_id)
    by_group = {
        old.control.equivalence_group_id: old for old in earlier if len(stood_for[old.pk]) > 1
    }
    must_cover: dict[int, set[int]] = {}  # a new carrier's pk -> the controls it answers for
    for attestation in attestations:
        carrier = attestation.satisfied_through_id or attestation.pk
        must_cover.setdefault(carrier, set()).add(attestation.control_id)
    carriers = {attestation.satisfied_through_id for attestation in attestations}
    members = team_member_ids(source.team)  # an owner who left the team owns nothing new
    versions, links, copied = [], [], []
    for attestation in attestations:
        if attestation.satisfied_through_id:
            continue
        old = by_control.get(attestation.control_id) or by_group.get(
            attestation.control.equivalence_group_id
        )
        if old is None or not must_cover[attestation.pk] <= stood_for[old.pk]:
            continue  # an answer never comes to stand for a control it did not answer
        if old.status == AnswerStatus.NOT_APPLICABLE and attestation.pk in carriers:
            continue  # "not applicable" never comes to stand for a group
        attestation.status, attestation.statement = old.status, old.statement
        attestation.justification = old.justification
        attestation.owner_id = old.owner_id if old.owner_id in members else None
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
    return [
        audit.Entry(
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
        for attestation, version in zip(copied, versions, strict=True)
    ]
