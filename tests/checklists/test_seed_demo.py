import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from portal.accounts.models import Membership, Role, Team
from portal.accounts.permissions import teams_for
from portal.audit.models import AuditEvent


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _logins(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (\S+)\s+(\S+)\s+\S.*$", output, re.MULTILINE))


def test_it_creates_teams_with_every_role_and_prints_working_logins(db):
    output = _seed()
    assert Team.objects.count() == 3
    for team in Team.objects.all():
        roles = set(Membership.objects.filter(team=team).values_list("role", flat=True))
        assert roles == {Role.LEAD, Role.MEMBER}
    logins = _logins(output)
    assert {"admin", "reviewer", "auditor", "kopi-lead", "kopi-dev"} <= set(logins)
    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username="kopi-dev", password=logins["kopi-dev"])
    assert user is not None
    assert [team.slug for team in teams_for(user)] == ["kopi-kita-miniapp"]
    reviewer = get_user_model().objects.get(username="reviewer")
    assert teams_for(reviewer, "review_team").count() == 3


def test_it_is_idempotent_and_prints_passwords_once(db):
    _seed()
    again = _seed()
    assert Team.objects.count() == 3
    assert _logins(again) == {}
    assert "`.venv/bin/python manage.py seed_demo --reset-passwords`" in again


def test_it_leaves_the_audit_trail_verified(db):
    _seed()
    verified = AuditEvent.objects.filter(action="audit.log.verified").get()
    assert verified.changes["intact"] is True
    assert verified.changes["count"] == AuditEvent.objects.count() - 1


def test_it_leaves_one_invitation_waiting_on_the_first_team(db, mailoutbox):
    _seed()
    _seed()
    kopi = Team.objects.get(slug="kopi-kita-miniapp")
    waiting = kopi.invitations.get()
    assert (waiting.email, waiting.role, waiting.accepted_at) == (
        "newcomer@example.com",
        Role.MEMBER,
        None,
    )
    assert waiting.invited_by.username == "kopi-lead"
    assert [message.to for message in mailoutbox] == [["newcomer@example.com"]]


def test_it_resets_passwords_on_request(db):
    first = _logins(_seed())
    second = _logins(_seed("--reset-passwords"))
    assert set(first) == set(second)
    assert first["admin"] != second["admin"]


def test_it_scales_to_many_teams(db):
    output = _seed("--teams", "12")
    assert Team.objects.count() == 12
    assert Membership.objects.count() == 36
    # Only the first teams' people can sign in; the rest give dashboards their scale.
    assert "merchant-0012" not in output
    assert not get_user_model().objects.get(username="merchant-0012-lead").has_usable_password()


def test_it_refuses_a_silly_team_count(db):
    with pytest.raises(CommandError, match="--teams must be between 1 and 5000"):
        _seed("--teams", "0")


def test_it_fills_checklists_in_every_state(db, settings):
    from checklists.models import AnswerStatus, Attestation, Evidence, ReviewState

    _seed()
    states = set(Attestation.objects.values_list("review_state", flat=True))
    assert states == set(ReviewState.values)
    assert set(Attestation.objects.values_list("status", flat=True)) == set(AnswerStatus.values)
    assert any(
        attestation.is_stale for attestation in Attestation.objects.filter(review_state="approved")
    )
    assert Attestation.objects.filter(satisfied_through__isnull=False).exists()
    files = Evidence.objects.filter(kind="file")
    assert files.exists() and Evidence.objects.filter(kind="link").exists()
    assert {path.name for path in settings.EVIDENCE_ROOT.iterdir()} == set(
        files.values_list("blob_name", flat=True)
    )


def test_it_fills_duties_in_every_state_with_a_leak_in_progress(db):
    from django.utils import timezone

    from checklists.models import (
        Credential,
        Incident,
        IncidentContact,
        IncidentStatus,
        ObligationKind,
        Occurrence,
    )
    from checklists.schedule import Status, status

    _seed()
    today = timezone.localdate()
    seen = {
        status(
            due_on=occurrence.due_on,
            today=today,
            completed=occurrence.completed_at is not None,
            done=occurrence.done_at is not None,
        )
        for occurrence in Occurrence.objects.all()
    }
    assert seen == set(Status)
    late = [
        o for o in Occurrence.objects.filter(done_at__isnull=False) if o.completed_on > o.due_on
    ]
    assert late, "no duty was done late"
    kinds = set(Occurrence.objects.values_list("obligation__kind", flat=True))
    assert {ObligationKind.KEY_ROTATION, ObligationKind.CONTACT_VERIFICATION} <= kinds
    assert Credential.objects.filter(in_repository="yes").exists()
    assert IncidentContact.objects.filter(last_verified_on=today).exists()
    [leak] = Incident.objects.all()
    assert leak.status == IncidentStatus.OPEN and leak.provider_informed_at is None
    assert leak.steps.filter(done_at__isnull=False).count() == 1
    assert leak.steps.count() == 5


def test_its_scale_teams_hold_duties_too(db):
    from checklists.models import Credential, IncidentContact, Obligation

    _seed("--teams", "12")
    for slug in ("bayar-mudah-wallet", "merchant-0012"):
        assert Credential.objects.filter(team__slug=slug).count() == 2
        assert IncidentContact.objects.filter(team__slug=slug).count() == 4
        assert Obligation.objects.filter(team__slug=slug).exists()


SCALE = ("--teams", "8", "--audit-events", "500")


def _scale_teams():
    return Team.objects.exclude(
        slug__in=["kopi-kita-miniapp", "ojek-cepat-payments", "toko-seru-marketplace"]
    )


def test_its_scale_teams_answer_several_quarters_in_every_state(db):
    from checklists.models import (
        AnswerStatus,
        Attestation,
        Checklist,
        EvidenceLink,
        ReviewDecision,
        ReviewState,
    )
    from checklists.periods import Quarter

    _seed(*SCALE)
    teams = _scale_teams()
    quarter = Quarter.current()
    periods = [
        str(quarter.previous().previous().previous()),
        str(quarter.previous().previous()),
        str(quarter.previous()),
        str(quarter),
    ]
    for team in teams:
        assert sorted(Checklist.objects.filter(team=team).values_list("period", flat=True)) == (
            periods
        )
    answers = Attestation.objects.filter(checklist__team__in=teams)
    assert set(answers.values_list("review_state", flat=True)) == set(ReviewState.values)
    assert set(answers.values_list("status", flat=True)) == set(AnswerStatus.values)
    assert answers.filter(review_state="draft").exclude(status="unanswered").exists()
    assert any(answer.is_stale for answer in answers.filter(review_state="approved"))
    assert ReviewDecision.objects.filter(attestation__in=answers, decision="approved").exists()
    assert (
        ReviewDecision.objects.filter(attestation__in=answers, decision="changes-requested")
        .exclude(comment="")
        .exists()
    )
    links = EvidenceLink.objects.filter(attestation__in=answers)
    assert {"file", "link"} == set(links.values_list("evidence__kind", flat=True))
    # Older quarters are mostly approved; the current one is in progress.
    current = answers.filter(checklist__period=str(quarter), satisfied_through__isnull=True)
    oldest = answers.filter(checklist__period=periods[0], satisfied_through__isnull=True)
    assert oldest.filter(review_state="approved").count() > oldest.count() // 2
    assert current.filter(status="unanswered").count() > 0


def test_its_scale_teams_hold_duties_and_access_reviews_in_every_state(db, settings):
    from django.utils import timezone

    from checklists.models import AccessReview, CampaignState, Evidence, Occurrence
    from checklists.schedule import Status, status_of

    _seed(*SCALE)
    teams = _scale_teams()
    today = timezone.localdate()
    occurrences = Occurrence.objects.filter(obligation__team__in=teams)
    assert {status_of(occurrence, today) for occurrence in occurrences} == set(Status)
    assert any(o.completed_on > o.due_on for o in occurrences.filter(done_at__isnull=False)), (
        "no duty was done late"
    )
    reviews = AccessReview.objects.filter(team__in=teams)
    assert set(reviews.values_list("state", flat=True)) == set(CampaignState.values)
    completed = reviews.filter(state=CampaignState.COMPLETED).first()
    assert completed.result["counts"] and completed.occurrence.done_at is not None
    # One sealed record per team: every stored blob belongs to an evidence row, and back.
    files = Evidence.objects.filter(kind="file")
    assert {path.name for path in settings.EVIDENCE_ROOT.iterdir()} == set(
        files.values_list("blob_name", flat=True)
    )


def test_its_long_audit_trail_verifies_and_a_second_run_adds_nothing(db):
    from checklists.models import Attestation

    _seed(*SCALE)
    events = AuditEvent.objects.count()
    assert events >= 500
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "Audit log intact" in out.getvalue()
    answers = Attestation.objects.count()
    again = _seed(*SCALE)
    assert "Demo data already present" in again
    assert Attestation.objects.count() == answers
    assert Team.objects.count() == 8
    # Only the verification the run leaves behind, and a new checkpoint's record.
    assert AuditEvent.objects.count() - events <= 3
    call_command("verify_audit_log", stdout=StringIO())


def test_it_lengthens_the_audit_trail_to_the_number_asked(db):
    _seed("--audit-events", "900")
    assert 900 <= AuditEvent.objects.count() <= 905
    readers = set(
        AuditEvent.objects.filter(action="accounts.login.succeeded").values_list(
            "actor_label", flat=True
        )
    )
    assert readers == {"reviewer", "auditor"}


@pytest.mark.parametrize("value", ["-1", "10000001"])
def test_it_refuses_a_silly_audit_event_count_and_writes_nothing(db, value):
    with pytest.raises(CommandError, match="--audit-events must be between 0 and 10000000"):
        _seed("--teams", "8", "--audit-events", value)
    assert not Team.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_holds_a_completed_access_review_and_an_open_one_with_flags_and_a_removal(db):
    from checklists.models import AccessReview, CampaignState, EntryChange
    from checklists.periods import Quarter

    _seed()
    quarter = Quarter.current()
    for team in Team.objects.all():
        last = AccessReview.objects.get(team=team, period=str(quarter.previous()))
        current = AccessReview.objects.get(team=team, period=str(quarter))
        assert last.state == CampaignState.COMPLETED and last.occurrence.done_at is not None
        assert current.state == CampaignState.IN_REVIEW and current.previous == last
        entries = current.entries.all()
        assert any(entry.flagged for entry in entries)
        assert {entry.change for entry in entries} == set(EntryChange.values)
        assert entries.filter(decision="").exists()
        assert entries.filter(decision="revoke", action_done_at__isnull=True).exists()
