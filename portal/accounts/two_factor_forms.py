from django import forms

from portal.accounts.two_factor import normalise_code


class CodeForm(forms.Form):
    """A code from the authenticator app, or (where offered) one of the backup codes."""

    code = forms.CharField(
        label="Authentication code",
        max_length=24,
        error_messages={"required": "Enter a code."},
        help_text="The 6-digit code your authenticator app shows, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError("Enter a code.")
        return code


class AppCodeForm(CodeForm):
    """A code from the app being set up: backup codes do not exist yet."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = "The 6-digit code the app shows for this account now."
        self.fields["code"].widget.attrs["inputmode"] = "numeric"


class TurnOffForm(CodeForm):
    """On the security page, below other actions: it does not take the focus."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_off_%s")
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.pop("autofocus", None)
