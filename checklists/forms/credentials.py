"""Forms of the credential inventory. None of them has a field for a secret: the inventory
records where a secret is kept, never the secret."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from checklists.models import Provider
from checklists.models.credentials import (
    EXPOSURE_QUESTIONS,
    CredentialKind,
    Environment,
    Exposure,
)
from checklists.schedule import MAX_INTERVAL_DAYS
from checklists.services.common import refuse_secrets
from portal.accounts.permissions import assignable_owners
from portal.widgets import DateInput


class SecretScannedForm(forms.Form):
    """Refuses, next to the field, free text that looks like it holds a live credential."""

    scanned: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for name in self.scanned:
            if name not in self.fields or not cleaned.get(name):
                continue
            label = (self.fields[name].label or name).lower()
            try:
                refuse_secrets(**{label: cleaned[name]})
            except ValidationError as error:
                self.add_error(name, error.messages)
        return cleaned


def text_field(label: str, rows: int = 3, required: bool = False, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        required=required,
        max_length=5_000,
        **kwargs,
    )


class CredentialForm(SecretScannedForm):
    scanned = ("name", "kept_in", "notes")

    name = forms.CharField(
        max_length=120, help_text="What the team calls it, e.g. “GoPay client token (checkout)”."
    )
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="No provider in the catalog",
    )
    kind = forms.ChoiceField(choices=CredentialKind.choices)
    environment = forms.ChoiceField(choices=Environment.choices)
    kept_in = forms.CharField(
        label="Where it is kept",
        max_length=300,
        help_text=(
            "The secrets-manager path or the environment variable name, e.g. "
            "“vault:payments/gopay/client-token” or “GOPAY_CLIENT_TOKEN”. Not the value."
        ),
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    rotation_interval_days = forms.IntegerField(
        label="Rotate every (days)", min_value=1, max_value=MAX_INTERVAL_DAYS, initial=90
    )
    created_on = forms.DateField(widget=DateInput(), initial=timezone.localdate)
    last_rotated_on = forms.DateField(
        required=False,
        widget=DateInput(),
        help_text="Leave empty if it was never rotated; the first rotation is due one interval "
        "after this day (or after its creation).",
    )
    notes = text_field("Notes", help_text="Which services use it, who to ask. Never the secret.")

    def __init__(self, *args, team, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(team)
        for field, question in EXPOSURE_QUESTIONS.items():
            self.fields[field] = forms.ChoiceField(
                label=question,
                choices=Exposure.choices,
                initial=Exposure.UNKNOWN,
                widget=forms.RadioSelect,
            )
        self.order_fields(
            [
                "name",
                "provider",
                "kind",
                "environment",
                "kept_in",
                "owner",
                "rotation_interval_days",
                "created_on",
                "last_rotated_on",
                *EXPOSURE_QUESTIONS,
                "notes",
            ]
        )
        if editing:
            # The provider chose the rotation duty's controls, and rotations are recorded on
            # the duty itself (confirmed by a second person), so neither is edited here.
            for field in ("provider", "created_on", "last_rotated_on"):
                del self.fields[field]

    def _not_in_future(self, field: str, what: str):
        value = self.cleaned_data[field]
        if value and value > timezone.localdate():
            raise forms.ValidationError(f"The day {what} cannot be in the future.")
        return value

    def clean_created_on(self):
        return self._not_in_future("created_on", "it was created")

    def clean_last_rotated_on(self):
        return self._not_in_future("last_rotated_on", "of the last rotation")

    def clean(self):
        cleaned = super().clean()
        created, rotated = cleaned.get("created_on"), cleaned.get("last_rotated_on")
        if created and rotated and rotated < created:
            self.add_error(
                "last_rotated_on", "The last rotation cannot be before the credential was created."
            )
        return cleaned


class RetireForm(SecretScannedForm):
    scanned = ("reason",)
    reason = text_field("Reason", rows=2, required=True, help_text="Why it is no longer in use.")


class LeakForm(SecretScannedForm):
    scanned = ("summary",)
    summary = text_field(
        "What happened",
        rows=3,
        required=True,
        help_text="Where it leaked and since when, in a sentence or two. Never paste the secret.",
    )
