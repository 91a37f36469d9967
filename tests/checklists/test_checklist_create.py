import pytest
from django.core.exceptions import ValidationError

from checklists.models import AnswerStatus, Attestation, Checklist, Control, ReviewState
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


def test_it_answers_an_equivalence_group_once(catalog, team, lead):
    checklist = make_checklist(team, lead, providers=("codepay", "mixpay"))
    # CodePay and MixPay both demand server-side verification of payment results.
    group = Control.objects.get(ref="MIXPAY-1").equivalence_group
    members = checklist.attestations.filter(control__equivalence_group=group).order_by("pk")
    primary, *others = members
    assert primary.satisfied_through is None
    assert others and all(other.satisfied_through_id == primary.pk for other in others)


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


def test_a_copied_answer_follows_its_equivalence_group(catalog, team, lead, member):
    group = Control.objects.get(ref="WECHAT-BP.1").equivalence_group
    last = make_checklist(team, lead, period="2026-Q3", providers=("wechat",))
    earlier = last.attestations.get(
        control__equivalence_group=group, satisfied_through__isnull=True
    )
    answer(earlier, member, statement="No key in any repository.")
    checklist = make_checklist(
        team, lead, period="2026-Q4", providers=("gopay", "wechat"), copy_previous=True
    )
    primary = checklist.attestations.get(
        control__equivalence_group=group, satisfied_through__isnull=True
    )
    assert primary.control != earlier.control  # GoPay's control carries the group now
    assert primary.statement == "No key in any repository."
    assert AuditEvent.objects.filter(
        action="checklists.attestation.copied", object_id=str(primary.pk)
    ).exists()


def test_the_strictest_member_carries_a_group(catalog, team, lead):
    checklist = make_checklist(team, lead, providers=("codepay", "ucanpay"))
    for group_attestations in _by_group(checklist).values():
        primary = next(a for a in group_attestations if a.satisfied_through_id is None)
        intervals = [
            a.control.recurrence_days for a in group_attestations if a.control.recurrence_days
        ]
        if intervals:
            assert primary.control.recurrence_days == min(intervals)


def _by_group(checklist):
    groups = {}
    for attestation in checklist.attestations.select_related("control").filter(
        control__equivalence_group__isnull=False
    ):
        groups.setdefault(attestation.control.equivalence_group_id, []).append(attestation)
    return groups
