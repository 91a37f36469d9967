"""What a team report says, as one JSON-ready structure: the PDF shows it and carries it.

`team_report` reads everything in a fixed number of queries, whatever the number of controls,
answers, evidence files or audit events. The structure is the report's machine-readable twin:
the PDF is drawn from it and embeds it, byte for byte as `canonical_json` writes it.
"""

import hashlib
import json
from collections import defaultdict
from datetime import UTC, date, datetime, time
from importlib import metadata
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from checklists.models import (
    NEEDS_JUSTIFICATION,
    AnswerStatus,
    Attestation,
    Checklist,
    EvidenceLink,
    ReportKind,
    ReportScope,
    ReviewDecision,
    ReviewState,
)
from checklists.periods import Quarter
from checklists.selectors.assessments import with_effective_state
from portal.accounts.models import Team
from portal.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent

FORMAT = "compliance-portal/team-report"
FORMAT_VERSION = 1
ATTACHMENT_NAME = "report.json"


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
    head = AuditChainHead.objects.first()
    checkpoint = AuditCheckpoint.objects.order_by("-sequence", "-id").first()
    return {
        "events": events,
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
