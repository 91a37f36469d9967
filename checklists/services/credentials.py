"""The credential inventory: which provider secrets a team holds and where they are kept
(never the secret itself), each with its rotation duty, and the report of a leak.

A credential's rotation is an occurrence of its key-rotation obligation: completed by one
person, confirmed by another (services.obligations), which sets `last_rotated_on`.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from checklists import incident_rules as rules
from checklists import runbooks
from checklists.models import Control, Obligation, ObligationKind, Occurrence, Provider
from checklists.models.credentials import EXPOSURE_QUESTIONS, Credential, Environment, Exposure
from checklists.models.incidents import Incident, IncidentSeverity
from checklists.schedule import Rule, Status, status
from checklists.services import incidents, obligations
from checklists.services.common import plain, refuse, refuse_secrets
from portal.accounts.models import Team
from portal.accounts.permissions import team_member_ids
from portal.audit import services as audit

EDITABLE = (
    "name",
    "kind",
    "environment",
    "kept_in",
    "owner",
    "rotation_interval_days",
    *EXPOSURE_QUESTIONS,
    "notes",
)


def _title(name: str, environment: str) -> str:
    return f"Rotate {name.strip()} ({Environment(environment).label})"


def _exposures(values: dict) -> dict[str, str]:
    return {field: values.get(field) or Exposure.UNKNOWN for field in EXPOSURE_QUESTIONS}


def _check(
    *,
    team: Team,
    name,
    kind,
    environment,
    kept_in,
    owner,
    interval,
    created_on,
    last_rotated_on,
    exposures,
    notes,
    exclude=None,
) -> None:
    refuse(
        *rules.credential_problems(
            name=name,
            kind=kind,
            environment=environment,
            kept_in=kept_in,
            rotation_interval_days=interval,
            created_on=created_on,
            last_rotated_on=last_rotated_on,
            exposures=exposures,
            today=timezone.localdate(),
        ),
        None
        if owner is None or owner.pk in team_member_ids(team)
        else "The owner must be a member of the team.",
    )
    refuse_secrets(name=name, location=kept_in, notes=notes)
    same = Credential.objects.filter(team=team, name=name.strip(), environment=environment)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if same.exists():
        refuse(
            f"The team already has a credential named “{name.strip()}” for "
            f"{Environment(environment).label.lower()}."
        )


def rotation_controls(team: Team, provider: Provider | None):
    """The active controls of the provider's guides that a key rotation keeps met, among those
    of the team's checklists (an obligation links only those)."""
    if provider is None:
        return Control.objects.none()
    return incidents.team_controls(team).filter(
        source__provider=provider, obligation_kind=ObligationKind.KEY_ROTATION, retired=False
    )


def rotation_obligation(credential: Credential) -> Obligation | None:
    return credential.obligations.filter(kind=ObligationKind.KEY_ROTATION).first()


def credential_create(
    *,
    team: Team,
    by,
    name: str,
    provider: Provider | None,
    kind: str,
    environment: str,
    kept_in: str,
    owner=None,
    rotation_interval_days: int = 90,
    created_on: date | None = None,
    last_rotated_on: date | None = None,
    notes: str = "",
    **exposures: str,
) -> Credential:
    """The credential and its key-rotation obligation, first due one interval after the last
    rotation (or the creation)."""
    unknown = set(exposures) - set(EXPOSURE_QUESTIONS)
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    created_on = created_on or timezone.localdate()
    exposures = _exposures(exposures)
    _check(
        team=team,
        name=name,
        kind=kind,
        environment=environment,
        kept_in=kept_in,
        owner=owner,
        interval=rotation_interval_days,
        created_on=created_on,
        last_rotated_on=last_rotated_on,
        exposures=exposures,
        notes=notes,
    )
    with transaction.atomic():
        credential = Credential.objects.create(
            team=team,
            name=name.strip(),
            provider=provider,
            kind=kind,
            environment=environment,
            kept_in=kept_in.strip(),
            owner=owner,
            rotation_interval_days=rotation_interval_days,
            created_on=created_on,
            last_rotated_on=last_rotated_on,
            notes=notes,
            created_by=by,
            **exposures,
        )
        obligations.obligation_create(
            team=team,
            kind=ObligationKind.KEY_ROTATION,
            title=_title(name, environment),
            rule=Rule("days", rotation_interval_days),
            credential=credential,
            owner=owner,
            starts_on=(last_rotated_on or created_on) + timedelta(days=rotation_interval_days),
            controls=rotation_controls(team, provider),
            by=by,
        )
        audit.record(
            "checklists.credential.created",
            actor=by,
            obj=credential,
            team=team,
            changes={
                "name": credential.name,
                "provider": provider.slug if provider else None,
                "kind": kind,
                "environment": environment,
                "kept_in": credential.kept_in,
                "owner": owner.get_username() if owner else None,
                "rotation_interval_days": rotation_interval_days,
                "created_on": plain(created_on),
                "last_rotated_on": plain(last_rotated_on),
                **exposures,
            },
        )
    return credential


def _lock(credential: Credential) -> Credential:
    return (
        Credential.objects.select_for_update(of=("self",), no_key=True)
        .select_related("team", "provider", "owner")
        .get(pk=credential.pk)
    )


def credential_update(
    *,
    credential: Credential,
    by,
    name: str,
    kind: str,
    environment: str,
    kept_in: str,
    owner=None,
    rotation_interval_days: int,
    notes: str = "",
    **exposures: str,
) -> Credential:
    """Change what the inventory says. The rotation obligation follows the name, owner and
    interval; a new interval applies from the next rotation."""
    unknown = set(exposures) - set(EXPOSURE_QUESTIONS)
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    exposures = _exposures(exposures)
    with transaction.atomic():
        credential = _lock(credential)
        refuse(rules.why_retired(credential.retired_at))
        _check(
            team=credential.team,
            name=name,
            kind=kind,
            environment=environment,
            kept_in=kept_in,
            owner=owner,
            interval=rotation_interval_days,
            created_on=credential.created_on,
            last_rotated_on=credential.last_rotated_on,
            exposures=exposures,
            notes=notes,
            exclude=credential,
        )

        def snapshot() -> dict:
            values = {field: getattr(credential, field) for field in EDITABLE}
            values["owner"] = credential.owner.get_username() if credential.owner else None
            return values

        before = snapshot()
        credential.name = name.strip()
        credential.kind = kind
        credential.environment = environment
        credential.kept_in = kept_in.strip()
        credential.owner = owner
        credential.rotation_interval_days = rotation_interval_days
        credential.notes = notes
        for field, answer in exposures.items():
            setattr(credential, field, answer)
        credential.save()
        changes = audit.diff(before, snapshot())
        obligation = rotation_obligation(credential)
        if obligation is not None and obligation.retired_at is None:
            rule = Rule("days", rotation_interval_days)
            title = _title(name, environment)
            if (
                Rule.of(obligation) != rule
                or obligation.owner_id != (owner.pk if owner else None)
                or obligation.title != title
            ):
                obligations.obligation_update(
                    obligation=obligation,
                    by=by,
                    title=title,
                    description=obligation.description,
                    owner=owner,
                    rule=rule,
                )
        if changes:
            audit.record(
                "checklists.credential.updated",
                actor=by,
                obj=credential,
                team=credential.team,
                changes=changes,
            )
    return credential


def credential_retire(*, credential: Credential, by, reason: str) -> Credential:
    """The credential is no longer in use: it leaves the inventory and its rotation duty ends."""
    refuse(None if reason.strip() else "Say why the credential is retired.")
    refuse_secrets(reason=reason)
    with transaction.atomic():
        credential = _lock(credential)
        refuse(rules.why_retired(credential.retired_at))
        credential.retired_at = timezone.now()
        credential.save(update_fields=["retired_at"])
        obligation = rotation_obligation(credential)
        if obligation is not None and obligation.retired_at is None:
            obligations.obligation_retire(obligation=obligation, by=by, reason=reason)
        audit.record(
            "checklists.credential.retired",
            actor=by,
            obj=credential,
            team=credential.team,
            reason=reason.strip(),
        )
    return credential


def credential_report_leak(*, credential: Credential, by, summary: str) -> Incident:
    """Open a high-severity incident for a leaked credential, with the leak runbook's steps,
    and bring its rotation forward to today."""
    refuse(None if summary.strip() else "Say briefly what leaked, where and since when.")
    refuse_secrets(summary=summary)
    today = timezone.localdate()
    with transaction.atomic():
        credential = _lock(credential)
        refuse(rules.why_retired(credential.retired_at))
        obligation = rotation_obligation(credential)
        incident, entry = incidents.open_incident(
            team=credential.team,
            by=by,
            title=f"Leak of {credential}",
            summary=summary.strip(),
            severity=IncidentSeverity.HIGH,
            provider=credential.provider,
            credential=credential,
            controls=list(obligation.controls.all()) if obligation else [],
            steps=runbooks.KEY_LEAK,
            opened_text=f"Leak reported: {summary.strip()}",
        )
        occurrence = (
            obligation.occurrences.filter(done_at__isnull=True).first() if obligation else None
        )
        if (
            occurrence is not None
            and occurrence.completed_at is None
            and obligation.retired_at is None
            and occurrence.due_on > today
        ):
            obligations.occurrence_move_due(
                occurrence=occurrence,
                by=by,
                due_on=today,
                reason=f"Leak reported: incident #{incident.pk}",
            )
        audit.record_many(
            [
                entry,
                audit.Entry(
                    "checklists.credential.leak_reported",
                    actor=by,
                    obj=credential,
                    team=credential.team,
                    changes={"incident": incident.pk},
                    reason=summary.strip(),
                ),
            ]
        )
    return incident


# --- What the pages read -------------------------------------------------------------------


def with_rotation(credentials):
    """Credentials with `rotation` (the live rotation obligation, or None) and `due` (its open
    occurrence, or None): three queries for any number of credentials."""
    credentials = credentials.select_related("team", "provider", "owner").prefetch_related(
        Prefetch(
            "obligations",
            queryset=Obligation.objects.filter(
                kind=ObligationKind.KEY_ROTATION, retired_at__isnull=True
            ).prefetch_related(
                Prefetch(
                    "occurrences",
                    queryset=Occurrence.objects.filter(done_at__isnull=True),
                    to_attr="open_occurrences",
                )
            ),
            to_attr="rotations",
        )
    )
    result = list(credentials)
    for credential in result:
        credential.rotation = credential.rotations[0] if credential.rotations else None
        opened = credential.rotation.open_occurrences if credential.rotation else []
        credential.due = opened[0] if opened else None
    return result


STATUS_ORDER = [
    Status.OVERDUE,
    Status.DUE_SOON,
    Status.AWAITING_CONFIRMATION,
    Status.UPCOMING,
    Status.DONE,
]


def due_status(occurrence: Occurrence | None, today: date) -> Status | None:
    if occurrence is None:
        return None
    return status(
        due_on=occurrence.due_on,
        today=today,
        completed=occurrence.completed_at is not None,
        done=occurrence.done_at is not None,
    )


def credential_rows(team: Team, today: date) -> list[dict]:
    """The team's credentials in use, overdue rotations first."""
    rows = []
    for credential in with_rotation(Credential.objects.filter(team=team, retired_at__isnull=True)):
        state = due_status(credential.due, today)
        rows.append(
            {
                "credential": credential,
                "occurrence": credential.due,
                "status": state,
                "warnings": rules.exposure_warnings(credential),
            }
        )
    rows.sort(
        key=lambda row: (
            STATUS_ORDER.index(row["status"]) if row["status"] else len(STATUS_ORDER),
            row["occurrence"].due_on if row["occurrence"] else date.max,
            row["credential"].name,
        )
    )
    return rows


def rotation_history(credential: Credential) -> list[Occurrence]:
    return list(
        Occurrence.objects.filter(
            obligation__credential=credential,
            obligation__kind=ObligationKind.KEY_ROTATION,
            done_at__isnull=False,
        )
        .select_related("completed_by", "confirmed_by", "obligation__team")
        .order_by("-completed_on", "-pk")
    )
