"""What a team report says, as one JSON-ready structure: the PDF shows it and carries it.

`team_report` reads everything in a fixed number of queries, whatever the number of controls,
answers, evidence files or audit events. The structure is the report's machine-readable twin:
the PDF is drawn from it and embeds it, byte for byte as `canonical_json` writes it.
"""

import hashlib
import json
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from checklists.models import (
    NEEDS_JUSTIFICATION,
    AccessDecisionKind,
    AccessEntry,
    AccessReview,
    AnswerStatus,
    Attestation,
    CampaignState,
    Checklist,
    Credential,
    CredentialKind,
    EntryChange,
    Environment,
    EvidenceLink,
    Exposure,
    Incident,
    IncidentSeverity,
    IncidentStatus,
    ObligationKind,
    Occurrence,
    ReportKind,
    ReportScope,
    ReviewDecision,
    ReviewState,
)
from checklists.periods import Quarter
from checklists.schedule import Status, status
from checklists.selectors.assessments import with_effective_state
from portal.accounts.models import Team
from portal.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent

FORMAT = "compliance-portal/team-report"
FORMAT_VERSION = 1
ATTACHMENT_NAME = "report.json"
# A team report also carries its checklist as OSCAL assessment results, under a name that sorts
# after the JSON twin's, so the twin stays the first attachment (`pdfdetach -save 1`).
OSCAL_ATTACHMENT_NAME = "report.oscal-assessment-results.json"


def portal_version() -> str:
    try:
        return metadata.version("compliance-portal")
    except metadata.PackageNotFoundError:
        return "unknown"


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def _name(user) -> str | None:
    return user.get_username() if user is not None else None


def period_bounds(quarter: Quarter) -> tuple[datetime, datetime]:
    """The quarter as a half-open range of UTC instants."""
    start = datetime.combine(quarter.first_day, time.min, tzinfo=UTC)
    end = datetime.combine(quarter.next().first_day, time.min, tzinfo=UTC)
    return start, end


def kind_for(quarter: Quarter, today: date | None = None) -> str:
    """DRAFT while the quarter is open, FINAL once it has ended."""
    today = today or timezone.localdate()
    return ReportKind.FINAL if quarter.last_day < today else ReportKind.DRAFT


class NoChecklist(Exception):
    """The team kept no checklist for the period: there is nothing to report."""


def team_report(
    *, team: Team, quarter: Quarter, kind: str, generated_by: str, generated_at: datetime
) -> dict[str, Any]:
    checklist = (
        Checklist.objects.filter(team=team, period=str(quarter))
        .prefetch_related("providers")
        .first()
    )
    if checklist is None:
        raise NoChecklist(f"{team.name} has no checklist for {quarter}.")
    today = timezone.localdate()
    attestations = list(
        with_effective_state(checklist.attestations.all())
        .select_related(
            "control__source__provider",
            "satisfied_through__control",
            "attested_by",
            "satisfied_through__attested_by",
        )
        .order_by(
            F("control__source__provider__name").asc(nulls_last=True),
            "control__source__slug",
            "control__position",
        )
    )
    latest_decision: dict[int, ReviewDecision] = {}
    for decision in (
        ReviewDecision.objects.filter(attestation__checklist=checklist)
        .select_related("reviewer")
        .order_by("attestation_id", "-decided_at", "-pk")
    ):
        latest_decision.setdefault(decision.attestation_id, decision)

    controls_by_group: dict[str, list[dict]] = defaultdict(list)
    exceptions, stale, overdue = [], [], []
    for item in attestations:
        # What answers this control: its own answer, or the group's (never "not applicable").
        carrier = item.satisfied_through
        through = carrier is not None and carrier.status != AnswerStatus.NOT_APPLICABLE
        answering = carrier if through else item
        decision = latest_decision.get(answering.pk)
        control = item.control
        row = {
            "ref": control.ref,
            "title": control.title,
            "section": control.section,
            "severity": control.severity,
            "answer": item.effective_status,
            "answer_label": AnswerStatus(item.effective_status).label,
            "review": item.effective_review_state,
            "review_label": ReviewState(item.effective_review_state).label,
            "decision": decision.decision if decision else None,
            "reviewer": _name(decision.reviewer) if decision else None,
            "decided_at": _when(decision.decided_at) if decision else None,
            "attested_by": _name(answering.attested_by),
            "attested_at": _when(answering.attested_at),
            "answered_through": carrier.control.ref if through else None,
            "stale": bool(item.effective_stale),
            "next_review_due": _when(item.effective_next_review_due),
        }
        provider = control.source.provider
        controls_by_group[provider.name if provider else control.source.title].append(row)
        brief = {"ref": control.ref, "title": control.title, "answer": row["answer_label"]}
        if item.effective_status in NEEDS_JUSTIFICATION:
            exceptions.append({**brief, "justification": answering.justification})
        if item.effective_stale:
            stale.append({**brief, "next_review_due": row["next_review_due"]})
        due = answering.due_date
        if due and due < today and item.effective_review_state != ReviewState.APPROVED:
            overdue.append({**brief, "due_date": _when(due), "review": row["review_label"]})

    evidence = _evidence_manifest(checklist)
    audit = _audit_section(team, quarter)
    cut_off = min(quarter.last_day, today)
    obligations = _obligations_section(team, quarter, cut_off)
    credentials = _credentials_section(team, cut_off)
    incidents = _incidents_section(team, quarter)
    access_reviews = access_reviews_section(team, quarter)
    providers = [{"name": name, "controls": rows} for name, rows in controls_by_group.items()]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "team": {"slug": team.slug, "name": team.name},
        "period": {
            "quarter": str(quarter),
            "first_day": _when(quarter.first_day),
            "last_day": _when(quarter.last_day),
        },
        "generated_at": _when(generated_at),
        "generated_by": generated_by,
        "portal_version": portal_version(),
        "checklist": {
            "providers": sorted(p.name for p in checklist.providers.all()),
            "asvs_level": checklist.asvs_level,
            "created_at": _when(checklist.created_at),
        },
        "summary": _summary(providers),
        "providers": providers,
        "exceptions": exceptions,
        "stale": stale,
        "overdue": overdue,
        "evidence": evidence,
        "audit": audit,
        "obligations": obligations,
        "credentials": credentials,
        "incidents": incidents,
        "access_reviews": access_reviews,
        "parameters": {
            "scope": ReportScope.TEAM.value,
            "team": team.slug,
            "period": str(quarter),
            "filters": {},
            "as_of": _when(today),
            "counts": {
                "controls": len(attestations),
                "exceptions": len(exceptions),
                "stale": len(stale),
                "overdue": len(overdue),
                "evidence_files": len(evidence),
                "audit_events": len(audit["events"]),
                "obligation_occurrences": obligations["summary"]["total"],
                "credentials": len(credentials["credentials"]),
                "incidents": len(incidents),
                "access_reviews": len(access_reviews["campaigns"]),
            },
        },
    }


def _summary(providers: list[dict]) -> dict[str, Any]:
    statuses = list(AnswerStatus.values)
    rows = []
    for group in providers:
        counts = dict.fromkeys(statuses, 0)
        approved = stale = 0
        for row in group["controls"]:
            counts[row["answer"]] += 1
            approved += row["review"] == ReviewState.APPROVED and not row["stale"]
            stale += row["stale"]
        rows.append(
            {
                "name": group["name"],
                "total": len(group["controls"]),
                "approved": approved,
                "stale": stale,
                "by_answer": counts,
            }
        )
    totals = {
        "total": sum(r["total"] for r in rows),
        "approved": sum(r["approved"] for r in rows),
        "stale": sum(r["stale"] for r in rows),
        "by_answer": {s: sum(r["by_answer"][s] for r in rows) for s in statuses},
    }
    return {"providers": rows, "totals": totals}


def _evidence_manifest(checklist: Checklist) -> list[dict]:
    """Every evidence file cited by an answer of the checklist, with the answers citing it."""
    cited: dict[int, dict] = {}
    links = (
        EvidenceLink.objects.filter(
            attestation__checklist=checklist,
            withdrawn_at__isnull=True,
            evidence__kind="file",
        )
        .select_related("evidence__uploaded_by", "attestation__control")
        .order_by("evidence__original_name", "evidence_id", "attestation__control__ref")
    )
    for link in links:
        evidence = link.evidence
        entry = cited.setdefault(
            evidence.pk,
            {
                "id": evidence.pk,
                "name": evidence.original_name,
                "description": evidence.description,
                "size": evidence.size,
                "sha256": evidence.sha256,
                "content_type": evidence.content_type,
                "uploaded_by": _name(evidence.uploaded_by),
                "uploaded_at": _when(evidence.uploaded_at),
                "valid_from": _when(evidence.valid_from),
                "valid_until": _when(evidence.valid_until),
                "cited_by": [],
            },
        )
        entry["cited_by"].append(link.attestation.control.ref)
    return list(cited.values())


def _audit_section(team: Team | None, quarter: Quarter) -> dict[str, Any]:
    """The team's events of the quarter (none for the organisation), the head, the checkpoint."""
    start, end = period_bounds(quarter)
    events = (
        [
            {
                "sequence": event.sequence,
                "created_at": _when(event.created_at),
                "actor": event.actor_label,
                "action": event.action,
                "object": event.object_label,
                "hash": event.hash,
            }
            for event in AuditEvent.objects.filter(
                team=team, created_at__gte=start, created_at__lt=end
            ).order_by("sequence")
        ]
        if team is not None
        else []
    )
    return {"events": events, **chain_position()}


def chain_position() -> dict[str, Any]:
    """The audit chain's head and its latest signed checkpoint, as a report quotes them."""
    head = AuditChainHead.objects.first()
    checkpoint = AuditCheckpoint.objects.order_by("-sequence", "-id").first()
    return {
        "chain_head": {"sequence": head.last_sequence, "hash": head.last_hash} if head else None,
        "checkpoint": {
            "sequence": checkpoint.sequence,
            "hash": checkpoint.hash,
            "created_at": _when(checkpoint.created_at),
            "key_id": checkpoint.key_id,
            "signature": checkpoint.signature,
        }
        if checkpoint
        else None,
    }


def _end_of(day: date) -> datetime:
    """The instant a day ends (UTC), as the half-open bound of a range."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _obligations_section(team: Team, quarter: Quarter, cut_off: date) -> dict[str, Any]:
    """The team's occurrences due in the quarter or done in it, and those still open at the
    cut-off from before it: done on time, done late, or open at the cut-off. One query.

    An occurrence is done at the cut-off if it was done on a day up to it; an open occurrence
    of an obligation retired by then no longer counts."""
    first, last = quarter.first_day, quarter.last_day
    done = Q(done_at__isnull=False, completed_on__lte=cut_off)
    still_open = Q(done_at__isnull=True) | Q(completed_on__gt=cut_off)
    in_force = Q(obligation__retired_at__isnull=True) | Q(
        obligation__retired_at__gte=_end_of(cut_off)
    )
    occurrences = (
        Occurrence.objects.filter(obligation__team=team)
        .filter(
            Q(due_on__gte=first, due_on__lte=last)
            | (done & Q(completed_on__gte=first))
            | (still_open & Q(due_on__lt=first))
        )
        .filter(done | (still_open & in_force))
        .select_related("obligation__owner", "completed_by", "confirmed_by")
        .order_by("due_on", "obligation__title", "pk")
    )
    groups: dict[str, list[dict]] = {"on_time": [], "late": [], "open": []}
    for occurrence in occurrences:
        obligation = occurrence.obligation
        completed_on = occurrence.completed_on
        is_done = occurrence.done_at is not None and completed_on <= cut_off
        completed = completed_on is not None and completed_on <= cut_off
        state = status(due_on=occurrence.due_on, today=cut_off, completed=completed, done=is_done)
        moved = occurrence.due_on != occurrence.scheduled_on or bool(occurrence.due_change_reason)
        row = {
            "obligation": obligation.title,
            "kind": obligation.kind,
            "kind_label": ObligationKind(obligation.kind).label,
            "owner": _name(obligation.owner),
            "scheduled_on": _when(occurrence.scheduled_on),
            "due_on": _when(occurrence.due_on),
            "due_moved": moved,
            "due_change_reason": occurrence.due_change_reason if moved else "",
            "status": state.value,
            "status_label": state.label,
            "completed_by": _name(occurrence.completed_by) if completed else None,
            "done_on": _when(completed_on) if completed else None,
            "confirmed_by": _name(occurrence.confirmed_by) if is_done else None,
            "days_late": 0,
            "done_after_cut_off_on": None if completed else _when(completed_on),
        }
        if is_done:
            row["days_late"] = max((completed_on - occurrence.due_on).days, 0)
            groups["late" if row["days_late"] else "on_time"].append(row)
        else:
            if state == Status.OVERDUE:
                row["days_late"] = (cut_off - occurrence.due_on).days
            groups["open"].append(row)
    overdue = sum(row["status"] == Status.OVERDUE for row in groups["open"])
    return {
        "cut_off": _when(cut_off),
        "quarter_ended": last < timezone.localdate(),
        "summary": {
            "total": sum(len(rows) for rows in groups.values()),
            "done_on_time": len(groups["on_time"]),
            "done_late": len(groups["late"]),
            "open": len(groups["open"]),
            "overdue": overdue,
            "not_yet_due": len(groups["open"]) - overdue,
            "due_date_moved": sum(row["due_moved"] for rows in groups.values() for row in rows),
        },
        "done_on_time": groups["on_time"],
        "done_late": groups["late"],
        "open": groups["open"],
    }


# The exposure questions in a few words each, as the report flags them.
EXPOSURE_SHORT = {
    "in_front_end": "in a front end",
    "in_repository": "in a code repository",
    "in_logs": "in logs",
    "returned_to_clients": "returned to clients",
}


def _credentials_section(team: Team, cut_off: date) -> dict[str, Any]:
    """Each credential of the team in use at the cut-off, its rotation as it stood then and
    its exposure answers; never where it is kept, nor its notes. One query."""
    end = _end_of(cut_off)
    rotations = Occurrence.objects.filter(
        obligation__team=team,
        obligation__credential=OuterRef("pk"),
        obligation__kind=ObligationKind.KEY_ROTATION,
    )
    pending = rotations.filter(
        Q(done_at__isnull=True) | Q(completed_on__gt=cut_off), obligation__retired_at__isnull=True
    ).order_by("due_on", "pk")
    credentials = (
        Credential.objects.filter(team=team, created_on__lte=cut_off)
        .filter(Q(retired_at__isnull=True) | Q(retired_at__gte=end))
        .defer("kept_in", "notes")
        .select_related("provider")
        .annotate(
            rotated_on=Subquery(
                rotations.filter(done_at__isnull=False, completed_on__lte=cut_off)
                .order_by("-completed_on")
                .values("completed_on")[:1]
            ),
            rotation_due_on=Subquery(pending.values("due_on")[:1]),
            rotation_completed_on=Subquery(pending.values("completed_on")[:1]),
        )
        .order_by("name", "environment")
    )
    rows = []
    for credential in credentials:
        recorded = credential.last_rotated_on
        known = [d for d in (credential.rotated_on, recorded) if d is not None and d <= cut_off]
        last_rotated = max(known) if known else None
        tracked = credential.rotation_due_on is not None
        next_due = (
            credential.rotation_due_on
            if tracked
            else (last_rotated or credential.created_on)
            + timedelta(days=credential.rotation_interval_days)
        )
        completed = credential.rotation_completed_on
        state = status(
            due_on=next_due,
            today=cut_off,
            completed=completed is not None and completed <= cut_off,
            done=False,
        )
        answers = {field: getattr(credential, field) for field in EXPOSURE_SHORT}
        rows.append(
            {
                "name": credential.name,
                "kind_label": CredentialKind(credential.kind).label,
                "provider": credential.provider.name if credential.provider else None,
                "environment": credential.environment,
                "environment_label": Environment(credential.environment).label,
                "rotation_interval_days": credential.rotation_interval_days,
                "created_on": _when(credential.created_on),
                "last_rotated_on": _when(last_rotated),
                "next_rotation_due": _when(next_due),
                "rotation_tracked": tracked,
                "status": state.value,
                "status_label": state.label,
                "exposure": answers,
                "exposed": [EXPOSURE_SHORT[f] for f, a in answers.items() if a == Exposure.YES],
                "not_checked": [
                    EXPOSURE_SHORT[f] for f, a in answers.items() if a == Exposure.UNKNOWN
                ],
            }
        )
    return {
        "credentials": rows,
        "rotation_overdue": sum(row["status"] == Status.OVERDUE for row in rows),
        "exposed": sum(bool(row["exposed"]) for row in rows),
    }


def _duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _incidents_section(team: Team, quarter: Quarter) -> list[dict]:
    """The team's incidents opened in the quarter or still open during it, with their runbook
    steps done by the quarter's end. One query."""
    start, end = period_bounds(quarter)
    incidents = (
        Incident.objects.filter(team=team, opened_at__lt=end)
        .filter(Q(opened_at__gte=start) | Q(closed_at__isnull=True) | Q(closed_at__gte=start))
        .select_related("provider", "credential")
        .annotate(
            steps_total=Count("steps"),
            steps_done=Count("steps", filter=Q(steps__done_at__lt=end)),
        )
        .order_by("opened_at", "pk")
    )
    rows = []
    for incident in incidents:
        informed = incident.provider_informed_at
        credential = incident.credential
        rows.append(
            {
                "title": incident.title,
                "severity": incident.severity,
                "severity_label": IncidentSeverity(incident.severity).label,
                "status": incident.status,
                "status_label": IncidentStatus(incident.status).label,
                "provider": incident.provider.name if incident.provider else None,
                "opened_at": _when(incident.opened_at),
                "opened_before_period": incident.opened_at < start,
                "provider_informed_at": _when(informed),
                "informed_after": _duration(informed - incident.opened_at) if informed else None,
                "resolved_at": _when(incident.resolved_at),
                "closed_at": _when(incident.closed_at),
                "steps_done": incident.steps_done,
                "steps_total": incident.steps_total,
                "credential": str(credential) if credential else None,
            }
        )
    return rows


# The flags an import raises on an account, in a few words each, as the reports print them.
ACCESS_FLAGS = {
    "shared": "shared",
    "dormant": "dormant",
    "privileged_without_mfa": "privileged without MFA",
    "not_a_member": "not a team member",
}
ACCESS_ACTIONS = (AccessDecisionKind.REVOKE, AccessDecisionKind.CHANGE_ROLE)
# Revocations and role changes listed per campaign in the team report; the campaign's own
# signed record lists every one.
ACCESS_ACTIONS_LISTED = 10


def access_review_counts() -> dict[str, Count]:
    """A campaign's figures as aggregates over its entries, to annotate AccessReviews with."""

    def entries(**conditions) -> Count:
        return Count("entries", filter=Q(**{f"entries__{k}": v for k, v in conditions.items()}))

    flagged = Q()
    for flag in ACCESS_FLAGS:
        flagged |= Q(**{f"entries__{flag}": True})
    on_roster = (EntryChange.NEW, EntryChange.UNCHANGED, EntryChange.ROLE_CHANGED)
    return {
        "n_entries": Count("entries"),
        "n_accounts": entries(change__in=on_roster),
        "n_new": entries(change=EntryChange.NEW),
        "n_unchanged": entries(change=EntryChange.UNCHANGED),
        "n_role_changed": entries(change=EntryChange.ROLE_CHANGED),
        "n_removed": entries(change=EntryChange.REMOVED),
        **{f"n_{flag}": entries(**{flag: True}) for flag in ACCESS_FLAGS},
        "n_flagged": Count("entries", filter=flagged),
        "n_decided": entries(decision__in=AccessDecisionKind.values),
        "n_kept": entries(decision=AccessDecisionKind.KEEP),
        "n_role_changes": entries(decision=AccessDecisionKind.CHANGE_ROLE),
        "n_revocations": entries(decision=AccessDecisionKind.REVOKE),
        "n_actions_done": entries(decision__in=ACCESS_ACTIONS, action_done_at__isnull=False),
    }


def access_review_figures(review: AccessReview) -> dict[str, Any]:
    """The figures of a campaign annotated with `access_review_counts`."""
    names = [name.removeprefix("n_") for name in access_review_counts()]
    figures = {name: getattr(review, f"n_{name}") for name in names}
    figures["flagged_by_kind"] = {label: figures.pop(flag) for flag, label in ACCESS_FLAGS.items()}
    figures["actions"] = figures["role_changes"] + figures["revocations"]
    return figures


def access_entry_flags(entry: AccessEntry) -> list[str]:
    return [label for flag, label in ACCESS_FLAGS.items() if getattr(entry, flag)]


def access_action_row(entry: AccessEntry) -> dict[str, Any]:
    """A decision on an account, who took it and whether it was carried out; the person by
    name, never by e-mail address."""
    return {
        "account": entry.account,
        "person": entry.person,
        "role": entry.role,
        "decision": entry.decision,
        "decision_label": AccessDecisionKind(entry.decision).label if entry.decision else None,
        "new_role": entry.new_role,
        "reason": entry.reason,
        "decided_by": _name(entry.decided_by),
        "decided_at": _when(entry.decided_at),
        "action_done_by": _name(entry.action_done_by),
        "action_done_at": _when(entry.action_done_at),
    }


# What an entry row reads: never its e-mail address, nor the note on the action.
ACCESS_ENTRY_FIELDS = (
    "review",
    "account",
    "person",
    "role",
    "previous_role",
    "privileged",
    "mfa",
    "last_login",
    "change",
    *ACCESS_FLAGS,
    "decision",
    "new_role",
    "reason",
    "decided_at",
    "decided_by__username",
    "action_done_at",
    "action_done_by__username",
)


def access_reviews_section(team: Team, quarter: Quarter) -> dict[str, Any]:
    """The team's campaigns for the quarter, and those of earlier quarters still open during
    it: their state, figures and, for each, its first revocations and role changes. Two
    queries, whatever the number of campaigns and accounts."""
    start, _ = period_bounds(quarter)
    period = str(quarter)
    campaigns = list(
        AccessReview.objects.filter(team=team)
        .filter(
            Q(period=period)
            | Q(period__lt=period, completed_at__isnull=True)
            | Q(period__lt=period, completed_at__gte=start)
        )
        .defer("result")
        .select_related("started_by", "completed_by")
        .annotate(**access_review_counts())
        .order_by("period", "system", "pk")
    )
    listed: dict[int, list[dict]] = defaultdict(list)
    if campaigns:
        actions = (
            AccessEntry.objects.filter(
                review__in=[c.pk for c in campaigns], decision__in=ACCESS_ACTIONS
            )
            .select_related("decided_by", "action_done_by")
            .only(*ACCESS_ENTRY_FIELDS)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=F("review_id"),
                    order_by=(F("decision").desc(), F("account").asc()),
                )
            )
            .filter(rank__lte=ACCESS_ACTIONS_LISTED)
            .order_by("review_id", "rank")
        )
        for entry in actions:
            listed[entry.review_id].append(access_action_row(entry))
    rows = []
    for campaign in campaigns:
        completed = campaign.state == CampaignState.COMPLETED
        figures = access_review_figures(campaign)
        rows.append(
            {
                "id": campaign.pk,
                "system": campaign.system,
                "period": campaign.period,
                "from_earlier_period": campaign.period != period,
                "state": campaign.state,
                "state_label": CampaignState(campaign.state).label,
                "started_at": _when(campaign.started_at),
                "started_by": _name(campaign.started_by),
                "completed_at": _when(campaign.completed_at) if completed else None,
                "completed_by": _name(campaign.completed_by) if completed else None,
                "roster_sha256": campaign.roster_sha256 if completed else None,
                "figures": figures,
                "actions": listed[campaign.pk],
                "actions_not_listed": figures["actions"] - len(listed[campaign.pk]),
            }
        )
    return {"campaigns": rows}


def canonical_json(data: dict[str, Any]) -> bytes:
    """The twin as attached to the PDF: sorted keys, UTF-8, two-space indent."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


ORGANISATION_FORMAT = "compliance-portal/organisation-report"


def organisation_report(
    *, quarter: Quarter, kind: str, generated_by: str, generated_at: datetime
) -> dict[str, Any]:
    """Every team's posture for the quarter, one row each, in a fixed number of queries."""
    today = timezone.localdate()
    period = str(quarter)
    by_answer = {
        f"answer_{status.value}": Count("pk", filter=Q(effective_status=status.value))
        for status in AnswerStatus
    }
    counted = {
        row["checklist__team_id"]: row
        for row in with_effective_state(Attestation.objects.filter(checklist__period=period))
        .values("checklist__team_id")
        .annotate(
            total=Count("pk"),
            approved=Count(
                "pk", filter=Q(effective_review_state=ReviewState.APPROVED, effective_stale=False)
            ),
            stale=Count("pk", filter=Q(effective_stale=True)),
            exceptions=Count("pk", filter=Q(effective_status__in=sorted(NEEDS_JUSTIFICATION))),
            overdue=Count(
                "pk",
                filter=Q(due_date__lt=today) & ~Q(effective_review_state=ReviewState.APPROVED),
            ),
            **by_answer,
        )
        .order_by()
    }
    evidence = dict(
        EvidenceLink.objects.filter(
            attestation__checklist__period=period, withdrawn_at__isnull=True, evidence__kind="file"
        )
        .values("attestation__checklist__team_id")
        .annotate(files=Count("evidence", distinct=True))
        .order_by()
        .values_list("attestation__checklist__team_id", "files")
    )
    teams = []
    for team in Team.objects.order_by("name"):
        row = counted.get(team.pk)
        teams.append(
            {
                "slug": team.slug,
                "name": team.name,
                "has_checklist": row is not None,
                "total": row["total"] if row else 0,
                "approved": row["approved"] if row else 0,
                "stale": row["stale"] if row else 0,
                "exceptions": row["exceptions"] if row else 0,
                "overdue": row["overdue"] if row else 0,
                "evidence_files": evidence.get(team.pk, 0),
                "by_answer": {
                    s.value: row[f"answer_{s.value}"] if row else 0 for s in AnswerStatus
                },
            }
        )
    reporting = [t for t in teams if t["has_checklist"]]
    keys = ("total", "approved", "stale", "exceptions", "overdue", "evidence_files")
    audit = _audit_section(None, quarter)
    return {
        "format": ORGANISATION_FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "organisation": True,
        "period": {
            "quarter": period,
            "first_day": _when(quarter.first_day),
            "last_day": _when(quarter.last_day),
        },
        "generated_at": _when(generated_at),
        "generated_by": generated_by,
        "portal_version": portal_version(),
        "teams": teams,
        "totals": {key: sum(t[key] for t in reporting) for key in keys},
        "audit": {"chain_head": audit["chain_head"], "checkpoint": audit["checkpoint"]},
        "parameters": {
            "scope": ReportScope.ORGANISATION.value,
            "period": period,
            "filters": {},
            "as_of": _when(today),
            "counts": {
                "teams": len(teams),
                "teams_with_checklist": len(reporting),
                "controls": sum(t["total"] for t in reporting),
            },
        },
    }
