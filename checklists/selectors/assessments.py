"""Read queries for checklists, attestations, the to-do page and the reviewers' queue."""

from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from checklists import access_rules, rules
from checklists.models import (
    AnswerStatus,
    Attestation,
    AttestationVersion,
    Checklist,
    EvidenceLink,
    OwaspReference,
    OwaspStandard,
    ReviewDecision,
    ReviewState,
)
from checklists.models.access_reviews import AccessEntry, AccessReview, CampaignState
from checklists.services.catalog import ASVS_SOURCE_SLUG
from portal.accounts.models import Team
from portal.accounts.permissions import teams_for
from portal.audit.models import AuditEvent

DUE_SOON_DAYS = 14


def with_effective_state(attestations: QuerySet[Attestation]) -> QuerySet[Attestation]:
    """An attestation answered through an equivalent shows that one's answer and review;
    "not applicable" never passes through a group (the rules refuse it; this makes sure)."""
    through = Q(satisfied_through__isnull=False) & ~Q(
        satisfied_through__status=AnswerStatus.NOT_APPLICABLE
    )
    return attestations.annotate(
        effective_status=Case(When(through, then="satisfied_through__status"), default="status"),
        effective_review_state=Case(
            When(through, then="satisfied_through__review_state"), default="review_state"
        ),
        effective_next_review_due=Case(
            When(through, then="satisfied_through__next_review_due"), default="next_review_due"
        ),
    ).annotate(
        effective_stale=Case(
            When(_stale(), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def _stale(prefix: str = "effective_") -> Q:
    return rules.stale_q(timezone.localdate(), prefix)


def with_progress_state(attestations: QuerySet[Attestation]) -> QuerySet[Attestation]:
    """`with_effective_state`, plus `progress_state`: one of `rules.ProgressState`."""
    conditions = rules.progress_state_conditions(timezone.localdate(), prefix="effective_")
    return with_effective_state(attestations).annotate(
        progress_state=Case(
            *(When(condition, then=Value(state)) for state, condition in conditions),
            default=Value(rules.ProgressState.DRAFT),
        )
    )


# An answer given through an equivalent has that answer's owner: who owns the work.
def no_owner_q() -> Q:
    return Q(satisfied_through__isnull=True, owner__isnull=True) | Q(
        satisfied_through__isnull=False, satisfied_through__owner__isnull=True
    )


def owned_by_q(user) -> Q:
    return Q(satisfied_through__isnull=True, owner=user) | Q(satisfied_through__owner=user)


NO_OWNER = "none"  # the `owner` filter's value for "nobody"


def checklist_attestations(
    checklist: Checklist,
    *,
    search: str = "",
    provider: str = "",
    category: str = "",
    state: str = "",
    owner=None,
) -> QuerySet[Attestation]:
    """The checklist's answers in catalog order, narrowed by the filters given: `provider` a
    provider's slug or `ASVS`, `owner` a user or `NO_OWNER`."""
    rows = with_progress_state(
        checklist.attestations.select_related(
            "control__source__provider",
            "satisfied_through__control",
            "satisfied_through__owner",
            "owner",
        )
    )
    if search:
        rows = rows.filter(
            Q(control__ref__icontains=search)
            | Q(control__title__icontains=search)
            | Q(control__requirement__icontains=search)
        )
    if provider == ASVS:
        rows = rows.filter(control__source__slug=ASVS_SOURCE_SLUG)
    elif provider:
        rows = rows.filter(control__source__provider__slug=provider)
    if category:
        rows = rows.filter(control__category=category)
    if state:
        rows = rows.filter(progress_state=state)
    if owner == NO_OWNER:
        rows = rows.filter(no_owner_q())
    elif owner is not None:
        rows = rows.filter(owned_by_q(owner))
    return rows.order_by(
        F("control__source__provider__name").asc(nulls_last=True),
        "control__source__slug",
        "control__position",
    )


ASVS = "asvs"  # the `provider` filter's value for the checklist's ASVS baseline


def asvs_chapters() -> dict[str, str]:
    """ASVS chapter names by number ("V2": "Authentication"), from the stored references."""
    chapters = {}
    for section in OwaspReference.objects.filter(standard=OwaspStandard.ASVS).values_list(
        "section", flat=True
    ):
        number, _, name = section.split(" › ")[0].partition(" ")
        chapters.setdefault(number, name)
    return chapters


def asvs_chapter(control) -> str:
    """The ASVS chapter of an ASVS baseline control ("V2"), or "" for any other control."""
    if control.source.slug != ASVS_SOURCE_SLUG:
        return ""
    return control.section.split(".")[0]


def grouped(attestations, chapters: dict[str, str]) -> list[dict]:
    """Consecutive rows under one heading each: the provider, or the ASVS chapter. Each row
    also gets its state's label and its owner (an equivalent's, when answered through it)."""
    groups: list[dict] = []
    for attestation in attestations:
        attestation.state_label = rules.ProgressState(attestation.progress_state).label
        carrier = attestation.satisfied_through
        attestation.effective_owner = carrier.owner if carrier else attestation.owner
        control = attestation.control
        chapter = asvs_chapter(control)
        if chapter:
            key = f"asvs-{chapter.lower()}"
            title = f"OWASP ASVS {chapter}: {chapters.get(chapter, '')}".rstrip(": ")
        else:
            provider = control.source.provider
            key = f"provider-{provider.slug}" if provider else f"source-{control.source.slug}"
            title = provider.name if provider else control.source.title
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "title": title, "rows": []})
        groups[-1]["rows"].append(attestation)
    return groups


def latest_checklists(teams: QuerySet[Team]) -> QuerySet[Checklist]:
    """Each of the teams' latest checklist: the ones the to-do pages work from."""
    later = Checklist.objects.filter(team=OuterRef("team"), period__gt=OuterRef("period"))
    return Checklist.objects.filter(team__in=teams).exclude(Exists(later))


def unowned_in_led_teams(user) -> list[dict]:
    """For each team the person leads, how many controls of its latest checklist nobody owns."""
    # The few checklists first (none for most people: no second query), then their rows.
    checklist_ids = list(
        latest_checklists(teams_for(user, "manage_team")).values_list("pk", flat=True)
    )
    if not checklist_ids:
        return []
    return list(
        Attestation.objects.filter(no_owner_q(), checklist_id__in=checklist_ids)
        .values(
            team_name=F("checklist__team__name"),
            team_slug=F("checklist__team__slug"),
            period=F("checklist__period"),
        )
        .annotate(count=Count("pk"))
        .order_by("team_name")
    )


def checklist_progress(checklist: Checklist) -> dict[str, list[dict]]:
    """Answered, approved and stale counts per provider and per category: two queries."""
    rows = with_effective_state(checklist.attestations.all())
    counts = {
        "total": Count("pk"),
        "answered": Count("pk", filter=~Q(effective_status=AnswerStatus.UNANSWERED)),
        "approved": Count(
            "pk", filter=Q(effective_review_state=ReviewState.APPROVED, effective_stale=False)
        ),
        "stale": Count("pk", filter=Q(effective_stale=True)),
    }
    by_provider = (
        rows.annotate(name=Coalesce("control__source__provider__name", "control__source__title"))
        .values("name")
        .annotate(**counts)
        .order_by("name")
    )
    by_category = rows.values(name=F("control__category")).annotate(**counts).order_by("name")
    return {"provider": list(by_provider), "category": list(by_category)}


def checklist_totals(progress: dict[str, list[dict]]) -> dict[str, int]:
    keys = ("total", "answered", "approved", "stale")
    return {key: sum(row[key] for row in progress["provider"]) for key in keys}


def attestation_for_page(*, team: Team, period: str, ref: str) -> QuerySet[Attestation]:
    return (
        Attestation.objects.filter(checklist__team=team, checklist__period=period, control__ref=ref)
        .select_related(
            "checklist__team",
            "control__source__provider",
            "control__equivalence_group",
            "satisfied_through__control__source__provider",
            "satisfied_through__attested_by",
            "owner",
            "attested_by",
        )
        .prefetch_related(
            "control__owasp",
            Prefetch(
                "evidence_links",
                queryset=EvidenceLink.objects.select_related(
                    "evidence__uploaded_by", "added_by", "withdrawn_by"
                ),
            ),
            Prefetch(
                "versions", queryset=AttestationVersion.objects.select_related("saved_by", "owner")
            ),
            Prefetch("decisions", queryset=ReviewDecision.objects.select_related("reviewer")),
            Prefetch(
                "covers",
                queryset=Attestation.objects.select_related("control__source__provider").order_by(
                    "control__source__slug", "control__position"
                ),
            ),
        )
    )


def todo_for(user) -> dict[str, QuerySet[Attestation]]:
    """The person's work in each team's latest checklist: unanswered items they own, answers of
    theirs sent back, items due soon, and recurring approvals gone stale.

    The person's teams and their latest checklists are read first (one query), so every list
    below starts from a handful of checklists, never from all answers; someone without a
    checklist costs no further query."""
    latest = list(latest_checklists(teams_for(user, "attest_team")).values_list("pk", "team_id"))
    checklist_ids = [pk for pk, _ in latest]
    team_ids = sorted({team_id for _, team_id in latest})
    items = with_effective_state(
        Attestation.objects.filter(checklist_id__in=checklist_ids, satisfied_through__isnull=True)
    ).select_related("checklist__team", "control__source__provider", "owner")
    today = timezone.localdate()
    return {
        "unanswered": items.filter(owner=user, status=AnswerStatus.UNANSWERED).order_by(
            "due_date", "pk"
        ),
        "changes_requested": items.filter(
            Q(owner=user) | Q(attested_by=user), review_state=ReviewState.CHANGES_REQUESTED
        ).order_by("pk"),
        "due_soon": items.filter(
            owner=user, due_date__lte=today + timedelta(days=DUE_SOON_DAYS), due_date__isnull=False
        )
        .exclude(review_state__in=(ReviewState.APPROVED, ReviewState.SUBMITTED))
        .order_by("due_date"),
        "stale": _stale_approvals(team_ids),
        "access_review_actions": _access_review_actions(user),
    }


def _stale_approvals(team_ids: list[int]) -> QuerySet[Attestation]:
    """Approvals whose recurrence has passed, in any period of the teams, unless the team has
    approved the same control again since."""
    approved_again = Attestation.objects.filter(
        checklist__team_id=OuterRef("checklist__team_id"),
        control=OuterRef("control"),
        review_state=ReviewState.APPROVED,
        approved_at__gt=OuterRef("approved_at"),
    )
    return (
        Attestation.objects.filter(
            _stale(prefix=""),
            checklist__team_id__in=team_ids,
            satisfied_through__isnull=True,
        )
        .exclude(Exists(approved_again))
        .select_related("checklist__team", "control__source__provider", "owner")
        .order_by("next_review_due", "pk")
    )


def _access_review_actions(user) -> QuerySet[AccessReview]:
    """Open access-review campaigns with work for the person: entries to decide (`undecided`)
    where they may decide, and, in the teams they lead, revocations and role changes decided
    but not confirmed done (`open_actions`, a list)."""
    reviewing = Q(team__in=teams_for(user, "review_team").values("pk"))
    leading = teams_for(user, "manage_team").values("pk")
    return (
        AccessReview.objects.filter(
            state__in=(CampaignState.IN_REVIEW, CampaignState.PENDING_ACTIONS)
        )
        .annotate(
            undecided=Count("entries", filter=Q(entries__decision=""), distinct=True),
            actions_open=Count(
                "entries", filter=access_rules.action_open_q("entries__"), distinct=True
            ),
        )
        .filter(
            ((reviewing | Q(team__in=leading)) & Q(undecided__gt=0))
            | Q(team__in=leading, actions_open__gt=0)
        )
        .select_related("team")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=AccessEntry.objects.filter(
                    access_rules.action_open_q(), review__team__in=leading
                )
                .select_related("decided_by")
                .order_by("account"),
                to_attr="open_actions",
            )
        )
        .order_by("team__name", "system", "period")
    )


# The audit actions that can send an answer to the reviewers (see services.answers and
# services.common.new_version).
QUEUEING_ACTIONS = (
    "checklists.attestation.submitted",
    "checklists.attestation.changed",
    "checklists.evidence.added",
    "checklists.evidence.withdrawn",
)


def review_queue(
    user,
    *,
    team: Team | None = None,
    provider=None,
    severity: str = "",
    older_than_days: int | None = None,
) -> QuerySet[Attestation]:
    """Submitted answers on teams the user reviews, oldest first: the bare rows, cheap to count
    and to page. `with_queue_details` adds what the queue shows; give it one page's rows."""
    queue = Attestation.objects.filter(
        review_state=ReviewState.SUBMITTED, checklist__team__in=teams_for(user, "review_team")
    )
    if team:
        queue = queue.filter(checklist__team=team)
    if provider:
        queue = queue.filter(control__source__provider=provider)
    if severity:
        queue = queue.filter(control__severity=severity)
    if older_than_days:
        queue = queue.filter(submitted_at__lte=timezone.now() - timedelta(days=older_than_days))
    return queue.order_by("submitted_at", "pk")


def with_queue_details(attestations: QuerySet[Attestation]) -> QuerySet[Attestation]:
    """The queue's rows with their team, control, `evidence_count` (links not withdrawn) and
    `submitted_by`: the person whose action put the answer in the queue (a submission, or a
    change to an approved answer), read from the first audit event since it was submitted.
    Both are subqueries per row: cheap for a page, so narrow the rows first."""
    put_in_queue = AuditEvent.objects.filter(
        object_type=Attestation._meta.label_lower,
        object_id=Cast(OuterRef("pk"), CharField()),
        action__in=QUEUEING_ACTIONS,
        created_at__gte=OuterRef("submitted_at"),
    ).order_by("sequence")
    evidence = (
        EvidenceLink.objects.filter(attestation=OuterRef("pk"), withdrawn_at__isnull=True)
        .order_by()
        .values("attestation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return attestations.select_related("checklist__team", "control__source__provider").annotate(
        evidence_count=Coalesce(Subquery(evidence), 0),
        submitted_by=Subquery(put_in_queue.values("actor_label")[:1]),
    )


def editors_of(attestation: Attestation) -> set[int]:
    """Everyone who wrote the answer or attached or removed its evidence, including in the
    earlier periods the answer was copied from: none of them may approve it."""
    editors: set[int] = set()
    seen: set[int] = set()
    current: int | None = attestation.pk
    while current is not None and current not in seen:
        seen.add(current)
        editors |= set(
            AttestationVersion.objects.filter(attestation_id=current).values_list(
                "saved_by_id", flat=True
            )
        )
        for added, withdrawn, uploaded in EvidenceLink.objects.filter(
            attestation_id=current
        ).values_list("added_by_id", "withdrawn_by_id", "evidence__uploaded_by_id"):
            editors |= {added, uploaded} | ({withdrawn} if withdrawn else set())
        current = (
            Attestation.objects.filter(pk=current).values_list("copied_from_id", flat=True).first()
        )
    return editors
