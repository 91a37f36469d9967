"""Answering an equivalence group once must never claim more than was answered.

The property tests build a checklist for every combination of providers and check who
carries each group's answer."""

from datetime import timedelta
from itertools import combinations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from checklists import rules
from checklists.models import (
    AnswerStatus,
    Attestation,
    Category,
    EquivalenceGroup,
    Obligation,
)
from checklists.models.catalog import SEVERITY_RANK
from checklists.selectors.assessments import checklist_attestations
from checklists.services import answers
from checklists.services.obligations import occurrence_complete, occurrence_confirm
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import answer, approve, make_checklist, submit

PROVIDERS = ("codepay", "gopay", "mixpay", "ucanpay", "wechat")
COMBINATIONS = [c for n in range(1, len(PROVIDERS) + 1) for c in combinations(PROVIDERS, n)]


@pytest.fixture
def every_combination(catalog, team, lead):
    """One checklist per combination of providers (31), each in its own quarter."""
    checklists = []
    for number, providers in enumerate(COMBINATIONS):
        period = f"{2040 + number // 4}-Q{number % 4 + 1}"
        checklists.append(
            (providers, make_checklist(team, lead, period=period, providers=providers))
        )
    return checklists


def _covered(checklist):
    return checklist.attestations.filter(satisfied_through__isnull=False).select_related(
        "control", "satisfied_through__control"
    )


def test_no_covered_control_is_stricter_than_its_carrier(every_combination):
    checked = 0
    for providers, checklist in every_combination:
        for covered in _covered(checklist):
            carrier = covered.satisfied_through.control
            assert covered.control.equivalence_group_id == carrier.equivalence_group_id
            assert SEVERITY_RANK[covered.control.severity] >= SEVERITY_RANK[carrier.severity], (
                providers,
                covered.control.ref,
                carrier.ref,
            )
            if SEVERITY_RANK[covered.control.severity] == SEVERITY_RANK[carrier.severity]:
                assert rules.strictness(carrier)[:3] <= rules.strictness(covered.control)[:3]
            checked += 1
    assert checked > 0  # the catalog has groups that span providers


def test_no_mixpay_payment_result_check_is_answered_through_another_provider(every_combination):
    mixpay_checks = 0
    for providers, checklist in every_combination:
        for item in checklist.attestations.filter(
            control__source__provider__slug="mixpay",
            control__category=Category.PAYMENT_VERIFICATION,
        ).select_related("satisfied_through__control__source__provider"):
            mixpay_checks += 1
            carrier = item.satisfied_through
            assert carrier is None or carrier.control.source.provider.slug == "mixpay", (
                providers,
                item.control.ref,
                carrier.control.ref,
            )
    assert mixpay_checks >= 3 * sum("mixpay" in providers for providers, _ in every_combination)


def test_every_group_in_a_checklist_has_exactly_one_carrier(every_combination):
    for providers, checklist in every_combination:
        members = (
            checklist.attestations.filter(control__equivalence_group__isnull=False)
            .values("control__equivalence_group")
            .annotate(carriers=Count("pk", filter=Q(satisfied_through__isnull=True)))
        )
        for group in members:
            assert group["carriers"] == 1, (providers, group)


def test_group_members_share_one_severity_in_the_catalog(catalog):
    for group in EquivalenceGroup.objects.prefetch_related("controls"):
        severities = {control.severity for control in group.controls.all() if not control.retired}
        assert len(severities) <= 1, (group.slug, severities)


def _carrier_with_covers(team, lead, providers=PROVIDERS, period="2026-Q4"):
    checklist = make_checklist(team, lead, period=period, providers=providers)
    carrier = (
        checklist.attestations.filter(covers__isnull=False)
        .select_related("control")
        .order_by("control__position")
        .first()
    )
    assert carrier is not None
    return checklist, carrier


def test_not_applicable_never_stands_for_a_group(catalog, team, lead, member):
    checklist, carrier = _carrier_with_covers(team, lead)
    with pytest.raises(ValidationError, match="Not applicable is decided control by control"):
        answer(carrier, member, status=AnswerStatus.NOT_APPLICABLE, justification="Not used.")
    carrier.refresh_from_db()
    assert carrier.status == AnswerStatus.UNANSWERED and carrier.version == 0


def test_a_not_applicable_carrier_does_not_pass_to_its_members(catalog, team, lead):
    """Even a carrier written before the rule existed: the members read as unanswered."""
    checklist, carrier = _carrier_with_covers(team, lead)
    Attestation.objects.filter(pk=carrier.pk).update(
        status=AnswerStatus.NOT_APPLICABLE, justification="Legacy."
    )
    shown = {a.pk: a for a in checklist_attestations(checklist)}
    for covered in carrier.covers.all():
        assert shown[covered.pk].effective_status == AnswerStatus.UNANSWERED


def test_a_group_answer_must_be_confirmed_to_meet_every_requirement(catalog, team, lead, member):
    checklist, carrier = _carrier_with_covers(team, lead)
    covered = [a.control.ref for a in carrier.covers.select_related("control")]
    with pytest.raises(ValidationError, match="also stands for " + covered[0]):
        answer(carrier, member, addresses_all=False)
    saved = answer(carrier, member, addresses_all=True)
    assert saved.status == AnswerStatus.IMPLEMENTED
    event = AuditEvent.objects.filter(action="checklists.attestation.changed").latest("sequence")
    assert event.changes["stands_for"] == covered


def test_answering_separately_releases_the_members(catalog, team, lead, member):
    checklist, carrier = _carrier_with_covers(team, lead)
    released = [a.pk for a in carrier.covers.all()]
    refs = answers.group_answer_separately(
        attestation=carrier, by=member, expected_version=carrier.version
    )
    assert refs and not Attestation.objects.filter(pk__in=released, satisfied_through__isnull=False)
    one = Attestation.objects.get(pk=released[0])
    answer(one, member, status=AnswerStatus.NOT_APPLICABLE, justification="No such feature.")
    # The next quarter, started from this one, keeps the group answered separately.
    following = make_checklist(
        team, lead, period="2027-Q1", providers=PROVIDERS, copy_previous=True
    )
    copied = following.attestations.get(control=one.control)
    assert copied.satisfied_through is None
    assert copied.status == AnswerStatus.NOT_APPLICABLE


def test_a_group_approval_goes_stale_at_its_most_frequent_member(
    catalog, team, lead, member, reviewer
):
    checklist = make_checklist(team, lead, providers=PROVIDERS)
    for carrier in checklist.attestations.filter(covers__isnull=False).distinct():
        controls = [carrier.control, *(a.control for a in carrier.covers.all())]
        shortest = rules.review_interval_days(controls)
        if shortest is None:
            continue
        answer(carrier, member)
        submit(carrier, member)
        approve(carrier, reviewer)
        carrier.refresh_from_db()
        # The group's one obligation keeps the clock, at the group's shortest interval.
        duty = Obligation.objects.get(team=team, implied_by_group=carrier.control.equivalence_group)
        assert set(duty.controls.all()) == set(controls)
        assert duty.interval_days == shortest
        assert carrier.next_review_due == duty.occurrences.get().due_on
        occurrence_complete(
            occurrence=duty.occurrences.get(), by=member, note="Rotated both providers' keys."
        )
        occurrence_confirm(occurrence=duty.occurrences.get(done_at=None), by=lead)
        carrier.refresh_from_db()
        assert carrier.next_review_due == timezone.localdate() + timedelta(days=shortest)
        return
    pytest.skip("no recurring group in the catalog")


@pytest.mark.parametrize("providers", [("gopay",), ("codepay", "mixpay"), PROVIDERS])
def test_the_answer_page_shows_every_members_requirement(
    client, catalog, team, lead, member, providers
):
    checklist = make_checklist(team, lead, providers=providers)
    client.force_login(member)
    for carrier in checklist.attestations.filter(covers__isnull=False).distinct():
        members = [carrier.control, *(a.control for a in carrier.covers.all())]
        for page_of in [carrier, *carrier.covers.all()]:
            page = client.get(page_of.get_absolute_url()).content.decode()
            for control in members:
                assert control.requirement.replace("'", "&#x27;").replace('"', "&quot;") in page, (
                    page_of.control.ref,
                    control.ref,
                )
                assert (
                    control.evidence_guidance.replace("'", "&#x27;").replace('"', "&quot;") in page
                )


def test_the_carrier_is_the_strictest_member(catalog):
    """Choose among real group members in every order: the result does not depend on it."""
    for group in EquivalenceGroup.objects.prefetch_related("controls"):
        members = list(group.controls.all())
        expected = rules.choose_carrier(members)
        for other_order in [list(reversed(members)), members[1:] + members[:1]]:
            chosen = rules.choose_carrier(other_order)
            assert rules.strictness(chosen)[:3] == rules.strictness(expected)[:3]
