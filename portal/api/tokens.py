"""API tokens and service accounts: every change to them, and reading a presented token.

A token reads `cpt_<id>_<secret>`: `cpt_` says what it is (so secret scanners and people
recognise it), the 8-character id is its visible prefix, and the 40-character secret comes
from `secrets`. Only the SHA-256 of the secret is kept, compared in constant time; the
plaintext is returned once, by `token_create`, and cannot be shown again.
"""

import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from guardian.shortcuts import assign_perm

from portal.accounts.models import Team
from portal.accounts.permissions import has_team_perm, is_service_account
from portal.api.models import ApiToken, Scope, ServiceAccount
from portal.audit import services as audit

TOKEN_PREFIX = "cpt_"  # noqa: S105 (what every token starts with, not a secret)
ID_LENGTH = 8
SECRET_LENGTH = 40
_ID_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
TOKEN_RE = re.compile(
    rf"^{TOKEN_PREFIX}([a-z0-9]{{{ID_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})$"
)

MAX_LIFETIME = timedelta(days=365)
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
_NAME_RE = re.compile(r"^\w[\w .,:'()/+-]*$")
_SERVICE_ACCOUNT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# last_used_at is written at most this often per token, so busy pipelines cost no extra writes.
LAST_USED_PRECISION = timedelta(minutes=1)

# The permissions on its team a token of each scope may use, whatever its user holds.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    Scope.READ: frozenset({"view_team", "export_team"}),
    Scope.EVIDENCE_WRITE: frozenset({"view_team", "export_team", "attest_team"}),
}
# What a service account's user holds on its team; its tokens' scopes narrow it further.
SERVICE_ACCOUNT_PERMISSIONS = ("view_team", "attest_team")


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_plaintext() -> tuple[str, str, str]:
    """(prefix, secret, the whole token)."""
    token_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    prefix = f"{TOKEN_PREFIX}{token_id}"
    return prefix, secret, f"{prefix}_{secret}"


def expiry_of(expires_on: date) -> datetime:
    """A token works through its last day: it expires when the next day starts (portal time)."""
    return timezone.make_aware(datetime.combine(expires_on + timedelta(days=1), time.min))


def latest_expiry_date(today: date) -> date:
    return today + MAX_LIFETIME


def day(value: date) -> str:
    """A date as the pages write it: 3 Dec 2027."""
    return f"{value.day} {value:%b %Y}"


# Rules ---------------------------------------------------------------------------------------


def name_problem(name: str) -> str | None:
    if not name:
        return "Give the token a name that says where it is used, e.g. “CI upload”."
    if len(name) > NAME_MAX_LENGTH:
        return f"Keep the name to {NAME_MAX_LENGTH} characters (it has {len(name)})."
    if not _NAME_RE.match(name):
        return (
            "Use letters, digits, spaces and . , : ' ( ) / + - _ in the name, "
            "starting with a letter or digit."
        )
    return None


def expiry_problem(expires_on: date | None, *, today: date) -> str | None:
    if expires_on is None:
        return "Choose the day the token stops working (at most a year from today)."
    if expires_on < today:
        return f"Choose a day from today ({day(today)}) on; {day(expires_on)} has passed."
    latest = latest_expiry_date(today)
    if expires_on > latest:
        return (
            f"A token works for at most a year: choose {day(latest)} or earlier, "
            "and make a new token when it expires."
        )
    return None


def _scope_problem(scope: str) -> str | None:
    if scope not in Scope.values:
        return "Choose the scope: read, or evidence-write."
    return None


def _holder_problem(
    *, team: Team, scope: str, by, service_account: ServiceAccount | None
) -> tuple[str | None, str] | None:
    """Why `by` may not make this token, as (the field it concerns or None, the reason), or
    None if they may."""
    if is_service_account(by):
        return None, "A service account cannot make tokens; a team lead makes them."
    if service_account is not None:
        if service_account.team_id != team.pk:
            return "team", f"The service account {service_account.name} belongs to another team."
        if not has_team_perm(by, "manage_team", team):
            return None, f"Only a lead of {team} can make tokens for its service accounts."
        return None
    if not has_team_perm(by, "view_team", team):
        return "team", f"You are not a member of {team}, so a token of yours cannot reach it."
    if scope == Scope.EVIDENCE_WRITE and not has_team_perm(by, "attest_team", team):
        return "scope", (
            f"You cannot add evidence for {team}, so a token of yours cannot either: "
            "choose the read scope."
        )
    return None


def _name_taken_problem(team: Team, name: str, now: datetime) -> str | None:
    clash = ApiToken.objects.filter(team=team, name=name, revoked_at__isnull=True).first()
    if clash is None:
        return None
    if clash.expires_at <= now:
        return (
            f"The token “{name}” ({clash.prefix}) expired but is not revoked yet: revoke it, "
            "or choose another name."
        )
    return f"{team} already has a token named “{name}” ({clash.prefix}); choose another name."


# Services ------------------------------------------------------------------------------------


def token_create(
    *,
    team: Team,
    name: str,
    scope: str,
    expires_on: date | None,
    by,
    service_account: ServiceAccount | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `team`, acting as `by` or, given one, as the team's service account.
    Returns the token and its plaintext, which is shown once and never kept."""
    name = (name or "").strip()
    now = timezone.now()
    problems = {
        "name": name_problem(name),
        "scope": _scope_problem(scope),
        "expires_on": expiry_problem(expires_on, today=timezone.localdate(now)),
    }
    holder = _holder_problem(team=team, scope=scope, by=by, service_account=service_account)
    if holder:
        field, problem = holder
        problems[field or "__all__"] = problem
    problems = {field: problem for field, problem in problems.items() if problem}
    if not problems:
        taken = _name_taken_problem(team, name, now)
        if taken:
            problems["name"] = taken
    if problems:
        raise ValidationError(problems)
    acts_as = service_account.user if service_account is not None else by
    prefix, secret, plaintext = _new_plaintext()
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a simultaneous same name lands here
                token = ApiToken.objects.create(
                    team=team,
                    user=acts_as,
                    name=name,
                    prefix=prefix,
                    digest=secret_digest(secret),
                    scope=scope,
                    expires_at=expiry_of(expires_on),
                    created_by=by,
                )
        except IntegrityError:
            raise ValidationError(
                {"name": f"{team} already has a token named “{name}”; choose another name."}
            ) from None
        audit.record(
            "api.token.created",
            actor=by,
            obj=token,
            team=team,
            changes={
                "name": audit.change(None, name),
                "prefix": prefix,
                "scope": audit.change(None, scope),
                "expires_at": audit.change(None, token.expires_at.isoformat()),
                "acts_as": acts_as.get_username(),
                "service_account": service_account.name if service_account else None,
            },
        )
    return token, plaintext


def may_revoke(user, token: ApiToken) -> bool:
    """The person it acts as, or a lead of its team (who may stop any of the team's tokens)."""
    return token.user_id == user.pk or has_team_perm(user, "manage_team", token.team)


def token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Stop the token for good. Revoking it again changes nothing."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update(of=("self",)).select_related("team").get(pk=token.pk)
        )
        if not may_revoke(by, token):
            raise ValidationError("Only the token's owner or a lead of its team can revoke it.")
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=("revoked_at", "revoked_by"))
        audit.record(
            "api.token.revoked",
            actor=by,
            obj=token,
            team=token.team,
            changes={
                "name": token.name,
                "prefix": token.prefix,
                "revoked_at": audit.change(None, token.revoked_at.isoformat()),
            },
        )
    return token


def service_account_username(team: Team, name: str) -> str:
    return f"svc.{team.slug}.{name}"


def service_account_create(*, team: Team, name: str, by) -> ServiceAccount:
    """A service account for the team: a user that holds the team's member permissions but
    can never sign in to the pages (no usable password) and never approve anything."""
    name = (name or "").strip().lower()
    if not _SERVICE_ACCOUNT_NAME_RE.match(name):
        raise ValidationError(
            {
                "name": "Use 2 to 40 lower-case letters, digits and hyphens, starting with a "
                "letter or digit, e.g. ci-pipeline."
            }
        )
    if is_service_account(by) or not has_team_perm(by, "manage_team", team):
        raise ValidationError(f"Only a lead of {team} can add service accounts to it.")
    if ServiceAccount.objects.filter(team=team, name=name).exists():
        raise ValidationError({"name": f"{team} already has a service account named {name}."})
    User = get_user_model()
    username = service_account_username(team, name)
    if User._default_manager.filter(username=username).exists():
        raise ValidationError({"name": f"The user name {username} is taken; choose another name."})
    with transaction.atomic():
        user = User(username=username, first_name=name, last_name="(service account)")
        user.set_unusable_password()
        user.save()
        for perm in SERVICE_ACCOUNT_PERMISSIONS:
            assign_perm(f"accounts.{perm}", user, team)
        try:
            with transaction.atomic():
                account = ServiceAccount.objects.create(
                    team=team, name=name, user=user, created_by=by
                )
        except IntegrityError:
            raise ValidationError(
                {"name": f"{team} already has a service account named {name}."}
            ) from None
        audit.record(
            "api.service_account.created",
            actor=by,
            obj=account,
            team=team,
            changes={"name": audit.change(None, name), "user": username},
        )
    return account


# Reads for the token pages --------------------------------------------------------------------


def tokens_of(user) -> QuerySet[ApiToken]:
    """The tokens that act as `user`, newest first."""
    return (
        ApiToken.objects.filter(user=user)
        .select_related("team", "user", "user__service_account")
        .order_by("-created_at")
    )


def tokens_of_team(team: Team) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.filter(team=team)
        .select_related("team", "user", "user__service_account")
        .order_by("-created_at")
    )


def service_accounts_of(team: Team) -> QuerySet[ServiceAccount]:
    return (
        ServiceAccount.objects.filter(team=team)
        .select_related("user", "created_by")
        .order_by("name")
    )


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    state: str  # live, expired, revoked
    works_until: date
    acts_as: str


def token_rows(tokens: Iterable[ApiToken], *, now: datetime) -> list[TokenRow]:
    """Tokens (with their user and service account) as the pages list them."""
    rows = []
    for token in tokens:
        account = getattr(token.user, "service_account", None)
        person = token.user.get_full_name() or token.user.get_username()
        rows.append(
            TokenRow(
                token=token,
                state=token.state(now),
                works_until=timezone.localdate(token.expires_at) - timedelta(days=1),
                acts_as=f"service account {account.name}" if account else person,
            )
        )
    return rows


# A presented token ---------------------------------------------------------------------------


class TokenRefused(Exception):
    """The presented token cannot be used; `message` says why, without echoing it. `token`
    is the stored token it names, when it names one (for the audit trail)."""

    def __init__(self, message: str, token: ApiToken | None = None):
        super().__init__(message)
        self.message = message
        self.token = token


NOT_VALID = "The API token is not valid. Check it was copied whole, or make a new one."


def token_for(plaintext: str, *, now: datetime) -> ApiToken:
    """The live token `plaintext` is, with its user and team; TokenRefused otherwise."""
    match = TOKEN_RE.match(plaintext or "")
    if match is None:
        raise TokenRefused(NOT_VALID)
    prefix = f"{TOKEN_PREFIX}{match.group(1)}"
    token = (
        ApiToken.objects.select_related("user", "team", "user__service_account")
        .filter(prefix=prefix)
        .first()
    )
    if token is None:
        raise TokenRefused(NOT_VALID)
    if not hmac.compare_digest(token.digest, secret_digest(match.group(2))):
        raise TokenRefused(NOT_VALID, token)
    if token.revoked_at is not None:
        raise TokenRefused(f"The API token {prefix} was revoked.", token)
    if token.expires_at <= now:
        last_day = timezone.localdate(token.expires_at) - timedelta(days=1)
        raise TokenRefused(
            f"The API token {prefix} expired at the end of {day(last_day)}; make a new one.",
            token,
        )
    if not token.user.is_active:
        raise TokenRefused(f"The account the API token {prefix} acts as is deactivated.", token)
    return token


def token_used(*, token: ApiToken, method: str, path: str, now: datetime) -> None:
    """Record one use of the token (method and path, never the query string)."""
    with transaction.atomic():
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        audit.record(
            "api.token.used",
            actor=token.user,
            actor_label=token.actor_label,
            obj=token,
            team=token.team,
            changes={"method": method, "path": path[:500]},
        )


def token_refused(*, token: ApiToken, reason: str, method: str, path: str) -> None:
    """Record that a token the portal knows was presented and refused (wrong secret,
    revoked, expired): someone holds it who should not, or a pipeline needs a new one."""
    with transaction.atomic():
        audit.record(
            "api.token.refused",
            actor_label=token.actor_label,
            obj=token,
            team=token.team,
            changes={"method": method, "path": path[:500]},
            reason=reason,
        )
