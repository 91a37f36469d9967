"""The second sign-in step, setting up an authenticator app, and the account security page.

The rules and every change live in `two_factor`; these views hand forms to it and pages the
flags they show.
"""

import segno
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from portal.accounts import two_factor
from portal.accounts.two_factor_forms import AppCodeForm, CodeForm, TurnOffForm

# The secret of an app being set up, until a code from it confirms it.
PENDING_SETUP = "two_factor_pending_key"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked_out(request: HttpRequest) -> HttpResponse:
    """The same page as a locked-out password; the half-finished sign-in ends here."""
    username = request.user.get_username()
    logout(request)
    return get_lockout_response(request, None, {"username": username})


def _apply(form, action):
    """The service's refusal next to the field it names, or on the form."""
    try:
        return action()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error.messages)
        return None


def _backup_codes_page(request, codes: list[str], *, continue_url: str, first: bool):
    return render(
        request,
        "registration/two_factor_backup_codes.html",
        {"codes": codes, "continue_url": continue_url, "first": first},
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if two_factor.is_verified(user):
        return HttpResponseRedirect(_next_url(request))
    if not two_factor.has_two_factor(user):  # reset by an administrator meanwhile
        two_factor.code_step_dropped(request)
        if two_factor.must_use_two_factor(user):
            return redirect("two_factor_enrol")
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if two_factor.is_locked_out(request, user):
            return _locked_out(request)
        if form.is_valid():
            check = two_factor.second_factor_check(
                user=user, code=form.cleaned_data["code"], request=request
            )
            if check.device is not None:
                two_factor.code_step_done(request, check.device)
                return HttpResponseRedirect(_next_url(request))
            if getattr(request, "axes_locked_out", False):
                return _locked_out(request)
            form.add_error("code", check.refusal)
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


def _qr_svg(url: str) -> str:
    # Drawn here, as markup: the page needs no script (the CSP allows none inline).
    svg = segno.make(url, error="m").svg_inline(
        scale=5, title="QR code to scan with your authenticator app", svgclass="qr-code"
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup, with no user input but the URL


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if two_factor.has_two_factor(user):
        if not two_factor.is_verified(user):
            return redirect("two_factor_verify")
        messages.info(request, "Two-factor sign-in is already on.")
        return redirect("account_security")
    secret = request.session.get(PENDING_SETUP)
    if not secret:
        secret = request.session[PENDING_SETUP] = two_factor.new_secret()
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = _apply(
            form,
            lambda: two_factor.two_factor_enrol(
                user=user, secret=secret, code=form.cleaned_data["code"]
            ),
        )
        if enrolled:
            device, codes = enrolled
            del request.session[PENDING_SETUP]
            two_factor.code_step_done(request, device)
            return _backup_codes_page(request, codes, continue_url=_next_url(request), first=True)
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "required": two_factor.must_use_two_factor(user),
            "qr_svg": _qr_svg(two_factor.otpauth_url(user, secret)),
            "secret_text": two_factor.secret_for_typing(secret),
        },
        status=400 if form.errors else 200,
    )


def _security_page(request: HttpRequest, disable_form=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "accounts/security.html",
        {
            "status": two_factor.security_status(request.user),
            "disable_form": disable_form or TurnOffForm(),
        },
        status=status,
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@require_POST
@login_required
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    try:
        codes = two_factor.backup_codes_regenerate(user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("account_security")
    return _backup_codes_page(
        request, codes, continue_url=resolve_url("account_security"), first=False
    )


@require_POST
@login_required
def disable(request: HttpRequest) -> HttpResponse:
    form = TurnOffForm(request.POST)
    if form.is_valid():
        done = _apply(
            form,
            lambda: (
                two_factor.two_factor_disable(
                    user=request.user, code=form.cleaned_data["code"], request=request
                )
                or True
            ),
        )
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
        if done:
            messages.success(
                request, "Two-factor sign-in is off. Your backup codes no longer work."
            )
            return redirect("account_security")
    return _security_page(request, disable_form=form, status=400)
