from django import forms

from portal.accounts.models import Team
from portal.widgets import DateInput


class EventFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, help_text="Exact username.")
    action = forms.CharField(
        required=False,
        max_length=100,
        help_text='A dotted name such as "accounts.membership.added"; end with * for a prefix.',
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, to_field_name="slug", empty_label="All"
    )
    object_type = forms.CharField(
        required=False, max_length=100, help_text='"app_label.model", e.g. "accounts.team".'
    )
    object_id = forms.CharField(required=False, max_length=64)
    date_from = forms.DateField(required=False, label="From", widget=DateInput())
    date_to = forms.DateField(required=False, label="To", widget=DateInput())
    FILTERS = ("actor", "action", "team", "object_type", "object_id", "date_from", "date_to")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_action(self):
        return self.cleaned_data["action"].strip()

    def clean_actor(self):
        return self.cleaned_data["actor"].strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return cleaned

    def filters(self) -> dict:
        """The filter values for selectors.events_filter."""
        return {name: self.cleaned_data[name] for name in self.FILTERS if self.cleaned_data[name]}

    def filters_for_record(self) -> dict:
        """The same, as JSON for the audit event that records an export."""
        values = self.filters()
        return {
            name: (value.slug if name == "team" else str(value)) for name, value in values.items()
        }


class KeysetForm(forms.Form):
    """`?before=<sequence>`: show events older than this one (keyset pagination)."""

    before = forms.IntegerField(required=False, min_value=1)

    def before_value(self) -> int | None:
        return self.cleaned_data["before"] if self.is_valid() else None
