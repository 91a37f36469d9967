"""Access-review campaigns: create one, import its roster, start the review.

A campaign reviews the accounts of one team's system for one quarter. While it is a draft its
roster can be imported again (each import replaces the last); starting the review freezes it.
Each import compares the roster with the last completed campaign of the same system (its
`previous`, looked up again at every import) and flags the accounts that need a closer look.

Refusals name the field they are about where there is one ({"system": [...]}); a roster's
problems are the form's own errors, one per bad line.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from checklists import access_rosters as rosters
from checklists.models import Obligation, ObligationKind
from checklists.models.access_reviews import (
    AccessEntry,
    AccessReview,
    CampaignState,
    EntryChange,
)
from checklists.periods import Quarter
from checklists.schedule import Rule
from checklists.services import obligations
from checklists.services.common import refuse, refuse_secrets
from portal.accounts.models import Team
from portal.audit import services as audit

SYSTEM_MAX_LENGTH = 120
ROSTER_NAME_MAX_LENGTH = 200


def max_bytes() -> int:
    return getattr(settings, "ACCESS_REVIEW_MAX_BYTES", 1_048_576)


def max_rows() -> int:
    return getattr(settings, "ACCESS_REVIEW_MAX_ROWS", 5_000)


def _system_problem(system: str) -> str | None:
    if not system:
        return "Name the system whose accounts are reviewed, e.g. “CodePay merchant platform”."
    if len(system) > SYSTEM_MAX_LENGTH:
        return f"At most {SYSTEM_MAX_LENGTH} characters (this has {len(system)})."
    return None


def _period_problem(period: str) -> str | None:
    try:
        Quarter.parse(period)
    except ValidationError as error:
        return error.messages[0]
    return None


def _duplicate_problem(team: Team, system: str, period: str) -> str:
    return f"{team.name} has a campaign for {system} in {period} already."


def _previous(team: Team, system: str, period: str) -> AccessReview | None:
    """The last completed campaign of the team's system before `period`."""
    return (
        AccessReview.objects.filter(
            team=team, system__iexact=system, state=CampaignState.COMPLETED, period__lt=period
        )
        .select_related("obligation")
        .order_by("-period")
        .first()
    )


def _obligation_for(*, team: Team, system: str, period: str, previous, by) -> Obligation:
    """The previous campaign's duty if it still applies, else the team's duty to review access
    to this system, else a new one (every 90 days, first due at the end of the quarter)."""
    if previous is not None and previous.obligation.retired_at is None:
        return previous.obligation
    title = f"Review access to {system}"
    existing = (
        Obligation.objects.filter(
            team=team, kind=ObligationKind.ACCESS_REVIEW, title=title, retired_at__isnull=True
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    return obligations.obligation_create(
        team=team,
        kind=ObligationKind.ACCESS_REVIEW,
        title=title,
        rule=Rule("days", 90),
        by=by,
        starts_on=max(timezone.localdate(), Quarter.parse(period).last_day),
    )


def access_review_create(*, team: Team, system: str, period: str, by) -> AccessReview:
    """A draft campaign for the team's system and quarter, kept by the team's access-review
    duty for that system (created if the team has none)."""
    system = " ".join((system or "").split())
    period = (period or "").strip()
    refuse(fields={"system": _system_problem(system), "period": _period_problem(period)})
    try:
        refuse_secrets(system=system)
    except ValidationError as error:
        raise ValidationError({"system": error.messages}) from None
    with transaction.atomic():
        # The spelling of earlier campaigns of the same system wins over a change of case.
        known = (
            AccessReview.objects.filter(team=team, system__iexact=system)
            .order_by("-period")
            .values_list("system", flat=True)
            .first()
        )
        system = known or system
        if AccessReview.objects.filter(team=team, system=system, period=period).exists():
            refuse(fields={"period": _duplicate_problem(team, system, period)})
        previous = _previous(team, system, period)
        obligation = _obligation_for(
            team=team, system=system, period=period, previous=previous, by=by
        )
        try:
            with transaction.atomic():
                review = AccessReview.objects.create(
                    team=team,
                    system=system,
                    period=period,
                    previous=previous,
                    obligation=obligation,
                    created_by=by,
                )
        except IntegrityError:
            # Someone created the same campaign a moment ago.
            refuse(fields={"period": _duplicate_problem(team, system, period)})
        audit.record(
            "checklists.access_review.created",
            actor=by,
            actor_label="" if by else "manage.py access_review_import",
            obj=review,
            team=team,
            changes={
                "system": system,
                "period": period,
                "previous": str(previous) if previous else None,
                "obligation": obligation.title,
            },
        )
    return review


# --- Roster ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    review: AccessReview
    accounts: int
    new: int
    unchanged: int
    role_changed: int
    removed: int
    shared: int
    dormant: int
    privileged_without_mfa: int
    not_a_member: int

    def counts(self) -> dict[str, int]:
        return {
            "accounts": self.accounts,
            "new": self.new,
            "unchanged": self.unchanged,
            "role_changed": self.role_changed,
            "removed": self.removed,
            "shared": self.shared,
            "dormant": self.dormant,
            "privileged_without_mfa": self.privileged_without_mfa,
            "not_a_member": self.not_a_member,
        }

    @property
    def summary(self) -> str:
        review = self.review
        return rosters.import_summary(
            system=review.system, period=review.period, team=review.team.name, **self.counts()
        )


def frozen_problem(review: AccessReview) -> str | None:
    """Why the roster can no longer be imported, or None while the campaign is a draft."""
    if review.state == CampaignState.DRAFT:
        return None
    started = timezone.localtime(review.started_at).date() if review.started_at else None
    since = f" on {started:%-d %B %Y}" if started else ""
    return (
        f"The roster is frozen since the review started{since}; it can no longer be imported again."
    )


def _lock(review: AccessReview) -> AccessReview:
    return (
        AccessReview.objects.select_for_update(of=("self",), no_key=True)
        .select_related("team")
        .get(pk=review.pk)
    )


def _member_emails(team: Team) -> set[str]:
    return {
        email.strip().lower()
        for email in get_user_model()
        .objects.filter(memberships__team=team, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    }


def roster_import(*, review: AccessReview, data: bytes, name: str, by) -> ImportResult:
    """Replace the draft's accounts with the roster's, flagged and compared with the last
    completed campaign. Nothing is imported when any line is bad."""
    name = (name or "").strip()[-ROSTER_NAME_MAX_LENGTH:]
    refuse_secrets(file_name=name)
    try:
        rows = rosters.read_roster(data, max_bytes=max_bytes(), max_rows=max_rows())
    except rosters.RosterRefused as refused:
        raise ValidationError(refused.problems) from None
    today = timezone.localdate()
    with transaction.atomic():
        review = _lock(review)
        refuse(frozen_problem(review))
        team = review.team
        previous = _previous(team, review.system, review.period)
        previous_entries = (
            list(previous.entries.exclude(change=EntryChange.REMOVED).order_by("account"))
            if previous
            else []
        )
        previous_roles = (
            {entry.account: entry.role for entry in previous_entries} if previous else None
        )
        members = _member_emails(team)
        replaced = review.entries.count()
        review.entries.all().delete()
        entries = []
        for row in rows:
            flags = rosters.flags_of(row, member_emails=members, today=today)
            change = rosters.change_of(row, previous_roles)
            entries.append(
                AccessEntry(
                    review=review,
                    account=row.account,
                    person=row.person,
                    email=row.email,
                    role=row.role,
                    privileged=row.privileged,
                    mfa=row.mfa,
                    last_login=row.last_login,
                    created=row.created,
                    line=row.line,
                    change=change.change,
                    previous_role=change.previous_role,
                    shared=flags.shared,
                    dormant=flags.dormant,
                    privileged_without_mfa=flags.privileged_without_mfa,
                    not_a_member=flags.not_a_member,
                )
            )
        gone = set(rosters.removed_accounts(rows, (e.account for e in previous_entries)))
        removed = [
            AccessEntry(
                review=review,
                account=old.account,
                person=old.person,
                email=old.email,
                role=old.role,
                privileged=old.privileged,
                mfa=old.mfa,
                last_login=old.last_login,
                created=old.created,
                line=None,
                change=EntryChange.REMOVED,
                previous_role=old.role,
            )
            for old in previous_entries
            if old.account in gone
        ]
        AccessEntry.objects.bulk_create(entries + removed)
        digest = hashlib.sha256(data).hexdigest()
        review.previous = previous
        review.roster_name = name
        review.roster_sha256 = digest
        review.imported_by = by
        review.imported_at = timezone.now()
        review.save(
            update_fields=["previous", "roster_name", "roster_sha256", "imported_by", "imported_at"]
        )
        result = ImportResult(
            review=review,
            accounts=len(entries),
            new=sum(e.change == EntryChange.NEW for e in entries),
            unchanged=sum(e.change == EntryChange.UNCHANGED for e in entries),
            role_changed=sum(e.change == EntryChange.ROLE_CHANGED for e in entries),
            removed=len(removed),
            shared=sum(e.shared for e in entries),
            dormant=sum(e.dormant for e in entries),
            privileged_without_mfa=sum(e.privileged_without_mfa for e in entries),
            not_a_member=sum(e.not_a_member for e in entries),
        )
        audit.record(
            "checklists.access_review.roster_imported",
            actor=by,
            actor_label="" if by else "manage.py access_review_import",
            obj=review,
            team=team,
            changes={
                "roster_name": name,
                "roster_sha256": digest,
                "bytes": len(data),
                "replaced": replaced,
                "previous": str(previous) if previous else None,
                **result.counts(),
            },
        )
    return result


def access_review_start(*, review: AccessReview, by) -> AccessReview:
    """Draft → in review: the roster is frozen from now on."""
    with transaction.atomic():
        review = _lock(review)
        refuse(frozen_problem(review) and "The review has started already.")
        count = review.entries.count()
        refuse(
            None
            if count
            else "Import the roster before starting the review: there is no account to review."
        )
        review.state = CampaignState.IN_REVIEW
        review.started_by = by
        review.started_at = timezone.now()
        review.save(update_fields=["state", "started_by", "started_at"])
        audit.record(
            "checklists.access_review.started",
            actor=by,
            obj=review,
            team=review.team,
            changes={
                "state": audit.change(CampaignState.DRAFT.value, CampaignState.IN_REVIEW.value),
                "entries": count,
                "roster_sha256": review.roster_sha256,
            },
        )
    return review
