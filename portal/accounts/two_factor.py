"""Two-factor sign-in: who must use it, and every change to someone's second factor.

A person's second factor is a confirmed TOTP device (an authenticator app) plus a static
device holding their unused backup codes, both kept by django-otp. A session counts as
verified once django-otp has stored the device that checked a code in it.

Codes and secrets never reach the audit trail or the logs: events name what happened only.
"""

import math
import re
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from portal.accounts.permissions import holds_global_role
from portal.audit import services as audit
from portal.audit.context import client_ip

BACKUP_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

WRONG_CODE = "That code is not right. Enter the 6-digit code your app shows now, or a backup code."
REQUIRED_FOR_ROLE = (
    "Your role requires two-factor sign-in, so it cannot be turned off. "
    "If you lost your device, ask a portal administrator to reset it."
)
ALREADY_ON = "Two-factor sign-in is already on for this account."

_TOTP_CODE = re.compile(r"^\d{6}$")
# In the sign-in's session: the password was right and a code from the app is due.
CODE_DUE = "two_factor_code_due"


# The rule ------------------------------------------------------------------------------------


def must_use_two_factor(user) -> bool:
    """Whether the user may only use the portal after a second factor: portal admins (staff,
    superusers) and everyone whose access reaches every team (security reviewers, auditors).
    Team members and leads may turn it on, and off again."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_staff or user.is_superuser or holds_global_role(user))


# Reads ---------------------------------------------------------------------------------------


def authenticator_of(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if two-factor sign-in is on."""
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_two_factor(user) -> bool:
    return user.is_authenticated and (
        TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
    )


def is_verified(user) -> bool:
    """Whether django-otp found a device that checked a code in this sign-in. (Right after
    the password step, `request.user` is the plain user, which nothing has verified.)"""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def pending_step(request: HttpRequest) -> str | None:
    """What a signed-in but unverified user must do before anything else: "verify" (enter a
    code), "enrol" (set up an app, as their role requires it), or None (nothing).

    Whoever must use two-factor sign-in is checked on every request. For the others, the
    password step notes whether a code is due (`password_step_done`), so their pages cost no
    extra query."""
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return None
    if must_use_two_factor(user):
        return "verify" if has_two_factor(user) else "enrol"
    if request.session.get(CODE_DUE):
        return "verify"
    return None


def password_step_done(request: HttpRequest) -> str | None:
    """After the password was right: notes whether a code is due, and returns the step due."""
    if has_two_factor(request.user):
        request.session[CODE_DUE] = True
    return pending_step(request)


def code_step_dropped(request: HttpRequest) -> None:
    """No code is due any more: the user's devices were removed during the sign-in."""
    request.session.pop(CODE_DUE, None)


def code_step_done(request: HttpRequest, device) -> None:
    """The code was right: the session is verified by `device`."""
    otp_login(request, device)
    request.session.pop(CODE_DUE, None)
    sign_in_completed(request, request.user)


@dataclass(frozen=True)
class SecurityStatus:
    enabled: bool
    required: bool
    backup_codes_left: int
    may_turn_off: bool


def security_status(user) -> SecurityStatus:
    device = authenticator_of(user)
    required = must_use_two_factor(user)
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return SecurityStatus(
        enabled=device is not None,
        required=required,
        backup_codes_left=left if device else 0,
        may_turn_off=device is not None and not required,
    )


def new_secret() -> str:
    """A fresh TOTP secret (hex), for an enrolment not yet confirmed."""
    return default_key()


def otpauth_url(user, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return TOTPDevice(user=user, key=secret).config_url


def secret_for_typing(secret: str) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups of four."""
    text = b32encode(unhexlify(secret)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


# Services ------------------------------------------------------------------------------------


def _new_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with fresh ones; returns them (to be shown once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_enrol(*, user, secret: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor sign-in on with the app holding `secret`, once it shows a current
    code. Returns the confirmed device and the backup codes, which are shown once."""
    if not _TOTP_CODE.match(normalise_code(code)):
        raise ValidationError({"code": "Enter the 6-digit code your app shows now."})
    totp = TOTP(unhexlify(secret))
    if not totp.verify(int(normalise_code(code)), tolerance=1):
        raise ValidationError(
            {
                "code": "That code does not match. Check the app shows this account and the "
                "device's clock is right, then enter the code it shows now."
            }
        )
    with transaction.atomic():
        if has_two_factor(user):
            raise ValidationError(ALREADY_ON)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=DEVICE_NAME, key=secret, confirmed=True, last_t=totp.t()
        )
        codes = _new_backup_codes(user)
        audit.record(
            "accounts.two_factor.enrolled",
            actor=user,
            obj=user,
            changes={"backup_codes": BACKUP_CODE_COUNT},
        )
    return device, codes


def two_factor_provision(*, user, reason: str) -> tuple[str, list[str]]:
    """Two-factor sign-in on with a new key and backup codes, set from the command line (the
    demo data), not from the app. Returns the key (hex) and the backup codes."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        secret = new_secret()
        TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=secret, confirmed=True)
        codes = _new_backup_codes(user)
        audit.record(
            "accounts.two_factor.enrolled",
            obj=user,
            changes={"backup_codes": BACKUP_CODE_COUNT},
            reason=reason,
        )
    return secret, codes


def backup_codes_regenerate(*, user) -> list[str]:
    """New backup codes for a user with two-factor sign-in on; the old ones stop working."""
    with transaction.atomic():
        if not has_two_factor(user):
            raise ValidationError("Turn two-factor sign-in on first.")
        codes = _new_backup_codes(user)
        audit.record(
            "accounts.two_factor.backup_codes_regenerated",
            actor=user,
            obj=user,
            changes={"backup_codes": BACKUP_CODE_COUNT},
        )
    return codes


def _remove_devices(user) -> int:
    return sum(
        model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
        for model in (TOTPDevice, StaticDevice)
    )


def two_factor_disable(*, user, code: str, request: HttpRequest) -> None:
    """Turn two-factor sign-in off, for someone whose role does not require it, on a current
    code (a wrong one counts as a failed sign-in)."""
    if must_use_two_factor(user):
        raise ValidationError({"code": REQUIRED_FOR_ROLE})
    check = second_factor_check(user=user, code=code, request=request)
    if check.device is None:
        raise ValidationError({"code": check.refusal})
    with transaction.atomic():
        _remove_devices(user)
        audit.record("accounts.two_factor.disabled", actor=user, obj=user)


def two_factor_reset(*, user, by) -> bool:
    """An administrator removes someone's authenticator and backup codes (a lost phone).
    Whoever must use two-factor sign-in is sent to set it up again when they next sign in.
    Returns whether there was anything to remove."""
    with transaction.atomic():
        removed = _remove_devices(user)
        if removed:
            audit.record(
                "accounts.two_factor.reset",
                actor=by,
                obj=user,
                changes={"required": must_use_two_factor(user)},
            )
    return bool(removed)


@dataclass(frozen=True)
class CodeCheck:
    """What checking a code found: the device that accepted it, or why none did."""

    device: object | None = None
    # Seconds django-otp still makes the user wait after recent wrong codes, if it refused.
    wait_seconds: int = 0

    @property
    def refusal(self) -> str:
        if self.wait_seconds:
            return (
                f"Too many wrong codes in a row: wait {self.wait_seconds} seconds, "
                "then enter the code your app shows."
            )
        return WRONG_CODE


def second_factor_check(*, user, code: str, request: HttpRequest) -> CodeCheck:
    """Check a 6-digit app code or a backup code (which is then used up). A wrong code, or one
    sent while django-otp's throttling still waits, is recorded and counts towards the same
    lockout as wrong passwords."""
    code = normalise_code(code)
    model = TOTPDevice if _TOTP_CODE.match(code) else StaticDevice
    wait = 0
    with transaction.atomic():
        device = model.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        if device is not None:
            allowed, details = device.verify_is_allowed()
            if not allowed and details and details.get("locked_until"):
                remaining = (details["locked_until"] - timezone.now()).total_seconds()
                wait = max(1, math.ceil(remaining))
            if not (code and device.verify_token(code)):
                device = None
    if device is not None:
        return CodeCheck(device=device)
    with transaction.atomic():
        audit.record(
            "accounts.two_factor.failed",
            actor=user,
            obj=user,
            changes={"kind": "backup code" if model is StaticDevice else "app code"},
        )
    # django-axes counts this like a wrong password, by username and address.
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return CodeCheck(wait_seconds=wait)


def is_locked_out(request: HttpRequest, user) -> bool:
    return AxesProxyHandler.is_locked(request, credentials={"username": user.get_username()})


def sign_in_completed(request: HttpRequest, user) -> None:
    """Sign-in is complete (both factors where there are two): earlier failures are forgotten."""
    AxesProxyHandler.reset_attempts(username=user.get_username(), ip_address=client_ip(request))
