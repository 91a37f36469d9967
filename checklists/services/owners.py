"""Assigning the owner of several answers of a checklist at once."""

from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import transaction

from checklists import rules
from checklists.models import Attestation, Checklist
from checklists.services.common import plain, refuse
from portal.accounts.permissions import has_team_perm, team_member_ids
from portal.audit import services as audit


@dataclass
class OwnerAssignment:
    changed: list[Attestation] = field(default_factory=list)
    unchanged: int = 0
    # Chosen controls answered through another member of their group: that answer's owner
    # changed, as on each control's own page, where the owner is set on the group's answer.
    through_group: list[str] = field(default_factory=list)


def attestations_assign_owner(
    *, checklist: Checklist, ids: Collection[int], owner, by
) -> OwnerAssignment:
    """Give the chosen answers of the checklist `owner` (None clears it), all or none.

    The same rule as for one answer: leads assign, and only people of the team. An owner
    organises the work; it is not part of what a reviewer approved, so approvals stay.
    Queries do not grow with the number of answers.
    """
    team = checklist.team
    wanted = set(ids)
    with transaction.atomic():
        chosen = list(
            checklist.attestations.filter(pk__in=wanted).values_list(
                "pk", "satisfied_through_id", "control__ref"
            )
        )
        refuse(
            None
            if len(chosen) == len(wanted)
            else "Some of the chosen controls are not in this checklist; reload the page."
        )
        refuse(None if chosen else "Choose at least one control.")
        carriers = {through or pk for pk, through, _ in chosen}
        rows = list(
            Attestation.objects.select_for_update(of=("self",), no_key=True)
            .select_related("control", "owner")
            .filter(pk__in=carriers)
            .order_by("pk")
        )
        may_assign = has_team_perm(by, "manage_team", team)
        members = team_member_ids(team)
        new_owner_id = owner.pk if owner else None
        refuse(
            *dict.fromkeys(
                rules.owner_problem(
                    current_owner_id=row.owner_id,
                    new_owner_id=new_owner_id,
                    may_assign=may_assign,
                    team_member_ids=members,
                )
                for row in rows
            )
        )
        result = OwnerAssignment(
            through_group=sorted(ref for _, through, ref in chosen if through is not None)
        )
        entries = []
        for row in rows:
            if row.owner_id == new_owner_id:
                result.unchanged += 1
                continue
            entries.append(
                audit.Entry(
                    "checklists.attestation.assigned",
                    actor=by,
                    obj=row,
                    team=team,
                    changes={"owner": audit.change(plain(row.owner), plain(owner))},
                )
            )
            row.checklist, row.owner = checklist, owner
            result.changed.append(row)
        Attestation.objects.filter(pk__in=[row.pk for row in result.changed]).update(owner=owner)
        audit.record_many(entries)
    return result
