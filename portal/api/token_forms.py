"""Forms of the API token pages: they read and normalise; `portal.api.tokens` decides."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from portal.accounts.permissions import teams_for
from portal.api import tokens
from portal.api.models import Scope

DEFAULT_LIFETIME = timedelta(days=90)


def _expiry_field() -> forms.DateField:
    today = timezone.localdate()
    latest = tokens.latest_expiry_date(today)
    return forms.DateField(
        label="Works until",
        initial=today + DEFAULT_LIFETIME,
        required=False,  # the service says what is missing, in its words
        widget=forms.DateInput(
            attrs={"type": "date", "min": today.isoformat(), "max": latest.isoformat()},
            format="%Y-%m-%d",
        ),
        help_text=f"The last day it works: at most a year, until {tokens.day(latest)}.",
    )


class TokenForm(forms.Form):
    """A token of the person's own, for one of their teams."""

    name = forms.CharField(
        label="Name",
        max_length=tokens.NAME_MAX_LENGTH,
        required=False,
        help_text="Where the token is used, e.g. “CI upload” or “laptop script”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=None,
        empty_label=None,
        help_text="A token reaches this team only.",
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=Scope.choices,
        initial=Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read: see the team's checklists, answers, duties and reports. "
        "Read and write evidence: also attach evidence and record duties done.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_for(user).order_by("name")
        self.fields["expires_on"] = _expiry_field()


class ServiceAccountTokenForm(forms.Form):
    """A token for a service account: its team is the service account's."""

    name = TokenForm.base_fields["name"]
    scope = TokenForm.base_fields["scope"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"] = _expiry_field()


class ServiceAccountForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=40,
        required=False,
        help_text="Lower-case letters, digits and hyphens, e.g. ci-pipeline.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
