"""What every page's layout needs to know about the signed-in user, decided by permissions.py."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.accounts.permissions import navigation_for


def navigation(request: HttpRequest) -> dict:
    # Lazy: pages that never draw the navigation (downloads, errors) never ask.
    return {
        "nav": SimpleLazyObject(lambda: navigation_for(request.user)),
        # Signed in with the password but the second factor is still due: only sign-out.
        "sign_in_unfinished": getattr(request, "two_factor_step", None) is not None,
    }
