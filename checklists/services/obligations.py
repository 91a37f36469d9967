"""Obligations and their occurrences: create, complete, confirm, send back, move the due date.

One story for recurring controls: the obligation keeps the clock. An approved answer to a
recurring control stays current until the earliest open occurrence of the obligations behind
the control falls overdue (`Attestation.next_review_due` holds that due date). Doing the duty
(completing, and confirming where a second person must) schedules the next occurrence from
the day it was done and moves the due date of those answers with it; the answer is not
reviewed again, because the occurrence carries its own note, evidence and, for rotations, a
second person. Approving an answer reads its due date from the same occurrences.

"The obligations behind an answer" are the team's active obligations linked to the answer's
control or to a control it answers for (the covered members of its equivalence group), and an
answer counts as recurring when one of those controls recurs: `renew_answers`,
`review_due_for` and `keeper_of` all read them through `_open_behind`.

Refusals name the field they are about where there is one ({"note": [...]}), so a form shows
each next to what was typed; the others are the form's own errors.
"""

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from checklists import rules
from checklists.evidence.storage import StoredBlob, delete_blob
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
from checklists.periods import Quarter
from checklists.schedule import Rule, Status, status_of
from checklists.services.common import plain, refuse, refuse_secrets_by_field
from checklists.services.evidence import evidence_row, seal_upload
from portal.accounts.models import Team
from portal.accounts.permissions import decision_refusal, team_member_ids
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


def _controls_problem(team: Team, controls: Sequence[Control]) -> str | None:
    """Only controls the team has in a checklist can be linked to its obligations."""
    if not controls:
        return None
    known = set(
        Control.objects.filter(
            pk__in=[control.pk for control in controls], attestations__checklist__team=team
        ).values_list("pk", flat=True)
    )
    strangers = sorted(control.ref for control in controls if control.pk not in known)
    if strangers:
        return f"{', '.join(strangers)} is in none of the team's checklists."
    return None


def _rule_problems(rule: Rule) -> dict[str, str]:
    found = rule.check()
    return {found[0]: found[1]} if found else {}


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
    """An obligation and its first occurrence, on the rule's first date from `starts_on`.
    Approved answers to the controls it is linked to take their due date from it at once."""
    controls = list(controls)
    refuse_secrets_by_field(title=title, description=description)
    refuse(
        fields={
            **_rule_problems(rule),
            "kind": None if kind in ObligationKind.values else "Choose what kind of duty this is.",
            "title": None if title.strip() else "Give the obligation a title.",
            "owner": _owner_problem(team, owner),
            "controls": _controls_problem(team, controls),
        }
    )
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
            controls=controls,
            credential=credential,
            provider=provider,
            implied_by_control=implied_by_control,
            implied_by_group=implied_by_group,
        )
        renewed = renew_answers(team, controls) if controls else 0
        audit.record_many(
            [dataclasses.replace(entry, changes={**entry.changes, "answers_renewed": renewed})]
        )
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


def _implying(obligation: Obligation, controls: Iterable[Control]) -> list[Control]:
    """Those of `controls` whose checklists imply the obligation: they stay linked to it."""
    return [
        control
        for control in controls
        if control.pk == obligation.implied_by_control_id
        or (
            obligation.implied_by_group_id is not None
            and control.equivalence_group_id == obligation.implied_by_group_id
        )
    ]


def obligation_update(
    *,
    obligation: Obligation,
    by,
    title: str,
    description: str,
    owner,
    rule: Rule,
    controls: Iterable[Control] | None = None,
) -> Obligation:
    """Change what the obligation says. A new rule applies from the next occurrence; the open
    one keeps its dates (move its due date, with a reason, to change it). `controls`, when
    given, replaces the linked controls, except those that imply the obligation."""
    team = obligation.team
    new_controls = None if controls is None else list(controls)
    refuse_secrets_by_field(title=title, description=description)
    refuse(
        fields={
            **_rule_problems(rule),
            "title": None if title.strip() else "Give the obligation a title.",
            "owner": _owner_problem(team, owner),
        }
    )
    with transaction.atomic():
        obligation = (
            Obligation.objects.select_for_update(of=("self",), no_key=True)
            .select_related("owner", "team")
            .get(pk=obligation.pk)
        )
        old_controls = list(obligation.controls.all())
        if new_controls is not None:
            kept = set(new_controls)
            added = [control for control in new_controls if control not in old_controls]
            removed = [control for control in old_controls if control not in kept]
            refuse(
                obligation_retired_problem(obligation),
                fields={
                    "controls": _controls_problem(team, added)
                    or _implying_problem(_implying(obligation, removed))
                },
            )
        else:
            refuse(obligation_retired_problem(obligation))
        before = {
            "title": obligation.title,
            "description": obligation.description,
            "owner": obligation.owner.get_username() if obligation.owner else None,
            "rule": Rule.of(obligation).describe(),
            "controls": sorted(control.ref for control in old_controls),
        }
        obligation.title = title.strip()
        obligation.description = description
        obligation.owner = owner
        obligation.cadence = rule.cadence
        obligation.interval_days = rule.interval_days
        obligation.month = rule.month
        obligation.day = rule.day
        obligation.save()
        renewed = 0
        if new_controls is not None and set(new_controls) != set(old_controls):
            obligation.controls.set(new_controls)
            renewed = renew_answers(team, {*old_controls, *new_controls})
        after = {
            "title": obligation.title,
            "description": obligation.description,
            "owner": owner.get_username() if owner else None,
            "rule": rule.describe(),
            "controls": sorted(
                control.ref for control in (old_controls if new_controls is None else new_controls)
            ),
        }
        changes = audit.diff(before, after)
        if changes:
            if renewed:
                changes["answers_renewed"] = renewed
            audit.record(
                "checklists.obligation.updated",
                actor=by,
                obj=obligation,
                team=team,
                changes=changes,
            )
    return obligation


def _implying_problem(implying: list[Control]) -> str | None:
    if not implying:
        return None
    refs = ", ".join(sorted(control.ref for control in implying))
    return (
        f"{refs} recur in the team's checklists and imply this obligation, so they stay "
        "linked; retire the obligation if it no longer applies."
    )


def obligation_retired_problem(obligation: Obligation) -> str | None:
    return rules.obligation_retired(retired=obligation.retired_at is not None)


def obligation_retire(*, obligation: Obligation, by, reason: str) -> Obligation:
    """The duty no longer applies: its open occurrence stays as it is, and the answers it kept
    current take their due date from the team's other obligations (or none)."""
    refuse(fields={"reason": rules.retire_problems(reason=reason, retired=False).get("reason")})
    refuse_secrets_by_field(reason=reason)
    with transaction.atomic():
        obligation = (
            Obligation.objects.select_for_update(of=("self",), no_key=True)
            .select_related("team")
            .get(pk=obligation.pk)
        )
        refuse(
            fields=rules.retire_problems(reason=reason, retired=obligation.retired_at is not None)
        )
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


IMPLIED_BY = ("implied_by_group", "implied_by_control")


def ensure_for_checklist(checklist: Checklist, *, by) -> list[audit.Entry]:
    """Create the obligations the checklist implies and the team lacks, link new controls to
    those it has (tightening an interval a stricter control asks for). Returns the audit
    entries for the caller to record with its own."""
    team = checklist.team
    entries = []
    # The team's implied obligations and their controls, at once: no query per obligation.
    implied = {
        (obligation.implied_by_group_id, obligation.implied_by_control_id): obligation
        for obligation in Obligation.objects.filter(team=team)
        .filter(Q(implied_by_group__isnull=False) | Q(implied_by_control__isnull=False))
        .prefetch_related("controls")
    }
    for wanted in implied_by(checklist):
        origin = {key: wanted[key] for key in IMPLIED_BY if wanted[key] is not None}
        existing = implied.get(tuple(wanted[key].pk if wanted[key] else None for key in IMPLIED_BY))
        if existing is None:
            _, entry = _create(
                team=team,
                kind=wanted["kind"],
                title=wanted["title"],
                rule=Rule("days", wanted["interval_days"]),
                by=by,
                owner=None,
                # Due by the end of the checklist's quarter: the team shows it was done there.
                starts_on=max(timezone.localdate(), Quarter.parse(checklist.period).last_day),
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
        if added:
            changes["answers_renewed"] = renew_answers(team, added)
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


def _last_done_on(obligation: Obligation) -> date | None:
    return (
        obligation.occurrences.filter(done_at__isnull=False)
        .order_by("-completed_on")
        .values_list("completed_on", flat=True)
        .first()
    )


def _closed(occurrence: Occurrence) -> str | None:
    return rules.occurrence_closed(
        done_on=occurrence.completed_on if occurrence.done_at else None,
        completed=occurrence.completed_at is not None,
    )


def _completion_objections(
    occurrence: Occurrence,
    *,
    note: str,
    done_on: date,
    today: date,
    evidence: Sequence[Evidence],
    upload,
    evidence_description: str,
) -> tuple[list[str | None], dict[str, str]]:
    obligation = occurrence.obligation
    general = [
        obligation_retired_problem(obligation),
        _closed(occurrence),
        "The evidence must belong to the team."
        if any(item.team_id != obligation.team_id for item in evidence)
        else None,
    ]
    fields = rules.completion_problems(
        note=note,
        done_on=done_on,
        today=today,
        not_before=_last_done_on(obligation),
        has_file=upload is not None,
        file_description=evidence_description,
    )
    return general, fields


def _store_evidence(upload) -> StoredBlob:
    try:
        return seal_upload(upload)
    except ValidationError as error:
        raise ValidationError({"upload": error.messages}) from None


def occurrence_complete(
    *,
    occurrence: Occurrence,
    by,
    note: str,
    done_on: date | None = None,
    evidence: Sequence[Evidence] = (),
    upload=None,
    evidence_description: str = "",
    evidence_valid_from: date | None = None,
    evidence_valid_until: date | None = None,
) -> Occurrence:
    """Record that the duty was done: who, when, a note and evidence (the team's existing
    evidence, and/or a file uploaded with it, valid from and until the dates given). Done at
    once unless the kind asks a second person to confirm it.

    The rules are asked before the file is scanned and stored, so a refused completion stores
    nothing, and again under the row lock; a refusal or failure there removes the stored file.
    """
    today = timezone.localdate()
    done_on = done_on or today
    evidence = list(evidence)
    refuse_secrets_by_field(note=note, evidence_description=evidence_description)
    refuse(
        fields={
            "evidence_valid_until": rules.evidence_period_problem(
                evidence_valid_from, evidence_valid_until
            )
        }
    )
    asked = {
        "note": note,
        "done_on": done_on,
        "today": today,
        "evidence": evidence,
        "upload": upload,
        "evidence_description": evidence_description,
    }
    current = Occurrence.objects.select_related("obligation").get(pk=occurrence.pk)
    general, fields = _completion_objections(current, **asked)
    refuse(*general, fields=fields)
    blob = _store_evidence(upload) if upload is not None else None
    try:
        with transaction.atomic():
            occurrence = _lock(occurrence)
            obligation = occurrence.obligation
            general, fields = _completion_objections(occurrence, **asked)
            refuse(*general, fields=fields)
            entries = []
            if blob is not None:
                stored = evidence_row(
                    team=obligation.team,
                    blob=blob,
                    description=evidence_description,
                    valid_from=evidence_valid_from,
                    valid_until=evidence_valid_until,
                    by=by,
                )
                evidence.append(stored)
                entries.append(
                    audit.Entry(
                        "checklists.evidence.stored",
                        actor=by,
                        obj=stored,
                        team=obligation.team,
                        changes={
                            "name": stored.original_name,
                            "sha256": stored.sha256,
                            "size": stored.size,
                            "valid_from": plain(evidence_valid_from),
                            "valid_until": plain(evidence_valid_until),
                            "occurrence": occurrence.pk,
                        },
                    )
                )
            occurrence.completed_by = by
            occurrence.completed_at = timezone.now()
            occurrence.completed_on = done_on
            occurrence.note = note
            occurrence.sequence += 1
            occurrence.save()
            occurrence.evidence.set(evidence)
            entries.append(
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
            )
            if not rules.needs_confirmation(obligation.kind):
                entries.append(_finish(occurrence, by=by))
            audit.record_many(entries)
    except BaseException:
        if blob is not None:
            delete_blob(blob.name)
        raise
    return occurrence


def _confirmation_refusal(occurrence: Occurrence, by) -> None:
    refuse(
        decision_refusal(by),
        obligation_retired_problem(occurrence.obligation),
        rules.why_not_confirmable(
            completed_by_id=occurrence.completed_by_id,
            confirmer_id=by.pk,
            done=occurrence.done_at is not None,
        ),
    )


def occurrence_confirm(*, occurrence: Occurrence, by) -> Occurrence:
    """The second person confirms a completed rotation; it is done from then on."""
    with transaction.atomic():
        occurrence = _lock(occurrence)
        _confirmation_refusal(occurrence, by)
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
    refuse(fields=rules.send_back_problems(comment=comment))
    refuse_secrets_by_field(comment=comment)
    with transaction.atomic():
        occurrence = _lock(occurrence)
        _confirmation_refusal(occurrence, by)
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


def occurrence_move_due(
    *, occurrence: Occurrence, by, due_on: date | None, reason: str
) -> Occurrence:
    """Move an open occurrence's due date, with the reason; the answers it keeps current
    follow. The scheduled date stays what the rule said."""
    refuse_secrets_by_field(reason=reason)
    with transaction.atomic():
        occurrence = _lock(occurrence)
        refuse(
            obligation_retired_problem(occurrence.obligation),
            _closed(occurrence),
            fields=rules.due_move_problems(
                due_on=due_on,
                reason=reason,
                current_due_on=occurrence.due_on,
                today=timezone.localdate(),
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


def _open_behind(team: Team, *, control, answer) -> QuerySet[Occurrence]:
    """Open occurrences of the team's active obligations behind an answer: those linked to
    its control or to a control it answers for. `control` and `answer` are ids or OuterRefs."""
    return Occurrence.objects.filter(
        Q(obligation__controls=control)
        | Q(obligation__controls__attestations__satisfied_through=answer),
        obligation__team=team,
        obligation__retired_at__isnull=True,
        done_at__isnull=True,
    )


def _recurring_answers() -> Q:
    """Answers standing for at least one recurring control (as a filter on their pk)."""
    return Q(
        pk__in=Attestation.objects.filter(
            Q(control__recurrence_days__isnull=False)
            | Q(covers__control__recurrence_days__isnull=False)
        ).values("pk")
    )


def renew_answers(team: Team, controls) -> int:
    """Set the due date of the team's approved answers to these controls (carried or
    covered) from the obligations behind them (one UPDATE). Returns how many it touched."""
    controls = list(controls)
    touching = Attestation.objects.filter(
        Q(control__in=controls) | Q(covers__control__in=controls),
        checklist__team=team,
        review_state=ReviewState.APPROVED,
    )
    return (
        Attestation.objects.filter(pk__in=touching.values("pk"))
        .filter(_recurring_answers())
        .update(
            next_review_due=Subquery(
                _open_behind(team, control=OuterRef("control"), answer=OuterRef("pk"))
                .order_by("due_on")
                .values("due_on")[:1]
            )
        )
    )


def _recurs(attestation: Attestation) -> bool:
    return (
        bool(attestation.control.recurrence_days)
        or attestation.covers.filter(control__recurrence_days__isnull=False).exists()
    )


def review_due_for(attestation: Attestation) -> date | None:
    """When the approval of this answer goes stale: the earliest open occurrence of the
    obligations behind it (None for an answer to controls that do not recur)."""
    if not _recurs(attestation):
        return None
    checklist = attestation.checklist
    controls = [attestation.control, *(a.control for a in attestation.covers.all())]
    if not Obligation.objects.filter(team=checklist.team, controls__in=controls).exists():
        # A checklist from before obligations existed: create those it implies.
        audit.record_many(ensure_for_checklist(checklist, by=attestation.attested_by))
    return (
        _open_behind(checklist.team, control=attestation.control_id, answer=attestation.pk)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )


@dataclasses.dataclass(frozen=True)
class Keeper:
    """The obligation that keeps a recurring answer current, for the answer page."""

    occurrence: Occurrence
    status: Status

    @property
    def obligation(self) -> Obligation:
        return self.occurrence.obligation


def keeper_of(attestation: Attestation) -> Keeper | None:
    """The open occurrence (and its obligation) that the answer's due date follows: the
    earliest due of those behind it. None when the answer does not recur or nothing keeps it."""
    if not _recurs(attestation):
        return None
    team_id = attestation.checklist.team_id
    occurrence = (
        _open_behind(team_id, control=attestation.control_id, answer=attestation.pk)
        .select_related("obligation__team")
        .order_by("due_on", "pk")
        .first()
    )
    if occurrence is None:
        return None
    return Keeper(occurrence, status_of(occurrence, timezone.localdate()))
