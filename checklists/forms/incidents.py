"""Forms of incident contacts and incidents."""

from django import forms
from django.utils import timezone

from checklists import incident_rules as rules
from checklists.forms.credentials import SecretScannedForm, text_field
from checklists.models import Provider
from checklists.models.incidents import Channel, IncidentContact, IncidentSeverity, IncidentStatus
from checklists.services.incidents import team_controls


class ContactForm(SecretScannedForm):
    scanned = ("name", "address", "notes")

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.order_by("name"), to_field_name="slug"
    )
    position = forms.IntegerField(min_value=1, max_value=99, help_text="1 is told first.")
    name = forms.CharField(max_length=120, help_text="A person, a desk or a team.")
    channel = forms.ChoiceField(choices=Channel.choices)
    address = forms.CharField(
        max_length=200, help_text="The e-mail address, phone number or chat handle."
    )
    notes = text_field("Notes", rows=2, help_text="When to use it, office hours, what to include.")

    def __init__(self, *args, team, contact: IncidentContact | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.contact = team, contact
        if contact is not None:
            del self.fields["provider"]

    def clean(self):
        cleaned = super().clean()
        if "channel" in cleaned and "address" in cleaned and not self.has_error("address"):
            problem = rules.contact_address_problem(cleaned["channel"], cleaned["address"])
            if problem:
                self.add_error("address", problem)
        provider = self.contact.provider if self.contact else cleaned.get("provider")
        position = cleaned.get("position")
        if provider and position:
            taken = IncidentContact.objects.filter(
                team=self.team, provider=provider, position=position
            )
            if self.contact is not None:
                taken = taken.exclude(pk=self.contact.pk)
            holder = taken.first()
            if holder is not None:
                self.add_error(
                    "position",
                    f"Position {position} for {provider.name} is already {holder.name}; "
                    "choose another position.",
                )
        return cleaned


class VerifyForm(SecretScannedForm):
    scanned = ("note",)
    note = text_field(
        "How you checked",
        rows=2,
        required=True,
        help_text="e.g. “Called the GoPay desk, addresses confirmed by their support.”",
    )


class IncidentForm(SecretScannedForm):
    scanned = ("title", "summary")

    title = forms.CharField(max_length=200)
    summary = text_field("Summary", rows=4)
    severity = forms.ChoiceField(choices=IncidentSeverity.choices, initial=IncidentSeverity.HIGH)
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="None",
    )
    credential = forms.ModelChoiceField(queryset=None, required=False, empty_label="None")
    controls = forms.ModelMultipleChoiceField(
        queryset=None,
        to_field_name="ref",
        required=False,
        help_text="Controls of the team's checklists this incident concerns.",
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credential"].queryset = team.credentials.filter(
            retired_at__isnull=True
        ).order_by("name")
        self.fields["controls"].queryset = team_controls(team).order_by("ref")
        self.fields["controls"].widget.attrs["size"] = 8


class NoteForm(SecretScannedForm):
    scanned = ("text",)
    text = text_field("Note", rows=3, required=True)


class StatusForm(SecretScannedForm):
    scanned = ("reason",)
    status = forms.ChoiceField(choices=IncidentStatus.choices)
    reason = text_field(
        "Reason", rows=2, help_text="Required when a resolved incident is opened again."
    )


class StepDoneForm(SecretScannedForm):
    scanned = ("note",)
    note = text_field("Note", rows=2, help_text="What was done or found.")


class InformedForm(SecretScannedForm):
    scanned = ("note",)
    informed_at = forms.DateTimeField(
        label="Informed at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=lambda: timezone.localtime().replace(second=0, microsecond=0),
    )
    note = text_field("Note", rows=2, help_text="Whom you told and how, any reference they gave.")

    def clean_informed_at(self):
        value = self.cleaned_data["informed_at"]
        if value and value > timezone.now():
            raise forms.ValidationError(
                "The time the provider was informed cannot be in the future."
            )
        return value
