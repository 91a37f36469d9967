"""Many teams with a year of history, for `seed_demo --teams N`: the portal as it looks once
hundreds of teams use it.

Each team beyond the first few gets a checklist for each of the last three quarters and the
current one, answered in every state (older quarters mostly approved, the current one in
progress, some approvals gone stale), evidence, reviews, duties with a history in every
status, two access reviews, credentials and incident contacts. The checklists come from
the same rules as `checklist_create` (applicable controls, the strictest member of an
equivalence group carrying the answer) and the duties from `ensure_for_checklist`, once per
team; everything is written with `bulk_create`, and the audit trail with
`audit.record_many` in large batches. Choices come from a generator seeded by the team's slug,
so the same teams always look the same.
"""

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from checklists import rules
from checklists.models import (
    AccessDecision,
    AccessDecisionKind,
    AccessEntry,
    AccessReview,
    AnswerStatus,
    Attestation,
    AttestationVersion,
    CampaignState,
    Checklist,
    CredentialKind,
    Decision,
    Environment,
    Evidence,
    EvidenceKind,
    EvidenceLink,
    Exposure,
    IncidentContact,
    Obligation,
    ObligationKind,
    Occurrence,
    Provider,
    ReviewDecision,
    ReviewState,
)
from checklists.models.credentials import Credential
from checklists.periods import Quarter
from checklists.schedule import DUE_SOON_DAYS
from checklists.services import obligations
from checklists.services.access_decisions import _result as access_review_result
from checklists.services.checklists import applicable_controls
from checklists.services.evidence import seal_upload
from checklists.services.incidents import CONTACT_VERIFICATION_DAYS
from portal.accounts.models import Membership, Role, Team
from portal.audit import services as audit

PERIODS = 4  # the last three quarters and the current one
PROVIDER_SETS = [("gopay", "mixpay"), ("codepay", "wechat"), ("ucanpay", "gopay")]
AUDIT_BATCH = 10_000  # events per `record_many`: the chain head is held once per batch

# How the answers of a checklist stand, by the checklist's age in quarters (0: this one).
STATES = ["unanswered", "draft", ReviewState.SUBMITTED, ReviewState.CHANGES_REQUESTED, "approved"]
STATE_WEIGHTS = {0: (30, 20, 22, 10, 18), 1: (3, 5, 12, 5, 75)}
OLD_STATE_WEIGHTS = (2, 3, 3, 2, 90)
ANSWERS = [
    (AnswerStatus.IMPLEMENTED, 70),
    (AnswerStatus.PARTIAL, 12),
    (AnswerStatus.NOT_IMPLEMENTED, 8),
    (AnswerStatus.NOT_APPLICABLE, 10),
]
STATEMENTS = [
    "Enforced by the API gateway for every route.",
    "Kept in the secrets manager; only the payments service role can read it.",
    "Checked in CI on every merge; the build fails otherwise.",
    "Described in the runbook and rehearsed each quarter.",
]
JUSTIFICATIONS = {
    AnswerStatus.PARTIAL: "Done for the payments service; the rewards service follows.",
    AnswerStatus.NOT_IMPLEMENTED: "Planned for next quarter; ticket SEC-142.",
    AnswerStatus.NOT_APPLICABLE: "The integration does not use this feature.",
}
CHANGES_COMMENT = "Say where and how this is enforced, and attach the record that shows it."
CREDENTIALS = {
    "gopay": ("GoPay client token", CredentialKind.CLIENT_TOKEN, "vault:kv/payments/gopay"),
    "codepay": ("CodePay merchant key", CredentialKind.MERCHANT_KEY, "CODEPAY_MERCHANT_KEY"),
    "wechat": ("WeChat App Key", CredentialKind.APP_KEY, "vault:kv/miniapp/wechat"),
    "ucanpay": ("UCanPay API key", CredentialKind.API_KEY, "UCANPAY_API_KEY"),
    "mixpay": ("MixPay webhook signing key", CredentialKind.WEBHOOK_KEY, "MIXPAY_WEBHOOK_KEY"),
}
RECORD = (
    "Quarterly control check\n\nThe gateway configuration was exported and compared with the "
    "approved baseline; no drift found. Signed off by the team lead.\n"
)
# The open occurrence of each duty, in turn: overdue, due soon, upcoming, awaiting a second
# person (only duties that ask for one; others are upcoming instead).
OPEN_DUE = ("overdue", "soon", "upcoming", "awaiting")


def _rng(seed: str) -> random.Random:
    """Demo choices, the same on every run; nothing secret comes from them."""
    return random.Random(seed)  # noqa: S311


@dataclass
class _People:
    lead: object
    dev: object
    ops: object


@dataclass
class _Batch:
    """Rows and audit entries gathered for all the teams, written at once."""

    entries: list
    today: date
    now: datetime
    reviewer: object


def seed_scale_teams(teams: list[Team], reviewer) -> int:
    """Fill the teams that have no checklist yet; returns how many were filled."""
    with_checklists = set(
        Team.objects.filter(pk__in=[t.pk for t in teams], checklists__isnull=False).values_list(
            "pk", flat=True
        )
    )
    fresh = [team for team in teams if team.pk not in with_checklists]
    if not fresh:
        return 0
    batch = _Batch(entries=[], today=timezone.localdate(), now=timezone.now(), reviewer=reviewer)
    people = _people(fresh)
    providers = {p.slug: p for p in Provider.objects.all()}
    quarters = [Quarter.current()]
    for _ in range(PERIODS - 1):
        quarters.insert(0, quarters[0].previous())
    team_providers, levels = {}, {}
    for number, team in enumerate(fresh):
        team_providers[team.pk] = [
            providers[slug] for slug in PROVIDER_SETS[team.pk % len(PROVIDER_SETS)]
        ]
        # Every tenth team follows the ASVS baseline too, a few at level 2: the biggest
        # checklists.
        levels[team.pk] = 2 if team.pk % 25 == 0 else 1 if number % 10 == 0 else 0
    evidence = _evidence(fresh, people, quarters[0], batch)
    checklists = _checklists(fresh, people, team_providers, levels, quarters, batch)
    approved = _answers(checklists, people, quarters, evidence, batch)
    for checklist in checklists:
        if checklist.period == str(quarters[-1]):  # the duties the checklists imply
            batch.entries += obligations.ensure_for_checklist(checklist, by=checklist.created_by)
    _credentials_and_contacts(fresh, people, team_providers, batch)
    open_due = _duties(fresh, people, batch)
    _approvals_go_stale(fresh, approved, open_due)
    _access_reviews(fresh, people, team_providers, quarters[-1], batch)
    record_in_batches(batch.entries)
    return len(fresh)


def _people(teams: list[Team]) -> dict[int, _People]:
    found: dict[int, dict] = {}
    for membership in Membership.objects.filter(team__in=teams).select_related("user"):
        roles = found.setdefault(membership.team_id, {"members": []})
        if membership.role == Role.LEAD:
            roles["lead"] = membership.user
        else:
            roles["members"].append(membership.user)
    people = {}
    for team_id, roles in found.items():
        dev, ops = sorted(roles["members"], key=lambda user: user.username)[:2]
        people[team_id] = _People(roles["lead"], dev, ops)
    return people


def _at(day: date, hour: int, now: datetime) -> datetime:
    return min(timezone.make_aware(datetime.combine(day, time(hour))), now)


def _evidence(teams, people, first_quarter: Quarter, batch: _Batch) -> dict[int, list[Evidence]]:
    """Each team's record file (sealed like any upload) and runbook link."""
    rows = []
    uploaded = _at(first_quarter.first_day + timedelta(days=3), 9, batch.now)
    for team in teams:
        blob = seal_upload(SimpleUploadedFile("control-check.txt", RECORD.encode()))
        dev = people[team.pk].dev
        rows.append(
            Evidence(
                team=team,
                kind=EvidenceKind.FILE,
                description="Quarterly control check record",
                original_name=blob.filename,
                size=blob.size,
                sha256=blob.sha256,
                content_type=blob.content_type,
                blob_name=blob.name,
                uploaded_by=dev,
                uploaded_at=uploaded,
            )
        )
        rows.append(
            Evidence(
                team=team,
                kind=EvidenceKind.LINK,
                description="Internal runbook page",
                url=f"https://wiki.example.com/{team.slug}/security/runbook",
                uploaded_by=dev,
                uploaded_at=uploaded,
            )
        )
    Evidence.objects.bulk_create(rows)
    by_team: dict[int, list[Evidence]] = {}
    for row in rows:
        by_team.setdefault(row.team_id, []).append(row)
        if row.kind == EvidenceKind.FILE:
            batch.entries.append(
                audit.Entry(
                    "checklists.evidence.stored",
                    actor=row.uploaded_by,
                    obj=row,
                    team=row.team,
                    changes={"name": row.original_name, "sha256": row.sha256, "size": row.size},
                )
            )
    return by_team


def _credentials_and_contacts(teams, people, team_providers, batch: _Batch) -> None:
    """One production credential per provider, each with its rotation duty, and two incident
    contacts per provider with their verification duty."""
    today = batch.today
    credentials, contacts, duties = [], [], []
    for team in teams:
        rng = _rng(f"credentials {team.slug}")
        who = people[team.pk]
        for number, provider in enumerate(team_providers[team.pk]):
            name, kind, kept_in = CREDENTIALS[provider.slug]
            leaked = Exposure.YES if rng.random() < 0.05 else Exposure.NO
            credentials.append(
                Credential(
                    team=team,
                    name=name,
                    provider=provider,
                    kind=kind,
                    environment=Environment.PRODUCTION,
                    kept_in=kept_in,
                    owner=(who.dev, who.ops)[number % 2],
                    rotation_interval_days=90,
                    created_on=today - timedelta(days=400),
                    last_rotated_on=today - timedelta(days=rng.choice((20, 60, 100))),
                    in_front_end=Exposure.NO,
                    in_repository=leaked,
                    in_logs=rng.choice((Exposure.NO, Exposure.UNKNOWN)),
                    returned_to_clients=Exposure.NO,
                    created_by=who.lead,
                )
            )
            for position, contact_name, channel, address in (
                (
                    1,
                    "Security on-call",
                    "email",
                    f"security+{provider.slug}@{team.slug}.example.com",
                ),
                (2, "Head of engineering", "phone", "+62 21 555 0100"),
            ):
                contacts.append(
                    IncidentContact(
                        team=team,
                        provider=provider,
                        position=position,
                        name=contact_name,
                        channel=channel,
                        address=address,
                        last_verified_on=today - timedelta(days=rng.choice((10, 50, 120))),
                        last_verified_by=who.ops,
                    )
                )
            duties.append(
                Obligation(
                    team=team,
                    kind=ObligationKind.CONTACT_VERIFICATION,
                    title=f"Verify {provider.name} incident contacts",
                    interval_days=CONTACT_VERIFICATION_DAYS,
                    owner=who.ops,
                    provider=provider,
                    created_by=who.lead,
                )
            )
    Credential.objects.bulk_create(credentials)
    IncidentContact.objects.bulk_create(contacts)
    for credential in credentials:
        duties.append(
            Obligation(
                team=credential.team,
                kind=ObligationKind.KEY_ROTATION,
                title=f"Rotate {credential.name} ({Environment.PRODUCTION.label})",
                interval_days=credential.rotation_interval_days,
                owner=credential.owner,
                credential=credential,
                created_by=credential.created_by,
            )
        )
        batch.entries.append(
            audit.Entry(
                "checklists.credential.created",
                actor=credential.created_by,
                obj=credential,
                team=credential.team,
                changes={"name": credential.name, "kind": credential.kind},
            )
        )
    for team in teams:
        duties.append(
            Obligation(
                team=team,
                kind=ObligationKind.DR_TEST,
                title="Disaster-recovery test of the payment service",
                interval_days=365,
                owner=people[team.pk].ops,
                created_by=people[team.pk].lead,
            )
        )
    Obligation.objects.bulk_create(duties)
    for contact in contacts:
        batch.entries.append(
            audit.Entry(
                "checklists.incident_contact.added",
                actor=people[contact.team_id].lead,
                obj=contact,
                team=contact.team,
                changes={"provider": contact.provider.slug, "position": contact.position},
            )
        )
    for duty in duties:
        batch.entries.append(
            audit.Entry(
                "checklists.obligation.created",
                actor=duty.created_by,
                obj=duty,
                team=duty.team,
                changes={
                    "kind": duty.kind,
                    "title": duty.title,
                    "interval_days": duty.interval_days,
                },
            )
        )


def _duties(teams, people, batch: _Batch) -> dict[int, date]:
    """Every duty of the teams gets a history (done on time, done late) and one open
    occurrence in turn overdue, due soon, upcoming or awaiting a second person. Returns, per
    obligation, the due date of its open occurrence."""
    today, now = batch.today, batch.now
    team_numbers = {team.pk: number for number, team in enumerate(teams)}
    duties = list(
        Obligation.objects.filter(team__in=teams).select_related("team").order_by("team", "pk")
    )
    # An access-review duty per team, for its campaigns (see `_access_reviews`).
    review_duties = [
        Obligation(
            team=team,
            kind=ObligationKind.ACCESS_REVIEW,
            title=f"Review access to {_system(team)}",
            interval_days=90,
            owner=people[team.pk].lead,
            created_by=people[team.pk].lead,
        )
        for team in teams
    ]
    Obligation.objects.bulk_create(review_duties)
    duties += review_duties
    Occurrence.objects.filter(obligation__in=duties).delete()  # the implied duties' first ones
    occurrences, open_due, moved = [], {}, []
    for number, duty in enumerate(duties):
        who = people[duty.team_id]
        interval = duty.interval_days or 90
        turn = OPEN_DUE[(number + team_numbers[duty.team_id]) % len(OPEN_DUE)]
        if duty.kind == ObligationKind.ACCESS_REVIEW:
            turn = "upcoming"  # this quarter's campaign is under way
        due = (
            today
            + {
                "overdue": timedelta(days=-9),
                "soon": timedelta(days=min(5, DUE_SOON_DAYS)),
                "upcoming": timedelta(days=40),
                "awaiting": timedelta(days=3),
            }[turn]
        )
        needs_second = duty.kind == ObligationKind.KEY_ROTATION
        if turn == "awaiting" and not needs_second:
            due = today + timedelta(days=40)
        open_row = Occurrence(obligation=duty, scheduled_on=due, due_on=due)
        if turn == "awaiting" and needs_second:
            open_row.completed_by, open_row.completed_on = who.dev, today - timedelta(days=1)
            open_row.completed_at = _at(open_row.completed_on, 15, now)
            open_row.note = "New key issued and deployed to every service."
        open_due[duty.pk] = due
        history = []
        for back in (2, 1):
            past = due - timedelta(days=interval * back)
            late = (number + back) % 3 == 0
            done_on = min(past + timedelta(days=4 if late else -2), today - timedelta(days=1))
            done_at = _at(done_on, 16, now)
            history.append(
                Occurrence(
                    obligation=duty,
                    scheduled_on=past,
                    due_on=past,
                    completed_by=who.dev if back == 2 else who.ops,
                    completed_on=done_on,
                    completed_at=done_at,
                    note="Done after the release freeze." if late else "Done as the runbook says.",
                    confirmed_by=who.lead if needs_second else None,
                    confirmed_at=done_at if needs_second else None,
                    done_at=done_at,
                )
            )
        duty.starts_on = history[0].due_on
        moved.append(duty)
        occurrences += [*history, open_row]
    Obligation.objects.bulk_update(moved, ["starts_on"])
    Occurrence.objects.bulk_create(occurrences)
    for occurrence in occurrences:
        if occurrence.completed_at is None:
            continue
        duty = occurrence.obligation
        batch.entries.append(
            audit.Entry(
                "checklists.occurrence.completed",
                actor=occurrence.completed_by,
                obj=occurrence,
                team=duty.team,
                changes={"done_on": occurrence.completed_on.isoformat(), "note": occurrence.note},
            )
        )
        if occurrence.confirmed_by is not None:
            batch.entries.append(
                audit.Entry(
                    "checklists.occurrence.confirmed",
                    actor=occurrence.confirmed_by,
                    obj=occurrence,
                    team=duty.team,
                )
            )
    return open_due


def _system(team: Team) -> str:
    return f"{team.name} merchant platform"


def _checklists(teams, people, team_providers, levels, quarters, batch: _Batch) -> list:
    """Each team's checklists, one attestation per applicable control; in each equivalence
    group the strictest member carries the answer (as `checklist_create` does)."""
    now = batch.now
    checklists = [
        Checklist(
            team=team,
            period=str(quarter),
            asvs_level=levels[team.pk],
            created_by=people[team.pk].lead,
            created_at=_at(quarter.first_day, 8, now),
        )
        for team in teams
        for quarter in quarters
    ]
    Checklist.objects.bulk_create(checklists)
    Checklist.providers.through.objects.bulk_create(
        [
            Checklist.providers.through(checklist=checklist, provider=provider)
            for checklist in checklists
            for provider in team_providers[checklist.team_id]
        ]
    )
    applicable: dict[tuple, list] = {}
    for checklist in checklists:
        chosen = team_providers[checklist.team_id]
        key = (tuple(p.pk for p in chosen), checklist.asvs_level)
        if key not in applicable:
            applicable[key] = list(
                applicable_controls(providers=chosen, asvs_level=checklist.asvs_level)
            )
        checklist.controls = applicable[key]
        batch.entries.append(
            audit.Entry(
                "checklists.checklist.created",
                actor=checklist.created_by,
                obj=checklist,
                team=checklist.team,
                changes={
                    "period": checklist.period,
                    "providers": sorted(p.slug for p in chosen),
                    "asvs_level": checklist.asvs_level,
                    "attestations": len(checklist.controls),
                    "copied_from": None,
                    "answers_copied": 0,
                },
            )
        )
    return checklists


def _answers(checklists, people, quarters, evidence, batch: _Batch) -> list[Attestation]:
    """Answer the checklists: the older the quarter, the more of it approved. Returns the
    approvals, whose staleness the duties decide (`_approvals_go_stale`)."""
    today, now, reviewer = batch.today, batch.now, batch.reviewer
    ages = {str(quarter): len(quarters) - 1 - age for age, quarter in enumerate(quarters)}
    quarter_of = {str(quarter): quarter for quarter in quarters}
    rows, covered, carriers = [], [], set()
    for checklist in checklists:
        groups: dict[int, list] = {}
        for control in checklist.controls:
            if control.equivalence_group_id is not None:
                groups.setdefault(control.equivalence_group_id, []).append(control)
        carrier_of = {
            group: rules.choose_carrier(members)
            for group, members in groups.items()
            if len(members) > 1
        }
        by_control, here = {}, []
        for control in checklist.controls:
            attestation = Attestation(checklist=checklist, control=control)
            by_control[control.pk] = attestation
            carrier = carrier_of.get(control.equivalence_group_id)
            if carrier is not None and carrier is not control:
                here.append((attestation, carrier.pk))
            else:
                rows.append(attestation)
                if carrier is not None:
                    carriers.add(id(attestation))
        for attestation, carrier_pk in here:
            attestation.satisfied_through = by_control[carrier_pk]
            covered.append(attestation)
    versions, links, decisions, approvals = [], [], [], []
    for attestation in rows:
        checklist = attestation.checklist
        team = checklist.team
        who = people[team.pk]
        rng = _rng(f"{team.slug} {checklist.period} {attestation.control_id}")
        age = ages[checklist.period]
        quarter = quarter_of[checklist.period]
        weights = STATE_WEIGHTS.get(age, OLD_STATE_WEIGHTS)
        state = rng.choices(STATES, weights)[0]
        owner = rng.choice((who.dev, who.ops, who.lead, None))
        if state == "unanswered":
            if age == 0 and owner is not None:
                attestation.owner = owner
                attestation.due_date = today + timedelta(days=rng.choice((-12, -3, 6, 20)))
            continue
        statuses = [s for s, _ in ANSWERS]
        status = rng.choices(statuses, [weight for _, weight in ANSWERS])[0]
        if status == AnswerStatus.NOT_APPLICABLE and id(attestation) in carriers:
            status = AnswerStatus.IMPLEMENTED  # never "not applicable" for a whole group
        author = owner or who.dev
        window = max((min(quarter.last_day, today) - quarter.first_day).days, 1)
        day = quarter.first_day + timedelta(days=rng.randrange(window))
        attested_at = _at(day, 10, now)
        attestation.status = status
        attestation.statement = (
            "" if status == AnswerStatus.NOT_APPLICABLE else rng.choice(STATEMENTS)
        )
        attestation.justification = JUSTIFICATIONS.get(status, "")
        attestation.owner = owner
        attestation.attested_by, attestation.attested_at = author, attested_at
        attestation.version = 1
        attached = []
        if state != "draft" and rng.random() < 0.5:
            attached = [rng.choice(evidence[team.pk])]
        links += [
            EvidenceLink(
                attestation=attestation, evidence=item, added_by=author, added_at=attested_at
            )
            for item in attached
        ]
        versions.append(
            AttestationVersion(
                attestation=attestation,
                number=1,
                status=status,
                statement=attestation.statement,
                justification=attestation.justification,
                owner=owner,
                evidence_ids=[item.pk for item in attached],
                changed_fields=["status", "statement", "justification", "evidence"][
                    : 4 if attached else 3
                ],
                saved_by=author,
                saved_at=attested_at,
            )
        )
        batch.entries.append(
            audit.Entry(
                "checklists.attestation.changed",
                actor=author,
                obj=attestation,
                team=team,
                changes={
                    "status": audit.change(AnswerStatus.UNANSWERED, status),
                    "version": 1,
                },
            )
        )
        batch.entries += [
            audit.Entry(
                "checklists.evidence.added",
                actor=author,
                obj=attestation,
                team=team,
                changes={"evidence": item.pk, "kind": item.kind, "version": 1},
            )
            for item in attached
        ]
        if state != "draft":
            attestation.submitted_at = min(attested_at + timedelta(hours=rng.randrange(2, 72)), now)
            attestation.review_state = ReviewState.SUBMITTED
            batch.entries.append(
                audit.Entry(
                    "checklists.attestation.submitted",
                    actor=author,
                    obj=attestation,
                    team=team,
                    changes={"version": 1},
                )
            )
        if state in ("approved", ReviewState.CHANGES_REQUESTED):
            decided_at = min(attestation.submitted_at + timedelta(days=rng.randrange(1, 12)), now)
            approved = state == "approved"
            comment = "" if approved else CHANGES_COMMENT
            if approved and status != AnswerStatus.IMPLEMENTED and not attached:
                comment = "Accepted: the plan and its date are recorded in the justification."
            attestation.review_state = ReviewState.APPROVED if approved else state
            if approved:
                attestation.approved_at = decided_at
                approvals.append(attestation)
            decisions.append(
                ReviewDecision(
                    attestation=attestation,
                    version=1,
                    decision=Decision.APPROVED if approved else Decision.CHANGES_REQUESTED,
                    comment=comment,
                    reviewer=reviewer,
                    decided_at=decided_at,
                )
            )
            batch.entries.append(
                audit.Entry(
                    f"checklists.attestation.{'approved' if approved else 'changes_requested'}",
                    actor=reviewer,
                    obj=attestation,
                    team=team,
                    changes={"version": 1},
                )
            )
    Attestation.objects.bulk_create(rows, batch_size=2000)
    Attestation.objects.bulk_create(covered, batch_size=2000)
    AttestationVersion.objects.bulk_create(versions, batch_size=2000)
    EvidenceLink.objects.bulk_create(links, batch_size=2000)
    ReviewDecision.objects.bulk_create(decisions, batch_size=2000)
    return approvals


def _approvals_go_stale(teams, approvals: list[Attestation], open_due: dict[int, date]) -> None:
    """An approval of a recurring control goes stale when the open occurrence of the duty
    behind it falls due; some of those are overdue, so some approvals are stale."""
    keeper_due: dict[tuple[int, int], date] = {}
    for team_id, control_id, obligation_id in Obligation.controls.through.objects.filter(
        obligation__team__in=teams
    ).values_list("obligation__team", "control", "obligation"):
        due = open_due.get(obligation_id)
        if due is not None:
            keeper_due[team_id, control_id] = min(due, keeper_due.get((team_id, control_id), due))
    by_due: dict[date, list[int]] = {}
    for attestation in approvals:
        due = keeper_due.get((attestation.checklist.team_id, attestation.control_id))
        if due is not None:
            by_due.setdefault(due, []).append(attestation.pk)
    for due, pks in by_due.items():
        Attestation.objects.filter(pk__in=pks).update(next_review_due=due)


def _roster(team: Team, who: _People, today: date) -> list[dict]:
    """The accounts on the team's platform: its own people, a finance partner, a shared
    administrator without MFA and a dormant support account."""
    people = [
        dict(
            account=user.username,
            person=user.username,
            email=user.email,
            role=role,
            privileged=role == "administrator",
            mfa=True,
            last_login=today - timedelta(days=3),
        )
        for user, role in (
            (who.lead, "administrator"),
            (who.dev, "operator"),
            (who.ops, "operator"),
        )
    ]
    return [
        *people,
        dict(
            account="finance.siti",
            person="Siti Rahma",
            email="siti@partner.example.com",
            role="finance",
            privileged=False,
            mfa=True,
            last_login=today - timedelta(days=20),
            not_a_member=True,
        ),
        dict(
            account="ops",
            person="",
            email="",
            role="administrator",
            privileged=True,
            mfa=False,
            last_login=today - timedelta(days=10),
            shared=True,
            privileged_without_mfa=True,
            not_a_member=True,
        ),
        dict(
            account="test-support",
            person="",
            email="",
            role="support",
            privileged=False,
            mfa=True,
            last_login=today - timedelta(days=140),
            shared=True,
            dormant=True,
            not_a_member=True,
        ),
    ]


def _access_reviews(teams, people, team_providers, quarter: Quarter, batch: _Batch) -> None:
    """Last quarter's campaign completed; this quarter's in review, waiting on actions, or
    still a draft, in turn."""
    today, now, reviewer = batch.today, batch.now, batch.reviewer
    duties = {
        duty.team_id: duty
        for duty in Obligation.objects.filter(team__in=teams, kind=ObligationKind.ACCESS_REVIEW)
    }
    last_done = {
        occurrence.obligation_id: occurrence
        for occurrence in Occurrence.objects.filter(
            obligation__in=duties.values(), done_at__isnull=False
        ).order_by("due_on")
    }
    last_quarter = quarter.previous()
    started = _at(last_quarter.first_day + timedelta(days=20), 9, now)
    completed = _at(last_quarter.first_day + timedelta(days=40), 11, now)
    reviews, entries = [], []
    for number, team in enumerate(teams):
        who, duty = people[team.pk], duties[team.pk]
        roster = _roster(team, who, today)
        digest = hashlib.sha256(repr(roster).encode()).hexdigest()
        common = dict(
            team=team,
            system=_system(team),
            obligation=duty,
            created_by=who.lead,
            imported_by=who.lead,
            roster_sha256=digest,
        )
        last = AccessReview(
            **common,
            period=str(last_quarter),
            state=CampaignState.COMPLETED,
            roster_name="operators-last-quarter.csv",
            imported_at=started,
            started_by=who.lead,
            started_at=started,
            completed_by=who.lead,
            completed_at=completed,
            occurrence=last_done[duty.pk],
        )
        state = (CampaignState.IN_REVIEW, CampaignState.PENDING_ACTIONS, CampaignState.DRAFT)[
            number % 3
        ]
        current = AccessReview(
            **common,
            period=str(quarter),
            state=state,
            previous=last,
            roster_name="operators.csv",
            imported_at=now,
            started_by=who.lead,
            started_at=now,
        )
        if state == CampaignState.DRAFT:  # created, its roster not loaded yet
            current.roster_name, current.roster_sha256 = "", ""
            current.imported_by = current.imported_at = None
            current.started_by = current.started_at = None
        reviews.append((last, current))
        for row in roster:
            decision = (
                AccessDecisionKind.REVOKE if row["account"] == "ops" else AccessDecisionKind.KEEP
            )
            entries.append(
                (
                    last,
                    AccessEntry(
                        review=last,
                        **row,
                        change="new",
                        decision=decision,
                        decided_by=reviewer,
                        decided_at=completed,
                        reason="Shared administrator without MFA." if decision == "revoke" else "",
                        action_done_by=who.lead if decision == "revoke" else None,
                        action_done_at=completed if decision == "revoke" else None,
                        action_note="Account disabled; ticket OPS-311."
                        if decision == "revoke"
                        else "",
                    ),
                )
            )
        if state == CampaignState.DRAFT:
            continue
        for row in roster:
            if row["account"] in ("ops", "finance.siti"):
                continue  # revoked last quarter; the partner left (listed as removed below)
            current_row = dict(row)
            change = "unchanged"
            if row["account"] == who.ops.username:
                current_row["role"], current_row["privileged"] = "administrator", True
                change = "role-changed"
            entry = AccessEntry(
                review=current,
                **current_row,
                change=change,
                previous_role=row["role"] if change == "role-changed" else "",
            )
            if row["account"] == "test-support":
                entry.decision, entry.reason = AccessDecisionKind.REVOKE, "Unused for months."
            elif state == CampaignState.PENDING_ACTIONS or change == "unchanged":
                entry.decision = AccessDecisionKind.KEEP
            if entry.decision:
                entry.decided_by, entry.decided_at = reviewer, now
            entries.append((current, entry))
        entries.append(
            (
                current,
                AccessEntry(
                    review=current,
                    account="contractor.budi",
                    person="Budi Santoso",
                    email="budi@vendor.example.com",
                    role="administrator",
                    privileged=True,
                    mfa=False,
                    last_login=today - timedelta(days=2),
                    change="new",
                    not_a_member=True,
                    privileged_without_mfa=True,
                    decision=AccessDecisionKind.KEEP
                    if state == CampaignState.PENDING_ACTIONS
                    else "",
                    decided_by=reviewer if state == CampaignState.PENDING_ACTIONS else None,
                    decided_at=now if state == CampaignState.PENDING_ACTIONS else None,
                ),
            )
        )
        entries.append(
            (
                current,
                AccessEntry(
                    review=current,
                    account="finance.siti",
                    person="Siti Rahma",
                    change="removed",
                    role="finance",
                ),
            )
        )
    AccessReview.objects.bulk_create([last for last, _ in reviews])
    for last, current in reviews:
        current.previous = last
    AccessReview.objects.bulk_create([current for _, current in reviews])
    for review, entry in entries:
        entry.review = review
    AccessEntry.objects.bulk_create([entry for _, entry in entries], batch_size=2000)
    AccessDecision.objects.bulk_create(
        [
            AccessDecision(
                entry=entry,
                decision=entry.decision,
                reason=entry.reason,
                by=entry.decided_by,
                at=entry.decided_at,
            )
            for _, entry in entries
            if entry.decision
        ],
        batch_size=2000,
    )
    by_review: dict[int, list[AccessEntry]] = {}
    for review, entry in entries:
        by_review.setdefault(review.pk, []).append(entry)
    for last, current in reviews:
        last.result = access_review_result(
            last, sorted(by_review[last.pk], key=lambda e: e.account)
        )
        for review in (last, current):
            batch.entries.append(
                audit.Entry(
                    "checklists.access_review.created",
                    actor=review.created_by,
                    obj=review,
                    team=review.team,
                    changes={"system": review.system, "period": review.period},
                )
            )
        batch.entries.append(
            audit.Entry(
                "checklists.access_review.completed",
                actor=last.completed_by,
                obj=last,
                team=last.team,
                changes={"result_sha256": hashlib.sha256(repr(last.result).encode()).hexdigest()},
            )
        )
    AccessReview.objects.bulk_update([last for last, _ in reviews], ["result"])


def record_in_batches(entries) -> int:
    """Append the entries to the audit trail, `AUDIT_BATCH` at a time."""
    count, chunk = 0, []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == AUDIT_BATCH:
            count += len(audit.record_many(chunk))
            chunk = []
    if chunk:
        count += len(audit.record_many(chunk))
    return count


def history_entries(teams: list[Team], readers: list, count: int) -> Iterator[audit.Entry]:
    """`count` events of everyday reading: sign-ins and sign-outs of the reviewers and
    auditors, and the evidence files they downloaded."""
    files = list(
        Evidence.objects.filter(team__in=teams, kind=EvidenceKind.FILE).select_related("team")
    )
    rng = _rng("history")
    for number in range(count):
        reader = readers[number % len(readers)]
        turn = number % 10
        if turn == 0 or not files:
            yield audit.Entry("accounts.login.succeeded", actor=reader, obj=reader)
        elif turn == 9:
            yield audit.Entry("accounts.logout", actor=reader, obj=reader)
        else:
            item = rng.choice(files)
            yield audit.Entry(
                "checklists.evidence.downloaded",
                actor=reader,
                obj=item,
                team=item.team,
                changes={"sha256": item.sha256},
            )
