"""Until the second factor is given, a signed-in user reaches only the pages that give it."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from portal.accounts.two_factor import pending_step

STEP_URLS = {"verify": "two_factor_verify", "enrol": "two_factor_enrol"}
# Reachable half-signed-in, besides the step's own page.
OPEN_URLS = ("logout",)


class TwoFactorMiddleware:
    """Goes after django-otp's OTPMiddleware, which tells whether the session is verified.

    Someone who has an authenticator app must enter a code; someone whose role requires one
    and has none must set one up (see `two_factor.must_use_two_factor`). The Django admin is
    behind this too: every admin must use two-factor sign-in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = request.two_factor_step = pending_step(request)
        if step is not None:
            allowed = {reverse(STEP_URLS[step])} | {reverse(name) for name in OPEN_URLS}
            if request.path not in allowed:
                target = reverse(STEP_URLS[step])
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(target)
        return self.get_response(request)
