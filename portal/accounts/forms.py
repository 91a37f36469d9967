from django import forms
from django.contrib.auth.forms import AuthenticationForm

from portal.accounts.models import Role
from portal.accounts.permissions import is_service_account


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def confirm_login_allowed(self, user):
        # A service account acts only through API tokens; refused like a wrong password.
        if is_service_account(user):
            raise self.get_invalid_login_error()
        super().confirm_login_allowed(user)


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="We mail a link to join the team; it works once, for 7 days.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
