"""A team's checklist for a quarter as OSCAL assessment results.

One result for the quarter. Its reviewed controls are the checklist's controls; each control has
a finding whose objective status follows `claims.claim_for` (satisfied only when an
"implemented" answer was approved and the approval is current). Each evidence file or link cited
by an answer is an observation (name, SHA-256, validity, who uploaded and who attached it; never
the file's content), also listed in the back matter with its hash. People appear as parties
under their user names, in the roles they played: attester, approver, reviewer (changes
requested), evidence uploader and attacher.

OSCAL requires an assessment plan; the portal keeps none apart from the checklist, so the plan
reference points at a back-matter resource for the control catalog, with the catalog export's
SHA-256.

Staleness is judged as of one day: the quarter's last day once it has ended, else today. So an
ended quarter's results change only when its data does; an open quarter's may change from one
day to the next as approvals fall stale.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from trestle.oscal import OSCAL_VERSION, common
from trestle.oscal import assessment_results as oscal

from checklists import rules
from checklists.models import (
    AnswerStatus,
    Attestation,
    AttestationVersion,
    Checklist,
    Decision,
    EvidenceKind,
    EvidenceLink,
    ReviewDecision,
    ReviewState,
)
from checklists.oscal import catalog
from checklists.oscal.claims import Claim, claim_for
from checklists.oscal.documents import OscalDocument, checked_bytes, with_content_uuid
from checklists.oscal.identifiers import (
    end_of,
    or_none,
    oscal_prop,
    portal_prop,
    stable_uuid,
    start_of,
    utc,
)
from checklists.periods import Quarter
from checklists.reports.content import kind_for


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    description: str


ATTESTER = Role("attester", "Attester", "Answered the control for the team.")
APPROVER = Role("approver", "Approver", "Security reviewer who approved the answer.")
REVIEWER = Role("reviewer", "Reviewer", "Security reviewer who asked for changes to the answer.")
UPLOADER = Role("evidence-uploader", "Evidence uploader", "Stored the evidence for the team.")
ATTACHER = Role("evidence-attacher", "Evidence attacher", "Attached the evidence to an answer.")
TEAM = Role("assessed-team", "Assessed team", "The team whose checklist this is.")
ROLES = (TEAM, ATTESTER, APPROVER, REVIEWER, UPLOADER, ATTACHER)

CLAIMS_REMARK = (
    "A control is satisfied only when its answer is 'implemented', a security reviewer "
    "approved it, and the approval is current. Anything not approved, or whose approval went "
    "stale, is not-satisfied with the reason 'other' (not determined); the team's own answer "
    "is kept in the finding's properties."
)
PLAN_REMARK = (
    "The portal keeps no assessment plan apart from the checklist itself: the plan reference "
    "points at the control catalog the checklist's controls come from."
)


def filename(checklist: Checklist) -> str:
    return f"{checklist.team.slug}-{checklist.period}-oscal-assessment-results.json"


def portal_path(name: str, *args: object) -> str:
    """A path on the portal, the same whichever prefix the portal is served under."""
    return "/" + reverse(f"checklists:{name}", args=args).removeprefix(get_script_prefix())


def person_uuid(user) -> str:
    return stable_uuid("person", user.get_username())


@dataclass
class _Parties:
    """The people named in the document, and the roles each played."""

    team_uuid: str
    people: dict[str, AbstractBaseUser]
    by_role: dict[str, set[str]]

    def actor(self, user, role: Role) -> common.OriginActor:
        self.people[person_uuid(user)] = user
        self.by_role[role.id].add(person_uuid(user))
        return common.OriginActor(type="party", actor_uuid=person_uuid(user), role_id=role.id)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _latest_decisions(checklist: Checklist) -> dict[int, ReviewDecision]:
    latest: dict[int, ReviewDecision] = {}
    for decision in (
        ReviewDecision.objects.filter(attestation__checklist=checklist)
        .select_related("reviewer")
        .order_by("attestation_id", "-decided_at", "-pk")
    ):
        latest.setdefault(decision.attestation_id, decision)
    return latest


def _links_by_attestation(checklist: Checklist) -> dict[int, list[EvidenceLink]]:
    links: dict[int, list[EvidenceLink]] = defaultdict(list)
    for link in (
        EvidenceLink.objects.filter(attestation__checklist=checklist, withdrawn_at__isnull=True)
        .select_related("evidence__uploaded_by", "added_by", "attestation__control")
        .order_by("evidence_id", "attestation__control__ref", "pk")
    ):
        links[link.attestation_id].append(link)
    return links


def last_modified(checklist: Checklist) -> datetime:
    """The last change to anything the document says: answers, their versions, reviews,
    evidence attached or withdrawn, and the catalog."""
    answers = Attestation.objects.filter(checklist=checklist).aggregate(
        attested=Max("attested_at"), submitted=Max("submitted_at"), approved=Max("approved_at")
    )
    versions = AttestationVersion.objects.filter(attestation__checklist=checklist).aggregate(
        saved=Max("saved_at")
    )
    decided = ReviewDecision.objects.filter(attestation__checklist=checklist).aggregate(
        decided=Max("decided_at")
    )
    links = EvidenceLink.objects.filter(attestation__checklist=checklist).aggregate(
        added=Max("added_at"), withdrawn=Max("withdrawn_at")
    )
    moments = [checklist.created_at, catalog.last_changed()]
    for values in (answers, versions, decided, links):
        moments += [moment for moment in values.values() if moment is not None]
    return max(utc(moment) for moment in moments)


def _observations(
    links: dict[int, list[EvidenceLink]], checklist: Checklist, parties: _Parties
) -> tuple[list[common.Observation], list[common.Resource], dict[int, str]]:
    """An observation and a back-matter resource per evidence cited; the observation of each
    evidence by its id."""
    cited: dict[int, list[EvidenceLink]] = defaultdict(list)
    for attestation_links in links.values():
        for link in attestation_links:
            cited[link.evidence_id].append(link)
    team, period = checklist.team.slug, checklist.period
    observations, resources, observation_of = [], [], {}
    for evidence_id in sorted(cited):
        evidence_links = sorted(cited[evidence_id], key=lambda link: link.attestation.control.ref)
        evidence = evidence_links[0].evidence
        observation_uuid = stable_uuid("observation", team, period, evidence.pk)
        resource_uuid = stable_uuid("evidence", team, evidence.pk)
        observation_of[evidence.pk] = observation_uuid
        is_file = evidence.kind == EvidenceKind.FILE
        name = _one_line(evidence.original_name if is_file else evidence.url)
        props = [portal_prop("evidence-kind", evidence.kind)]
        hashes = None
        if is_file:
            props += [
                portal_prop("sha256", evidence.sha256),
                portal_prop("media-type", evidence.content_type),
                portal_prop("size", evidence.size),
            ]
            hashes = [common.Hash(algorithm="SHA-256", value=evidence.sha256)]
        if evidence.valid_from:
            props.append(portal_prop("valid-from", evidence.valid_from.isoformat()))
        if evidence.valid_until:
            props.append(portal_prop("valid-until", evidence.valid_until.isoformat()))
        props += [portal_prop("uploaded-by", evidence.uploaded_by.get_username())]
        refs = sorted({link.attestation.control.ref for link in evidence_links})
        props += [portal_prop("attached-to", ref) for ref in refs]
        actors = [parties.actor(evidence.uploaded_by, UPLOADER)]
        attachers = {link.added_by.get_username(): link.added_by for link in evidence_links}
        actors += [parties.actor(attachers[username], ATTACHER) for username in sorted(attachers)]
        description = evidence.description.strip() or (
            "Evidence file" if is_file else "Evidence link"
        )
        observations.append(
            common.Observation(
                uuid=observation_uuid,
                title=name,
                description=description,
                props=props,
                methods=["EXAMINE"],
                types=["control-objective"],
                origins=[common.Origin(actors=actors)],
                relevant_evidence=[
                    common.RelevantEvidence(href=f"#{resource_uuid}", description=description)
                ],
                collected=utc(evidence.uploaded_at),
                expires=end_of(evidence.valid_until) if evidence.valid_until else None,
            )
        )
        href = portal_path("evidence_download", team, evidence.pk) if is_file else evidence.url
        resources.append(
            common.Resource(
                uuid=resource_uuid,
                title=name,
                description=evidence.description or None,
                props=[oscal_prop("type", "evidence")],
                rlinks=[
                    common.Rlink(
                        href=href,
                        media_type=evidence.content_type if is_file else None,
                        hashes=hashes,
                    )
                ],
            )
        )
    return observations, resources, observation_of


def _remarks(answering: Attestation, decision: ReviewDecision | None) -> str | None:
    paragraphs = []
    if answering.statement.strip():
        paragraphs.append(f"Statement: {answering.statement.strip()}")
    if answering.justification.strip():
        paragraphs.append(f"Justification: {answering.justification.strip()}")
    if decision is not None and decision.comment:
        paragraphs.append(f"Reviewer's comment: {decision.comment}")
    return "\n\n".join(paragraphs) or None


def _finding(
    item: Attestation,
    *,
    checklist: Checklist,
    as_of: date,
    decisions: dict[int, ReviewDecision],
    links: dict[int, list[EvidenceLink]],
    observation_of: dict[int, str],
    parties: _Parties,
) -> common.Finding:
    control = item.control
    # What answers this control: its own answer, or its group's (never "not applicable").
    carrier = item.satisfied_through
    through = carrier is not None and carrier.status != AnswerStatus.NOT_APPLICABLE
    answering = carrier if through else item
    stale = rules.is_stale(
        review_state=answering.review_state,
        next_review_due=answering.next_review_due,
        today=as_of,
    )
    claim: Claim = claim_for(
        status=answering.status, review_state=answering.review_state, stale=stale
    )
    props = [
        portal_prop("answer", answering.status),
        portal_prop("review-state", answering.review_state),
    ]
    if answering.version:
        props.append(portal_prop("answer-version", answering.version))
    if through:
        props.append(portal_prop("satisfied-through", carrier.control.ref))
    if answering.next_review_due:
        props.append(portal_prop("next-review-due", answering.next_review_due.isoformat()))
    if stale:
        props.append(portal_prop("stale", "true"))
    actors = []
    if answering.attested_by is not None:
        actors.append(parties.actor(answering.attested_by, ATTESTER))
    decision = decisions.get(answering.pk)
    decided = None
    if decision is not None:
        approved = decision.decision == Decision.APPROVED
        if approved and answering.review_state == ReviewState.APPROVED:
            decided = decision
            actors.append(parties.actor(decision.reviewer, APPROVER))
        elif not approved and answering.review_state == ReviewState.CHANGES_REQUESTED:
            decided = decision
            actors.append(parties.actor(decision.reviewer, REVIEWER))
    if decided is not None:
        props.append(
            portal_prop("decided-at", utc(decided.decided_at).isoformat(timespec="milliseconds"))
        )
    description = claim.summary
    if through:
        description += f" Answered once for its equivalence group, through {carrier.control.ref}."
    related = sorted({observation_of[link.evidence_id] for link in links.get(answering.pk, [])})
    return common.Finding(
        uuid=stable_uuid("finding", checklist.team.slug, checklist.period, control.ref),
        title=f"{control.ref}: {control.title}",
        description=description,
        props=props,
        origins=or_none([common.Origin(actors=actors)] if actors else []),
        target=common.FindingTarget(
            type="statement-id",
            target_id=catalog.statement_id(control.ref),
            title=control.title,
            status=common.ObjectiveStatus(state=claim.state, reason=claim.reason),
            implementation_status=common.ImplementationStatus(state=claim.implementation)
            if claim.implementation
            else None,
        ),
        related_observations=or_none(
            [common.RelatedObservation(observation_uuid=uuid) for uuid in related]
        ),
        remarks=_remarks(answering, decided),
    )


def _metadata(
    checklist: Checklist, parties: _Parties, *, version: str, changed: datetime
) -> common.Metadata:
    team = checklist.team
    people = sorted(parties.people.items(), key=lambda item: item[1].get_username())
    party_list = [
        common.Parties(
            uuid=parties.team_uuid,
            type="organization",
            name=_one_line(team.name),
            short_name=team.slug,
        )
    ]
    party_list += [
        common.Parties(uuid=uuid, type="person", name=user.get_username()) for uuid, user in people
    ]
    responsible = [
        common.ResponsibleParty(role_id=role.id, party_uuids=sorted(parties.by_role[role.id]))
        for role in ROLES
        if parties.by_role[role.id]
    ]
    return common.Metadata(
        title=f"{_one_line(team.name)} {checklist.period} compliance checklist: assessment results",
        last_modified=changed,
        version=version,
        oscal_version=OSCAL_VERSION,
        roles=[
            common.Role(id=role.id, title=role.title, description=role.description)
            for role in ROLES
        ],
        parties=party_list,
        responsible_parties=or_none(responsible),
    )


def build_assessment_results(
    checklist: Checklist, *, today: date | None = None
) -> oscal.AssessmentResults:
    today = today or timezone.localdate()
    team = checklist.team
    quarter = Quarter.parse(checklist.period)
    kind = kind_for(quarter, today)
    ended = quarter.last_day < today
    as_of = min(today, quarter.last_day)
    attestations = list(
        checklist.attestations.select_related(
            "control__source__provider",
            "attested_by",
            "satisfied_through__control",
            "satisfied_through__attested_by",
        ).order_by("control__source__slug", "control__position", "control__ref")
    )
    team_uuid = stable_uuid("team", team.slug)
    parties = _Parties(team_uuid=team_uuid, people={}, by_role=defaultdict(set))
    parties.by_role[TEAM.id].add(team_uuid)
    links = _links_by_attestation(checklist)
    observations, evidence_resources, observation_of = _observations(links, checklist, parties)
    decisions = _latest_decisions(checklist)
    findings = [
        _finding(
            item,
            checklist=checklist,
            as_of=as_of,
            decisions=decisions,
            links=links,
            observation_of=observation_of,
            parties=parties,
        )
        for item in attestations
    ]
    catalog_file = catalog.catalog_document()
    catalog_resource = common.Resource(
        uuid=stable_uuid("catalog-reference"),
        title=catalog.TITLE,
        description=PLAN_REMARK,
        rlinks=[
            common.Rlink(
                href=portal_path("oscal_catalog"),
                media_type="application/json",
                hashes=[common.Hash(algorithm="SHA-256", value=catalog_file.sha256)],
            )
        ],
    )
    providers = sorted(provider.slug for provider in checklist.providers.all())
    result_props = [
        portal_prop("team", team.slug),
        portal_prop("period", checklist.period),
        portal_prop("kind", kind),
        portal_prop("as-of", as_of.isoformat()),
    ]
    result_props += [portal_prop("provider", slug) for slug in providers]
    if checklist.asvs_level:
        result_props.append(portal_prop("asvs-level", checklist.asvs_level))
    baseline = f"; OWASP ASVS level {checklist.asvs_level}" if checklist.asvs_level else ""
    version = f"{checklist.period}-{kind}" + ("" if ended else f"-{as_of.isoformat()}")
    document = oscal.AssessmentResults(
        uuid=stable_uuid("assessment-results", team.slug, checklist.period),
        metadata=_metadata(checklist, parties, version=version, changed=last_modified(checklist)),
        import_ap=oscal.ImportAp(href=f"#{catalog_resource.uuid}", remarks=PLAN_REMARK),
        results=[
            oscal.Result(
                uuid=stable_uuid("result", team.slug, checklist.period),
                title=f"{_one_line(team.name)} {checklist.period}",
                description=(
                    f"The team's answers to the {len(findings)} controls of its "
                    f"{checklist.period} checklist ({', '.join(providers) or 'no provider'}"
                    f"{baseline}), as reviewed in the portal, judged as of {as_of.isoformat()}."
                ),
                start=start_of(quarter.first_day),
                end=end_of(quarter.last_day) if ended else None,
                props=result_props,
                reviewed_controls=common.ReviewedControls(
                    control_selections=[
                        common.ControlSelections(
                            include_controls=[
                                common.SelectControlById(control_id=item.control.ref)
                                for item in attestations
                            ]
                        )
                    ]
                ),
                observations=or_none(observations),
                findings=or_none(findings),
                remarks=CLAIMS_REMARK,
            )
        ],
        back_matter=common.BackMatter(resources=[catalog_resource, *evidence_resources]),
    )
    return with_content_uuid(document, "assessment-results", team.slug, checklist.period)


def assessment_results_document(
    checklist: Checklist, *, today: date | None = None
) -> OscalDocument:
    """The checklist's assessment results as an OSCAL file, validated by reading it back."""
    return OscalDocument(
        data=checked_bytes(build_assessment_results(checklist, today=today)),
        filename=filename(checklist),
    )
