"""What the checklist views share: fetching an answer for a permission, and running a form."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from checklists.models import Attestation
from checklists.selectors import assessments as selectors
from portal.accounts.permissions import get_team_or_404


def attestation_or_404(
    request: HttpRequest, slug: str, period: str, ref: str, perm: str
) -> Attestation:
    """The answer, if the user holds `perm` on its team; 404 otherwise."""
    team = get_team_or_404(request.user, slug, perm)
    return get_object_or_404(selectors.attestation_for_page(team=team, period=period, ref=ref))


def back_to(attestation: Attestation) -> HttpResponse:
    return redirect(attestation.get_absolute_url())


def apply_form(
    request: HttpRequest, form, action: Callable[..., object], success: Callable[[object], str]
):
    """Validate the form, hand its data to the service, and tell the person how it went.

    Returns what the service returned, or None when the form or the service refused.
    """
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = (
                form.fields[field].label or field.replace("_", " ").capitalize()
                if field != "__all__"
                else ""
            )
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return None
    try:
        result = action(**form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return None
    messages.success(request, success(result))
    return result
