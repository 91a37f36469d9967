import pytest
from django.core.exceptions import ValidationError

from checklists.models import (
    AnswerStatus,
    Attestation,
    Checklist,
    Control,
    EquivalenceGroup,
    Provider,
    ReviewState,
)
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import answer, attestation_of, make_checklist, upload


def test_it_makes_one_attestation_per_applicable_control(catalog, team, lead):
    Control.objects.filter(ref="GOPAY-1.1").update(retired=True)
    checklist = make_checklist(team, lead)
    expected = set(
        Control.objects.filter(
            source__provider__slug__in=["gopay", "mixpay"], retired=False
        ).values_list("ref", flat=True)
    )
    assert set(checklist.attestations.values_list("control__ref", flat=True)) == expected
    assert "GOPAY-1.1" not in expected
    event = AuditEvent.objects.get(action="checklists.checklist.created")
    assert event.team_id == team.pk and event.changes["attestations"] == len(expected)


def _group_spanning_providers():
    """A group, its members' providers, and a member that carries it alone but not together."""
    from checklists import rules
    from checklists.services.checklists import applicable_controls

    for group in EquivalenceGroup.objects.order_by("slug"):
        slugs = sorted(set(group.controls.values_list("source__provider__slug", flat=True)))
        together = list(
            applicable_controls(
                providers=list(Provider.objects.filter(slug__in=slugs)), asvs_level=0
            ).filter(equivalence_group=group)
        )
        carrier = rules.choose_carrier(together)
        for slug in slugs:
            alone = [c for c in together if c.source.provider.slug == slug]
            if alone and rules.choose_carrier(alone) != carrier:
                return group, slugs, slug, rules.choose_carrier(alone), carrier
    raise AssertionError("no group whose carrier changes with the providers chosen")


def test_it_answers_an_equivalence_group_once(catalog, team, lead):
    group, slugs, *_ = _group_spanning_providers()
    checklist = make_checklist(team, lead, providers=slugs)
    members = list(checklist.attestations.filter(control__equivalence_group=group))
    carriers = [member for member in members if member.satisfied_through_id is None]
    assert len(carriers) == 1 and len(members) >= 2
    assert all(m.satisfied_through_id == carriers[0].pk for m in members if m is not carriers[0])


def test_it_adds_the_asvs_baseline_by_level(catalog, team, lead):
    level1 = make_checklist(team, lead, period="2026-Q3", providers=(), asvs_level=1)
    level2 = make_checklist(team, lead, period="2026-Q4", providers=(), asvs_level=2)
    assert (
        level1.attestations.count()
        == Control.objects.filter(owasp__asvs_level=1, ref__startswith="ASVS-").count()
    )
    assert level1.attestations.count() < level2.attestations.count()
    assert not level2.attestations.filter(control__owasp__asvs_level=3).exists()


@pytest.mark.parametrize(
    "period, providers, level, message",
    [
        (
            "2026-Q5",
            ("gopay",),
            0,
            "'2026-Q5' is not a quarter such as 2026-Q4 (a year from 2000 to 2099, "
            "then -Q1 to -Q4).",
        ),
        ("2026-Q4", (), 0, "Choose at least one provider or an ASVS baseline."),
        ("2026-Q4", ("gopay",), 3, "The ASVS baseline is level 1, level 2, or none."),
    ],
)
def test_it_refuses_bad_input(catalog, team, lead, period, providers, level, message):
    with pytest.raises(ValidationError) as error:
        make_checklist(team, lead, period=period, providers=providers, asvs_level=level)
    assert error.value.messages == [message]
    assert not Checklist.objects.exists() and not Attestation.objects.exists()


def test_it_refuses_a_second_checklist_for_the_period(catalog, team, lead):
    make_checklist(team, lead)
    with pytest.raises(ValidationError, match="Kopi Kita already has a checklist for 2026-Q4."):
        make_checklist(team, lead)
    assert Checklist.objects.count() == 1


def test_a_new_period_starts_from_the_previous_one(catalog, team, lead, member, reviewer):
    last = make_checklist(team, lead, period="2026-Q3")
    done = answer(
        attestation_of(last, "GOPAY-1.2"), member, statement="Only the back end holds it."
    )
    evidence = upload(done, member)
    checklist = make_checklist(team, lead, period="2026-Q4", copy_previous=True)
    copied = attestation_of(checklist, "GOPAY-1.2")
    assert copied.status == AnswerStatus.IMPLEMENTED
    assert copied.statement == "Only the back end holds it."
    assert copied.review_state == ReviewState.DRAFT
    # The same evidence row, linked again, not a second upload.
    assert list(copied.evidence.all()) == [evidence]
    assert copied.versions.get().changed_fields == ["copied from 2026-Q3 (GOPAY-1.2)"]
    assert copied.copied_from == done
    assert attestation_of(checklist, "GOPAY-1.3").status == AnswerStatus.UNANSWERED


def test_a_group_answer_is_copied_to_the_groups_carrier(catalog, team, lead, member):
    group, slugs, _, _, carrier = _group_spanning_providers()
    last = make_checklist(team, lead, period="2026-Q3", providers=slugs)
    answer(last.attestations.get(control=carrier), member, statement="No key in any repository.")
    checklist = make_checklist(team, lead, period="2026-Q4", providers=slugs, copy_previous=True)
    primary = checklist.attestations.get(control=carrier)
    assert primary.satisfied_through is None
    assert primary.statement == "No key in any repository."
    assert AuditEvent.objects.filter(
        action="checklists.attestation.copied", object_id=str(primary.pk)
    ).exists()


def test_an_answer_for_one_control_never_comes_to_carry_a_group(catalog, team, lead, member):
    """Answered when the team had one provider; now a stricter member carries the group, and
    that answer never addressed the stricter duty."""
    group, slugs, alone_slug, alone_carrier, carrier = _group_spanning_providers()
    last = make_checklist(team, lead, period="2026-Q3", providers=(alone_slug,))
    answer(last.attestations.get(control=alone_carrier), member, statement="Only this one.")
    checklist = make_checklist(team, lead, period="2026-Q4", providers=slugs, copy_previous=True)
    assert checklist.attestations.get(control=carrier).status == AnswerStatus.UNANSWERED
    covered = checklist.attestations.get(control=alone_carrier)
    assert covered.satisfied_through.control == carrier and covered.statement == ""


def test_an_answer_given_alone_never_moves_to_another_control(catalog, team, lead, member):
    """A group answered separately: each answer comes back only to its own control."""
    group, slugs, alone_slug, alone_carrier, carrier = _group_spanning_providers()
    last = make_checklist(team, lead, period="2026-Q3", providers=slugs)
    lead_item = last.attestations.get(control=carrier)
    from checklists.services import answers

    answers.group_answer_separately(attestation=lead_item, by=member, expected_version=0)
    answer(last.attestations.get(control=alone_carrier), member, statement="Only this one.")
    checklist = make_checklist(team, lead, period="2026-Q4", providers=slugs, copy_previous=True)
    assert checklist.attestations.get(control=carrier).status == AnswerStatus.UNANSWERED
    assert checklist.attestations.get(control=alone_carrier).statement == "Only this one."


def _by_group(checklist):
    groups = {}
    for attestation in checklist.attestations.select_related("control").filter(
        control__equivalence_group__isnull=False
    ):
        groups.setdefault(attestation.control.equivalence_group_id, []).append(attestation)
    return groups


def test_copying_a_quarter_costs_the_same_queries_however_many_answers(
    catalog, team, lead, member, django_assert_max_num_queries
):
    small = make_checklist(team, lead, period="2026-Q1", providers=("gopay", "ucanpay"))
    for item in small.attestations.filter(satisfied_through__isnull=True)[:2]:
        answer(item, member)
    with django_assert_max_num_queries(40) as few:
        make_checklist(
            team, lead, period="2026-Q2", providers=("gopay", "ucanpay"), copy_previous=True
        )
    big = make_checklist(
        team, lead, period="2026-Q3", providers=("gopay", "codepay", "wechat", "ucanpay")
    )
    for item in big.attestations.filter(satisfied_through__isnull=True)[:60]:
        answer(item, member)
    # Not one more query per answer (there were five); SQLite splits bulk inserts of many rows
    # into a few batches.
    with django_assert_max_num_queries(len(few.captured_queries) + 3):
        copied = make_checklist(
            team,
            lead,
            period="2026-Q4",
            providers=("gopay", "codepay", "wechat", "ucanpay"),
            copy_previous=True,
        )
    assert copied.attestations.exclude(status=AnswerStatus.UNANSWERED).count() == 60
