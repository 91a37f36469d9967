"""Obligations and their occurrences: create, complete, confirm, send back, move the due date.

One story for recurring controls: the obligation keeps the clock. An approved answer to a
recurring control stays current until the earliest open occurrence of the obligations behind
the control falls overdue (`Attestation.next_review_due` holds that due date). Doing the duty
(completing, and confirming where a second person must) schedules the next occurrence from
the day it was done and moves the due date of those answers with it; the answer is not
reviewed again, because the occurrence carries its own note, evidence and, for rotations, a
second person. Approving an answer reads its due date from the same occurrences.
"""

from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from checklists import rules
from checklists.models import (
    Attestation,
    Checklist,
    Control,
    Evidence,
    Obligation,
    ObligationKind,
    Occurrence,
    ReviewState,
)
from checklists.schedule import Rule
from checklists.services.common import plain, refuse, refuse_secrets
from portal.accounts.models import Team
from portal.accounts.permissions import team_member_ids
from portal.audit import services as audit


def _lock(occurrence: Occurrence) -> Occurrence:
    return (
        Occurrence.objects.select_for_update(of=("self",), no_key=True)
        .select_related("obligation__team", "obligation__credential")
        .get(pk=occurrence.pk)
    )


def _owner_problem(team: Team, owner) -> str | None:
    if owner is not None and owner.pk not in team_member_ids(team):
        return "The owner must be a member of the team."
    return None


def _rule_changes(rule: Rule) -> dict:
    return {"rule": rule.describe()}


# --- Obligations ---------------------------------------------------------------------------


def obligation_create(
    *,
    team: Team,
    kind: str,
    title: str,
    rule: Rule,
    by,
    owner=None,
    starts_on: date | None = None,
    description: str = "",
    controls: Iterable[Control] = (),
    credential=None,
    provider=None,
    implied_by_control: Control | None = None,
    implied_by_group=None,
) -> Obligation:
    """An obligation and its first occurrence, on the rule's first date from `starts_on`."""
    refuse(
        rule.problem(),
        _owner_problem(team, owner),
        None if kind in ObligationKind.values else "Choose what kind of duty this is.",
        None if title.strip() else "Give the obligation a title.",
    )
    refuse_secrets(title=title, description=description)
    with transaction.atomic():
        obligation, entry = _create(
            team=team,
            kind=kind,
            title=title.strip(),
            rule=rule,
            by=by,
            owner=owner,
            starts_on=starts_on or timezone.localdate(),
            description=description,
            controls=list(controls),
            credential=credential,
            provider=provider,
            implied_by_control=implied_by_control,
            implied_by_group=implied_by_group,
        )
        audit.record_many([entry])
    return obligation


def _create(*, team, kind, title, rule, by, owner, starts_on, description, controls, **origin):
    """Rows without the audit event, which the caller records (alone or with others)."""
    obligation = Obligation.objects.create(
        team=team,
        kind=kind,
        title=title,
        description=description,
        owner=owner,
        cadence=rule.cadence,
        interval_days=rule.interval_days,
        month=rule.month,
        day=rule.day,
        starts_on=starts_on,
        created_by=by,
        **origin,
    )
    obligation.controls.set(controls)
    first = rule.first_on_or_after(starts_on)
    Occurrence.objects.create(obligation=obligation, scheduled_on=first, due_on=first)
    entry = audit.Entry(
        "checklists.obligation.created",
        actor=by,
        obj=obligation,
        team=team,
        changes={
            "kind": kind,
            "title": title,
            **_rule_changes(rule),
            "owner": owner.get_username() if owner else None,
            "controls": sorted(control.ref for control in controls),
            "first_due_on": first.isoformat(),
        },
    )
    return obligation, entry


def obligation_update(
    *, obligation: Obligation, by, title: str, description: str, owner, rule: Rule
) -> Obligation:
    """Change what the obligation says. A new rule applies from the next occurrence; the open
    one keeps its dates (move its due date, with a reason, to change it)."""
    refuse(
        rule.problem(),
        _owner_problem(obligation.team, owner),
        None if title.strip() else "Give the obligation a title.",
    )
    refuse_secrets(title=title, description=description)
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update(no_key=True).get(pk=obligation.pk)
        before = {
            "title": obligation.title,
            "description": obligation.description,
            "owner": obligation.owner.get_username() if obligation.owner else None,
            "rule": Rule.of(obligation).describe(),
        }
        obligation.title = title.strip()
        obligation.description = description
        obligation.owner = owner
        obligation.cadence = rule.cadence
        obligation.interval_days = rule.interval_days
        obligation.month = rule.month
        obligation.day = rule.day
        obligation.save()
        after = {
            "title": obligation.title,
            "description": obligation.description,
            "owner": owner.get_username() if owner else None,
            "rule": rule.describe(),
        }
        changes = audit.diff(before, after)
        if changes:
            audit.record(
                "checklists.obligation.updated",
                actor=by,
                obj=obligation,
                team=obligation.team,
                changes=changes,
            )
    return obligation


def obligation_retire(*, obligation: Obligation, by, reason: str) -> Obligation:
    refuse(None if reason.strip() else "Say why the obligation no longer applies.")
    refuse_secrets(reason=reason)
    with transaction.atomic():
        obligation = Obligation.objects.select_for_update(no_key=True).get(pk=obligation.pk)
        if obligation.retired_at is not None:
            raise ValidationError("This obligation is already retired.")
        obligation.retired_at = timezone.now()
        obligation.save(update_fields=["retired_at"])
        renewed = renew_answers(obligation.team, obligation.controls.all())
        audit.record(
            "checklists.obligation.retired",
            actor=by,
            obj=obligation,
            team=obligation.team,
            changes={"answers_renewed": renewed},
            reason=reason,
        )
    return obligation


def implied_by(checklist: Checklist) -> list[dict]:
    """The obligations the checklist's recurring controls imply: one per equivalence group
    (at its strictest member's interval) or per ungrouped control."""
    controls = [
        attestation.control
        for attestation in checklist.attestations.filter(
            control__recurrence_days__isnull=False
        ).select_related("control__equivalence_group", "control__source__provider")
    ]
    by_origin: dict[tuple, list[Control]] = {}
    for control in controls:
        group = control.equivalence_group
        key = ("group", group.pk) if group else ("control", control.pk)
        by_origin.setdefault(key, []).append(control)
    implied = []
    for (origin, _pk), members in by_origin.items():
        strictest = rules.choose_carrier(members)
        implied.append(
            {
                "kind": strictest.obligation_kind,
                "title": strictest.equivalence_group.title
                if origin == "group"
                else strictest.title,
                "interval_days": rules.review_interval_days(members),
                "controls": members,
                "implied_by_group": strictest.equivalence_group if origin == "group" else None,
                "implied_by_control": None if origin == "group" else strictest,
            }
        )
    return implied


def ensure_for_checklist(checklist: Checklist, *, by) -> list[audit.Entry]:
    """Create the obligations the checklist implies and the team lacks, link new controls to
    those it has (tightening an interval a stricter control asks for). Returns the audit
    entries for the caller to record with its own."""
    team = checklist.team
    entries = []
    for wanted in implied_by(checklist):
        origin = {
            key: wanted[key]
            for key in ("implied_by_group", "implied_by_control")
            if wanted[key] is not None
        }
        existing = Obligation.objects.filter(team=team, **origin).first()
        if existing is None:
            _, entry = _create(
                team=team,
                kind=wanted["kind"],
                title=wanted["title"],
                rule=Rule("days", wanted["interval_days"]),
                by=by,
                owner=None,
                starts_on=timezone.localdate(),
                description="",
                controls=wanted["controls"],
                **origin,
            )
            entries.append(entry)
            continue
        added = set(wanted["controls"]) - set(existing.controls.all())
        tighter = existing.cadence == "days" and wanted["interval_days"] < existing.interval_days
        if not added and not tighter:
            continue
        existing.controls.add(*added)
        changes = {"controls_added": sorted(control.ref for control in added)}
        if tighter:
            changes["interval_days"] = audit.change(existing.interval_days, wanted["interval_days"])
            existing.interval_days = wanted["interval_days"]
            existing.save(update_fields=["interval_days"])
        entries.append(
            audit.Entry(
                "checklists.obligation.updated",
                actor=by,
                obj=existing,
                team=team,
                changes=changes,
                reason=f"checklist {checklist.period}",
            )
        )
    return entries


# --- Occurrences ---------------------------------------------------------------------------


def occurrence_complete(
    *,
    occurrence: Occurrence,
    by,
    note: str,
    done_on: date | None = None,
    evidence: Sequence[Evidence] = (),
) -> Occurrence:
    """Record that the duty was done: who, when, a note and evidence. Done at once unless the
    kind asks a second person to confirm it."""
    today = timezone.localdate()
    done_on = done_on or today
    refuse_secrets(note=note)
    with transaction.atomic():
        occurrence = _lock(occurrence)
        obligation = occurrence.obligation
        refuse(
            rules.occurrence_closed(
                done_on=occurrence.completed_on if occurrence.done_at else None,
                completed=occurrence.completed_at is not None,
            ),
            *rules.completion_problems(
                note=note,
                done_on=done_on,
                today=today,
                not_before=obligation.occurrences.filter(done_at__isnull=False)
                .order_by("-completed_on")
                .values_list("completed_on", flat=True)
                .first(),
            ),
            *(
                "The evidence must belong to the team."
                for item in evidence
                if item.team_id != obligation.team_id
            ),
        )
        occurrence.completed_by = by
        occurrence.completed_at = timezone.now()
        occurrence.completed_on = done_on
        occurrence.note = note
        occurrence.sequence += 1
        occurrence.save()
        occurrence.evidence.set(evidence)
        entries = [
            audit.Entry(
                "checklists.occurrence.completed",
                actor=by,
                obj=occurrence,
                team=obligation.team,
                changes={
                    "obligation": obligation.title,
                    "due_on": plain(occurrence.due_on),
                    "done_on": plain(done_on),
                    "evidence": [item.pk for item in evidence],
                    "needs_confirmation": rules.needs_confirmation(obligation.kind),
                },
            )
        ]
        if not rules.needs_confirmation(obligation.kind):
            entries.append(_finish(occurrence, by=by))
        audit.record_many(entries)
    return occurrence


def occurrence_confirm(*, occurrence: Occurrence, by) -> Occurrence:
    """The second person confirms a completed rotation; it is done from then on."""
    with transaction.atomic():
        occurrence = _lock(occurrence)
        refuse(
            rules.why_not_confirmable(
                completed_by_id=occurrence.completed_by_id,
                confirmer_id=by.pk,
                done=occurrence.done_at is not None,
            )
        )
        occurrence.confirmed_by = by
        occurrence.confirmed_at = timezone.now()
        occurrence.sequence += 1
        occurrence.save()
        audit.record_many(
            [
                audit.Entry(
                    "checklists.occurrence.confirmed",
                    actor=by,
                    obj=occurrence,
                    team=occurrence.obligation.team,
                    changes={"completed_by": occurrence.completed_by.get_username()},
                ),
                _finish(occurrence, by=by),
            ]
        )
    return occurrence


def occurrence_send_back(*, occurrence: Occurrence, by, comment: str) -> Occurrence:
    """The second person does not confirm: the completion is withdrawn, with the reason."""
    refuse(None if comment.strip() else "Say what is missing: a comment is required.")
    refuse_secrets(comment=comment)
    with transaction.atomic():
        occurrence = _lock(occurrence)
        refuse(
            rules.why_not_confirmable(
                completed_by_id=occurrence.completed_by_id,
                confirmer_id=by.pk,
                done=occurrence.done_at is not None,
            )
        )
        withdrawn = {
            "completed_by": occurrence.completed_by.get_username(),
            "done_on": plain(occurrence.completed_on),
            "note": occurrence.note,
            "evidence": list(occurrence.evidence.values_list("pk", flat=True)),
        }
        occurrence.completed_by = None
        occurrence.completed_at = None
        occurrence.completed_on = None
        occurrence.note = ""
        occurrence.sequence += 1
        occurrence.save()
        occurrence.evidence.clear()
        audit.record(
            "checklists.occurrence.sent_back",
            actor=by,
            obj=occurrence,
            team=occurrence.obligation.team,
            changes={"withdrawn": withdrawn},
            reason=comment,
        )
    return occurrence


def occurrence_move_due(*, occurrence: Occurrence, by, due_on: date | None, reason: str):
    refuse_secrets(reason=reason)
    with transaction.atomic():
        occurrence = _lock(occurrence)
        refuse(
            rules.occurrence_closed(
                done_on=occurrence.completed_on if occurrence.done_at else None,
                completed=occurrence.completed_at is not None,
            ),
            *rules.due_move_problems(
                due_on=due_on, reason=reason, current_due_on=occurrence.due_on
            ),
        )
        before = occurrence.due_on
        occurrence.due_on = due_on
        occurrence.due_change_reason = reason
        occurrence.sequence += 1
        occurrence.save()
        renewed = renew_answers(occurrence.obligation.team, occurrence.obligation.controls.all())
        audit.record(
            "checklists.occurrence.due_moved",
            actor=by,
            obj=occurrence,
            team=occurrence.obligation.team,
            changes={
                "due_on": audit.change(plain(before), plain(due_on)),
                "answers_renewed": renewed,
            },
            reason=reason,
        )
    return occurrence


def _finish(occurrence: Occurrence, *, by) -> audit.Entry:
    """The occurrence is done: schedule the next one from the day it was done, bring the
    answers behind it up to date, and note a credential's rotation."""
    obligation = occurrence.obligation
    occurrence.done_at = timezone.now()
    occurrence.save(update_fields=["done_at"])
    following = Rule.of(obligation).next_after(
        done_on=occurrence.completed_on, scheduled_on=occurrence.scheduled_on
    )
    Occurrence.objects.create(obligation=obligation, scheduled_on=following, due_on=following)
    if obligation.credential_id and obligation.kind == ObligationKind.KEY_ROTATION:
        credential = obligation.credential
        credential.last_rotated_on = occurrence.completed_on
        credential.save(update_fields=["last_rotated_on"])
    renewed = renew_answers(obligation.team, obligation.controls.all())
    return audit.Entry(
        "checklists.occurrence.done",
        actor=by,
        obj=occurrence,
        team=obligation.team,
        changes={"next_due_on": following.isoformat(), "answers_renewed": renewed},
    )


# --- Answers behind obligations ------------------------------------------------------------


def renew_answers(team: Team, controls) -> int:
    """Set the due date of the team's approved answers to these controls from their
    obligations' open occurrences (one UPDATE). Returns how many answers it touched."""
    return Attestation.objects.filter(
        checklist__team=team,
        review_state=ReviewState.APPROVED,
        control__in=controls,
        control__recurrence_days__isnull=False,
    ).update(
        next_review_due=Subquery(
            Occurrence.objects.filter(
                obligation__team=team,
                obligation__retired_at__isnull=True,
                obligation__controls=OuterRef("control"),
                done_at__isnull=True,
            )
            .order_by("due_on")
            .values("due_on")[:1]
        )
    )


def review_due_for(attestation: Attestation) -> date | None:
    """When the approval of this answer goes stale: the earliest open occurrence of the
    obligations behind the controls it stands for (None for controls that do not recur)."""
    controls = [attestation.control, *(a.control for a in attestation.covers.all())]
    if not any(control.recurrence_days for control in controls):
        return None
    checklist = attestation.checklist
    if not Obligation.objects.filter(team=checklist.team, controls__in=controls).exists():
        audit.record_many(ensure_for_checklist(checklist, by=attestation.attested_by))
    return (
        Occurrence.objects.filter(
            obligation__team=checklist.team,
            obligation__retired_at__isnull=True,
            obligation__controls__in=controls,
            done_at__isnull=True,
        )
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
