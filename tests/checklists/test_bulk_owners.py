"""Giving many controls of a checklist an owner at once: the service and the page's action."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists.models import Attestation, ReviewState
from checklists.selectors.assessments import todo_for
from checklists.services.owners import attestations_assign_owner
from portal.audit.models import AuditEvent
from tests.checklists.assessment_helpers import (
    answer,
    approve,
    make_checklist,
    submit,
)
from tests.conftest import make_user


@pytest.fixture
def checklist(catalog, team, lead):
    return make_checklist(team, lead, providers=("gopay", "codepay"))


def _alone(checklist, count: int) -> list[Attestation]:
    """Answers that stand for no other control and are not answered through another."""
    return list(
        checklist.attestations.filter(satisfied_through__isnull=True, covers__isnull=True)
        .select_related("control")
        .order_by("pk")[:count]
    )


def _assigned_events():
    return AuditEvent.objects.filter(action="checklists.attestation.assigned")


def test_a_lead_gives_several_answers_an_owner_in_one_go(checklist, lead, member):
    rows = _alone(checklist, 3)
    result = attestations_assign_owner(
        checklist=checklist, ids=[a.pk for a in rows], owner=member, by=lead
    )
    assert len(result.changed) == 3 and result.unchanged == 0
    assert set(
        Attestation.objects.filter(pk__in=[a.pk for a in rows]).values_list("owner", flat=True)
    ) == {member.pk}
    events = _assigned_events()
    assert events.count() == 3
    assert {e.object_id for e in events} == {str(a.pk) for a in rows}
    assert all(e.changes["owner"] == {"from": None, "to": "member"} for e in events)
    assert {a.control.ref for a in todo_for(member)["unanswered"]} >= {a.control.ref for a in rows}


def test_it_clears_the_owner_and_records_only_what_changed(checklist, lead, member):
    rows = _alone(checklist, 3)
    Attestation.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(owner=member)
    result = attestations_assign_owner(
        checklist=checklist, ids=[a.pk for a in rows], owner=None, by=lead
    )
    assert len(result.changed) == 2 and result.unchanged == 1
    assert not Attestation.objects.filter(pk__in=[a.pk for a in rows], owner__isnull=False)
    assert [e.changes["owner"] for e in _assigned_events()] == [{"from": "member", "to": None}] * 2


def test_an_owner_change_keeps_the_approval(checklist, lead, member, reviewer):
    item = _alone(checklist, 1)[0]
    answer(item, member)
    submit(item, member)
    approve(item, reviewer)
    item.refresh_from_db()
    attestations_assign_owner(checklist=checklist, ids=[item.pk], owner=lead, by=lead)
    after = Attestation.objects.get(pk=item.pk)
    assert after.owner == lead
    assert after.review_state == ReviewState.APPROVED
    assert (after.version, after.approved_at) == (item.version, item.approved_at)


@pytest.mark.parametrize("role", ["member", "reviewer", "auditor", "outsider"])
def test_only_a_lead_of_the_team_may_assign(request, checklist, member, role):
    by = request.getfixturevalue(role)
    rows = _alone(checklist, 2)
    with pytest.raises(ValidationError, match="Only a team lead can assign or change the owner"):
        attestations_assign_owner(
            checklist=checklist, ids=[a.pk for a in rows], owner=member, by=by
        )
    assert not Attestation.objects.filter(pk__in=[a.pk for a in rows], owner__isnull=False)
    assert not _assigned_events().exists()


def test_the_owner_must_be_a_member_of_the_team(checklist, lead, outsider):
    rows = _alone(checklist, 2)
    with pytest.raises(ValidationError, match="The owner must be a member of the team"):
        attestations_assign_owner(
            checklist=checklist, ids=[a.pk for a in rows], owner=outsider, by=lead
        )
    assert not _assigned_events().exists()


def test_answers_of_another_checklist_are_refused(catalog, checklist, team, lead, member):
    other = make_checklist(team, lead, period="2026-Q3", providers=("gopay",))
    foreign = _alone(other, 1)[0]
    with pytest.raises(ValidationError, match="not in this checklist"):
        attestations_assign_owner(
            checklist=checklist, ids=[foreign.pk, _alone(checklist, 1)[0].pk], owner=member, by=lead
        )
    assert not _assigned_events().exists()


def test_a_control_answered_through_its_group_gives_the_groups_answer_the_owner(
    checklist, lead, member
):
    covered = checklist.attestations.filter(satisfied_through__isnull=False).first()
    carrier = covered.satisfied_through
    result = attestations_assign_owner(
        checklist=checklist, ids=[covered.pk, carrier.pk], owner=member, by=lead
    )
    assert [a.pk for a in result.changed] == [carrier.pk]
    assert result.through_group == [covered.control.ref]
    assert Attestation.objects.get(pk=carrier.pk).owner == member
    assert Attestation.objects.get(pk=covered.pk).owner is None
    assert _assigned_events().get().object_id == str(carrier.pk)


# --- the page's action -----------------------------------------------------------------------


def _url(checklist) -> str:
    return reverse(
        "checklists:checklist_assign_owner", args=[checklist.team.slug, checklist.period]
    )


def test_the_action_takes_post_only(client, checklist, lead):
    client.force_login(lead)
    assert client.get(_url(checklist)).status_code == 405


def test_a_lead_assigns_the_ticked_controls_and_keeps_the_filters(client, checklist, lead, member):
    rows = _alone(checklist, 2)
    client.force_login(lead)
    response = client.post(
        _url(checklist) + "?owner=none&provider=gopay",
        {"attestations": [a.pk for a in rows], "scope": "selected", "owner": "member"},
    )
    assert response.status_code == 302
    assert response["Location"] == checklist.get_absolute_url() + "?owner=none&provider=gopay"
    assert set(
        Attestation.objects.filter(pk__in=[a.pk for a in rows]).values_list("owner", flat=True)
    ) == {member.pk}
    page = client.get(response["Location"]).content.decode()
    assert "member now owns 2 more controls." in page


def test_a_lead_assigns_everything_matching_the_filter(client, checklist, lead, member):
    client.force_login(lead)
    response = client.post(
        _url(checklist) + "?provider=gopay&owner=none", {"scope": "matching", "owner": "member"}
    )
    assert response.status_code == 302
    gopay = checklist.attestations.filter(control__source__provider__slug="gopay")
    carriers = {a.satisfied_through_id or a.pk for a in gopay}
    assert set(Attestation.objects.filter(owner=member).values_list("pk", flat=True)) == carriers
    assert not checklist.attestations.filter(
        control__source__provider__slug="codepay", satisfied_through__isnull=True, owner=member
    ).exclude(pk__in=carriers)


@pytest.mark.parametrize("role", ["member", "reviewer", "auditor"])
def test_the_action_refuses_anyone_but_a_lead(request, client, checklist, member, role):
    client.force_login(request.getfixturevalue(role))
    rows = _alone(checklist, 2)
    response = client.post(
        _url(checklist),
        {"attestations": [a.pk for a in rows], "scope": "selected", "owner": "member"},
    )
    assert response.status_code == 400
    assert "Only a team lead can assign or change the owner." in response.content.decode()
    assert not Attestation.objects.filter(pk__in=[a.pk for a in rows], owner__isnull=False)


def test_another_teams_lead_gets_a_404(client, checklist, outsider):
    client.force_login(outsider)
    rows = _alone(checklist, 1)
    response = client.post(
        _url(checklist), {"attestations": [rows[0].pk], "scope": "selected", "owner": "outsider"}
    )
    assert response.status_code == 404


def test_mistakes_are_shown_next_to_the_fields_with_the_ticks_kept(client, checklist, lead):
    rows = _alone(checklist, 2)
    client.force_login(lead)
    response = client.post(
        _url(checklist), {"attestations": [rows[0].pk], "scope": "selected", "owner": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the new owner, or “Nobody” to clear the owner." in page
    assert f'value="{rows[0].pk}" id="row-{rows[0].pk}" checked' in page
    assert f'value="{rows[1].pk}" id="row-{rows[1].pk}" aria' in page
    nothing = client.post(_url(checklist), {"scope": "selected", "owner": "member"})
    assert "Tick the controls to assign, or choose all matching the filter." in (
        nothing.content.decode()
    )
    stranger = make_user("stranger")
    refused = client.post(
        _url(checklist),
        {"attestations": [rows[0].pk], "scope": "selected", "owner": stranger.username},
    )
    assert refused.status_code == 400
    assert "stranger is not a member of this team." in refused.content.decode()


def test_the_action_queries_do_not_grow_with_the_rows(client, catalog, team, lead, member):
    checklist = make_checklist(team, lead, providers=(), asvs_level=2)
    ids = list(checklist.attestations.order_by("pk").values_list("pk", flat=True))
    assert len(ids) >= 110
    client.force_login(lead)

    def queries(chosen) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                _url(checklist), {"attestations": chosen, "scope": "selected", "owner": "member"}
            )
        assert response.status_code == 302
        # SQLite takes a bulk insert of many events in batches (its limit on parameters);
        # PostgreSQL copies them in one go. Every other query is counted.
        return [q["sql"] for q in captured if not q["sql"].startswith(AUDIT_INSERT)]

    few = queries(ids[:10])
    assert _assigned_events().count() == 10
    assert len(queries(ids[10:110])) == len(few) <= 30
    assert _assigned_events().count() == 110


AUDIT_INSERT = 'INSERT INTO "audit_auditevent"'
