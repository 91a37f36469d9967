from django import forms

from portal.audit import actions
from portal.audit.selectors import NO_PERSON
from portal.widgets import DateInput

_DATE_ERRORS = {"invalid": "Enter a date such as 2026-03-31."}


class EventFilterForm(forms.Form):
    """The audit trail's filters, as people ask: which team, who, what happened, when, and
    about what. `action` and the object pair are kept for links that narrow the list to one
    kind of event or one object (an object's "all events" link); they are not typed."""

    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        to_field_name="slug",
        empty_label="All teams",
        error_messages={"invalid_choice": "Choose one of the teams in the list."},
    )
    actor = forms.ChoiceField(
        label="Person",
        required=False,
        error_messages={"invalid_choice": "Choose one of the people in the list."},
    )
    what = forms.ChoiceField(
        label="What happened",
        required=False,
        choices=[("", "Anything"), *actions.group_choices()],
        error_messages={"invalid_choice": "Choose one of the kinds of event in the list."},
    )
    date_from = forms.DateField(
        required=False, label="From", widget=DateInput(), error_messages=_DATE_ERRORS
    )
    date_to = forms.DateField(
        required=False, label="To", widget=DateInput(), error_messages=_DATE_ERRORS
    )
    q = forms.CharField(
        label="About",
        required=False,
        max_length=100,
        help_text="Part of a name, e.g. GOPAY-3.1 or API key.",
    )
    action = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    object_type = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    object_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    FILTERS = (
        "team",
        "actor",
        "what",
        "date_from",
        "date_to",
        "q",
        "action",
        "object_type",
        "object_id",
    )

    def __init__(self, *args, teams, people: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["actor"].choices = [
            ("", "Anyone"),
            (NO_PERSON, "The portal itself (no person)"),
            *people,
        ]

    def clean_q(self):
        return self.cleaned_data["q"].strip()

    def clean_action(self):
        return self.cleaned_data["action"].strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict:
        """The filter values for selectors.events_filter."""
        return {name: self.cleaned_data[name] for name in self.FILTERS if self.cleaned_data[name]}

    def filters_for_record(self) -> dict:
        """The same, as JSON for the audit event that records an export (and for the
        export's own re-run of the filters)."""
        values = self.filters()
        return {
            name: (value.slug if name == "team" else str(value)) for name, value in values.items()
        }

    def narrowed_to(self) -> str:
        """What the hidden filters narrow the list to, in words ("" when they are not set)."""
        if not self.is_valid():
            return ""
        parts = []
        if self.cleaned_data["action"]:
            action = self.cleaned_data["action"]
            parts.append(
                f"events starting {action[:-1]}" if action.endswith("*") else actions.label(action)
            )
        if self.cleaned_data["object_type"]:
            parts.append("one object")
        return ", ".join(parts)


class KeysetForm(forms.Form):
    """`?before=<sequence>`: show events older than this one (keyset pagination)."""

    before = forms.IntegerField(required=False, min_value=1)

    def before_value(self) -> int | None:
        return self.cleaned_data["before"] if self.is_valid() else None
