"""Service accounts: a team's non-human user that acts only through API tokens, can never
sign in to the pages, and never approves, confirms or sends back anything."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from checklists.models import AnswerStatus, ObligationKind, ReviewDecision
from checklists.services import access_decisions, obligations, reviews
from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.accounts.permissions import (
    AUDITORS_GROUP,
    REVIEWERS_GROUP,
    SERVICE_ACCOUNT_DECIDES,
    SERVICE_ACCOUNT_NO_ROLES,
    assignable_owners,
    decision_refusal,
    groups_refusal,
    has_team_perm,
    is_service_account,
    team_member_ids,
    teams_for,
)
from portal.api import tokens
from portal.api.models import ServiceAccount
from portal.audit.models import AuditEvent
from tests.checklists.access_reviews.campaigns import campaign, entry
from tests.checklists.assessment_helpers import answer, attestation_of, make_checklist, submit
from tests.checklists.obligations.helpers import link_evidence, make_obligation, open_occurrence
from tests.conftest import PASSWORD


@pytest.fixture
def robot(team, lead):
    return tokens.service_account_create(team=team, name="ci-pipeline", by=lead)


def test_it_holds_a_members_permissions_on_its_team_only(robot, team, other_team):
    user = robot.user
    assert user.username == "svc.kopi-kita.ci-pipeline"
    assert not user.has_usable_password()
    assert not (user.is_staff or user.is_superuser)
    assert list(teams_for(user)) == [team]
    assert has_team_perm(user, "attest_team", team)
    for perm in ("review_team", "manage_team", "export_team"):
        assert not has_team_perm(user, perm, team)
    assert not has_team_perm(user, "view_team", other_team)
    assert is_service_account(user)


def test_its_creation_is_recorded(robot, team, lead):
    event = AuditEvent.objects.get(action="api.service_account.created")
    assert (event.actor, event.team_id) == (lead, team.pk)
    assert event.changes == {
        "name": {"from": None, "to": "ci-pipeline"},
        "user": "svc.kopi-kita.ci-pipeline",
    }


@pytest.mark.parametrize("name", ["", "x", "CI Pipeline", "-ci", "a" * 41, "ci_pipeline"])
def test_it_needs_a_short_lower_case_name(team, lead, name):
    with pytest.raises(ValidationError) as excinfo:
        tokens.service_account_create(team=team, name=name, by=lead)
    assert "lower-case letters, digits and hyphens" in excinfo.value.message_dict["name"][0]
    assert not ServiceAccount.objects.exists()


def test_names_are_unique_per_team(robot, team, lead):
    with pytest.raises(ValidationError) as excinfo:
        tokens.service_account_create(team=team, name="ci-pipeline", by=lead)
    assert excinfo.value.message_dict["name"] == [
        "Kopi Kita already has a service account named ci-pipeline."
    ]


def test_only_a_lead_of_the_team_adds_one(team, member, outsider):
    for person in (member, outsider):
        with pytest.raises(ValidationError, match="Only a lead of Kopi Kita"):
            tokens.service_account_create(team=team, name="scanner", by=person)
    assert not ServiceAccount.objects.exists()


def test_it_is_not_a_member_nor_a_possible_owner(robot, team, member):
    assert robot.user.pk not in team_member_ids(team)
    assert robot.user not in assignable_owners(team)


@pytest.mark.parametrize("with_password", [False, True])
def test_it_cannot_sign_in_to_the_pages(client, robot, member, with_password):
    if with_password:  # even if an administrator gave it one
        robot.user.set_password(PASSWORD)
        robot.user.save()
    refused = client.post(
        "/accounts/login/", {"username": robot.user.username, "password": PASSWORD}
    )
    wrong = client.post("/accounts/login/", {"username": "member", "password": "not it"})
    assert refused.status_code == wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    assert refused.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()


def test_it_cannot_join_a_team_or_hold_a_portal_role(robot, other_team):
    with pytest.raises(ValidationError) as joined:
        accounts.membership_add(team=other_team, user=robot.user, role=Role.MEMBER)
    assert joined.value.messages == [SERVICE_ACCOUNT_NO_ROLES]
    for group in (REVIEWERS_GROUP, AUDITORS_GROUP):
        with pytest.raises(ValidationError) as granted:
            accounts.global_role_grant(user=robot.user, group_name=group)
        assert granted.value.messages == [SERVICE_ACCOUNT_NO_ROLES]
        assert groups_refusal(robot.user, {group}) == SERVICE_ACCOUNT_NO_ROLES
    assert not robot.user.groups.exists()


def test_the_rule_names_service_accounts_only(robot, member, reviewer):
    assert decision_refusal(robot.user) == SERVICE_ACCOUNT_DECIDES
    assert decision_refusal(member) is None
    assert decision_refusal(reviewer) is None


# --- Never approves, confirms or sends back anything -------------------------------------


@pytest.fixture
def awaiting_review(catalog, team, lead, member):
    item = attestation_of(make_checklist(team, lead), "GOPAY-1.3")
    answer(item, member, status=AnswerStatus.IMPLEMENTED)
    submit(item, member)
    item.refresh_from_db()
    return item


@pytest.fixture
def awaiting_confirmation(team, lead, member):
    rotation = make_obligation(
        team, lead, kind=ObligationKind.KEY_ROTATION, starts_on=timezone.localdate()
    )
    occurrence = open_occurrence(rotation)
    obligations.occurrence_complete(
        occurrence=occurrence,
        by=member,
        note="Rotated in the vault.",
        evidence=[link_evidence(team, member)],
    )
    occurrence.refresh_from_db()
    return occurrence


@pytest.fixture
def access_entry(team, lead):
    return entry(campaign(team, by=lead), "cashier001")


DECISIONS = {
    "approve an answer": lambda ctx, by: reviews.review_approve(
        attestation=ctx["answer"], by=by, expected_version=ctx["answer"].version
    ),
    "request changes on an answer": lambda ctx, by: reviews.review_request_changes(
        attestation=ctx["answer"],
        by=by,
        comment="Attach the listener configuration.",
        expected_version=ctx["answer"].version,
    ),
    "confirm a duty": lambda ctx, by: obligations.occurrence_confirm(
        occurrence=ctx["occurrence"], by=by
    ),
    "send back a duty": lambda ctx, by: obligations.occurrence_send_back(
        occurrence=ctx["occurrence"], by=by, comment="No evidence of the rotation."
    ),
    "decide an account's access": lambda ctx, by: access_decisions.entry_decide(
        entry=ctx["entry"], by=by, decision="keep"
    ),
    "keep accounts in bulk": lambda ctx, by: access_decisions.entries_keep_bulk(
        review=ctx["entry"].review, by=by, entry_ids=[ctx["entry"].pk]
    ),
    "confirm an access change was made": lambda ctx, by: access_decisions.entry_action_done(
        entry=ctx["entry"], by=by, note="Removed on the platform."
    ),
    "complete an access review": lambda ctx, by: access_decisions.access_review_complete(
        review=ctx["entry"].review, by=by
    ),
}


def test_a_service_account_can_never_decide_anything(
    robot, awaiting_review, awaiting_confirmation, access_entry
):
    ctx = {"answer": awaiting_review, "occurrence": awaiting_confirmation, "entry": access_entry}
    events = AuditEvent.objects.count()
    for name, decide in DECISIONS.items():
        with pytest.raises(ValidationError) as refused:
            decide(ctx, robot.user)
        assert refused.value.messages == [SERVICE_ACCOUNT_DECIDES], name
    assert AuditEvent.objects.count() == events
    assert not ReviewDecision.objects.exists()
    awaiting_confirmation.refresh_from_db()
    access_entry.refresh_from_db()
    assert awaiting_confirmation.confirmed_by is None and awaiting_confirmation.completed_by
    assert access_entry.decision == "" and access_entry.decided_by is None


def test_bulk_approval_by_a_service_account_approves_nothing(robot, awaiting_review):
    approved, refused = reviews.review_bulk_approve(attestations=[awaiting_review], by=robot.user)
    assert approved == []
    assert refused == [(awaiting_review, SERVICE_ACCOUNT_DECIDES)]
    assert not ReviewDecision.objects.exists()


def test_people_still_decide_the_same_things(
    reviewer, lead, awaiting_review, awaiting_confirmation, access_entry
):
    """The refusals above are the service account's: the same decisions by people pass."""
    reviews.review_approve(
        attestation=awaiting_review, by=reviewer, expected_version=awaiting_review.version
    )
    obligations.occurrence_confirm(occurrence=awaiting_confirmation, by=lead)
    access_decisions.entry_decide(entry=access_entry, by=reviewer, decision="keep")
    assert ReviewDecision.objects.get().reviewer == reviewer
    awaiting_confirmation.refresh_from_db()
    assert awaiting_confirmation.confirmed_by == lead
    access_entry.refresh_from_db()
    assert access_entry.decided_by == reviewer


def test_its_token_keeps_working_for_evidence(robot, team, lead):
    token, plaintext = tokens.token_create(
        team=team,
        name="deploy",
        scope="evidence-write",
        expires_on=timezone.localdate() + timedelta(days=90),
        by=lead,
        service_account=robot,
    )
    assert tokens.token_for(plaintext, now=timezone.now()).user == robot.user


def test_the_demo_team_has_a_pipeline_with_a_token_printed_once(db):
    from io import StringIO

    from django.core.management import call_command

    def seed(*args) -> str:
        out = StringIO()
        call_command("seed_demo", *args, stdout=out)
        return out.getvalue()

    printed = r"cpt_[a-z0-9]{8}_[A-Za-z0-9]{40}"
    first = re.findall(printed, seed())
    assert len(first) == 1
    token = tokens.token_for(first[0], now=timezone.now())
    assert token.user.username == "svc.kopi-kita-miniapp.ci-pipeline"
    assert token.scope == "evidence-write" and token.team.slug == "kopi-kita-miniapp"

    assert re.findall(printed, seed()) == []  # once
    renewed = re.findall(printed, seed("--reset-passwords"))
    assert len(renewed) == 1 and renewed != first
    with pytest.raises(tokens.TokenRefused, match="revoked"):
        tokens.token_for(first[0], now=timezone.now())
