"""Creating, revoking and reading API tokens (portal/api/tokens.py)."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.api import tokens
from portal.api.models import ApiToken, Scope
from portal.audit.models import AuditEvent
from tests.conftest import make_user


def today():
    return timezone.localdate()


def create(team, by, name="CI upload", scope=Scope.EVIDENCE_WRITE, days=30, **kw):
    return tokens.token_create(
        team=team, name=name, scope=scope, expires_on=today() + timedelta(days=days), by=by, **kw
    )


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


@pytest.fixture
def service_account(team, lead):
    return tokens.service_account_create(team=team, name="ci-pipeline", by=lead)


def test_it_returns_the_plaintext_once_and_keeps_only_the_digest(team, member):
    token, plaintext = create(team, member)

    match = tokens.TOKEN_RE.match(plaintext)
    assert match, plaintext
    assert plaintext.startswith(token.prefix + "_")
    assert token.prefix == "cpt_" + match.group(1)
    secret = match.group(2)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(vars(stored))
    assert (stored.user, stored.team, stored.scope) == (member, team, Scope.EVIDENCE_WRITE)


def test_it_makes_a_different_token_each_time(team, member):
    first = create(team, member, name="one")[1]
    second = create(team, member, name="two")[1]
    assert first != second
    assert first[:12] != second[:12]


def test_it_records_the_creation_without_the_secret(team, member):
    token, plaintext = create(team, member)

    event = AuditEvent.objects.get(action="api.token.created")
    assert (event.actor, event.team_id, event.object_id) == (member, team.pk, str(token.pk))
    assert event.changes["prefix"] == token.prefix
    assert event.changes["scope"] == {"from": None, "to": "evidence-write"}
    assert event.changes["acts_as"] == "member"
    assert plaintext[13:] not in str(event.changes) + event.object_label


def test_the_token_works_through_its_last_day(team, member):
    token, _ = create(team, member, days=1)
    last_day = today() + timedelta(days=1)
    assert timezone.localtime(token.expires_at).date() == last_day + timedelta(days=1)
    assert timezone.localtime(token.expires_at).time().hour == 0


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (None, "Choose the day the token stops working"),
        (-1, "has passed"),
        (366, "A token works for at most a year"),
    ],
)
def test_it_requires_an_expiry_within_a_year(team, member, days, message):
    expires_on = None if days is None else today() + timedelta(days=days)
    with pytest.raises(ValidationError) as excinfo:
        tokens.token_create(
            team=team, name="CI", scope=Scope.READ, expires_on=expires_on, by=member
        )
    assert message in errors_of(excinfo)["expires_on"][0]
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api.token.created").exists()


@pytest.mark.parametrize("days", [0, 365])
def test_it_accepts_today_and_a_year_from_today(team, member, days):
    token, _ = create(team, member, days=days)
    assert token.is_live(timezone.now())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the token a name"),
        ("   ", "Give the token a name"),
        ("x" * 61, "Keep the name to 60 characters"),
        ("<script>", "Use letters, digits"),
        ("-leading", "starting with a letter or digit"),
    ],
)
def test_it_refuses_unusable_names(team, member, name, message):
    with pytest.raises(ValidationError) as excinfo:
        create(team, member, name=name)
    assert message in errors_of(excinfo)["name"][0]


def test_it_refuses_an_unknown_scope(team, member):
    with pytest.raises(ValidationError) as excinfo:
        create(team, member, scope="admin")
    assert errors_of(excinfo)["scope"] == ["Choose the scope: read, or evidence-write."]


def test_names_are_unique_per_team_among_live_tokens(team, other_team, member, outsider):
    first, _ = create(team, member, name="CI upload")
    with pytest.raises(ValidationError) as excinfo:
        create(team, member, name="CI upload")
    assert (
        f"already has a token named “CI upload” ({first.prefix})" in (errors_of(excinfo)["name"][0])
    )

    create(other_team, outsider, name="CI upload")  # another team may use the name
    tokens.token_revoke(token=first, by=member)
    create(team, member, name="CI upload")  # a revoked token frees it


def test_an_expired_token_keeps_its_name_until_revoked(team, member):
    token, _ = create(team, member, name="nightly")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError) as excinfo:
        create(team, member, name="nightly")
    assert "expired but is not revoked yet: revoke it" in errors_of(excinfo)["name"][0]


def test_a_person_makes_tokens_only_for_their_own_teams(team, member, other_team):
    with pytest.raises(ValidationError) as excinfo:
        create(other_team, member)
    assert errors_of(excinfo)["team"] == [
        "You are not a member of Ojek Cepat, so a token of yours cannot reach it."
    ]


def test_a_read_only_person_cannot_make_an_evidence_write_token(team, auditor):
    with pytest.raises(ValidationError) as excinfo:
        create(team, auditor, scope=Scope.EVIDENCE_WRITE)
    assert "choose the read scope" in errors_of(excinfo)["scope"][0]
    token, _ = create(team, auditor, scope=Scope.READ)
    assert token.user == auditor


def test_only_a_lead_makes_tokens_for_the_teams_service_accounts(team, member, service_account):
    with pytest.raises(ValidationError) as excinfo:
        create(team, member, service_account=service_account)
    assert excinfo.value.messages == [
        "Only a lead of Kopi Kita can make tokens for its service accounts."
    ]


def test_a_service_account_token_acts_as_the_service_account(team, lead, service_account):
    token, _ = create(team, lead, service_account=service_account)
    assert token.user == service_account.user
    assert token.created_by == lead
    event = AuditEvent.objects.get(action="api.token.created")
    assert event.changes["service_account"] == "ci-pipeline"
    assert event.actor == lead


def test_a_service_account_of_another_team_is_refused(team, other_team, outsider, lead):
    theirs = tokens.service_account_create(team=other_team, name="scanner", by=outsider)
    with pytest.raises(ValidationError) as excinfo:
        create(team, lead, service_account=theirs)
    assert "belongs to another team" in errors_of(excinfo)["team"][0]


def test_revoking_stops_the_token_and_is_recorded_once(team, member):
    token, plaintext = create(team, member)

    tokens.token_revoke(token=token, by=member)
    tokens.token_revoke(token=token, by=member)

    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == member
    assert AuditEvent.objects.filter(action="api.token.revoked").count() == 1
    with pytest.raises(tokens.TokenRefused, match="was revoked"):
        tokens.token_for(plaintext, now=timezone.now())


def test_a_lead_may_revoke_any_token_of_the_team_and_nobody_else_may(team, lead, member):
    token, _ = create(team, member)
    colleague = make_user("colleague")
    accounts.membership_add(team=team, user=colleague, role=Role.MEMBER)

    with pytest.raises(ValidationError, match="Only the token's owner or a lead"):
        tokens.token_revoke(token=token, by=colleague)
    tokens.token_revoke(token=token, by=lead)
    assert AuditEvent.objects.get(action="api.token.revoked").actor == lead


def test_it_reads_a_live_token_back(team, member):
    token, plaintext = create(team, member)
    found = tokens.token_for(plaintext, now=timezone.now())
    assert found == token
    assert found.user == member and found.team == team


@pytest.mark.parametrize(
    "presented",
    ["", "cpt_", "Bearer cpt_x", "cpt_abcdefgh_" + "A" * 39, "xyz_abcdefgh_" + "A" * 40],
)
def test_it_refuses_what_is_not_a_token(presented):
    with pytest.raises(tokens.TokenRefused) as excinfo:
        tokens.token_for(presented, now=timezone.now())
    assert excinfo.value.message == tokens.NOT_VALID
    assert excinfo.value.token is None


def test_it_refuses_a_wrong_secret_and_names_the_token_for_the_trail(team, member):
    token, plaintext = create(team, member)
    wrong = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    with pytest.raises(tokens.TokenRefused) as excinfo:
        tokens.token_for(wrong, now=timezone.now())
    assert excinfo.value.message == tokens.NOT_VALID
    assert excinfo.value.token == token


def test_it_refuses_an_expired_token_saying_when_it_expired(team, member):
    token, plaintext = create(team, member, days=0)
    with pytest.raises(tokens.TokenRefused) as excinfo:
        tokens.token_for(plaintext, now=token.expires_at)
    assert f"expired at the end of {tokens.day(today())}" in excinfo.value.message


def test_it_refuses_the_token_of_a_deactivated_person(team, member):
    _, plaintext = create(team, member)
    member.is_active = False
    member.save()
    with pytest.raises(tokens.TokenRefused, match="deactivated"):
        tokens.token_for(plaintext, now=timezone.now())


def test_a_token_in_evidence_or_typed_text_is_refused(team, member):
    from checklists.evidence.scanning import TextScanner

    _, plaintext = create(team, member)
    scanner = TextScanner()
    finding = scanner.feed(f"deploy log\nexport PORTAL_TOKEN={plaintext}\n") or scanner.finish()
    assert finding is not None and finding.kind == "an API token of this portal"
    assert finding.line == 2


def test_a_token_never_reaches_the_audit_trail_or_the_logs_whole(team, member):
    from portal.audit.redaction import redact, redact_audit

    token, plaintext = create(team, member)
    for rule in (redact, redact_audit):
        masked = rule(f"pasted {plaintext} by mistake")
        assert plaintext not in masked
    assert redact_audit(f"pasted {plaintext}") == f"pasted {token.prefix}_[REDACTED]"
