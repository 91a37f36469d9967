"""Forms of the schedule and notification pages."""

from django import forms

from checklists.models import DigestFrequency


class ScheduleFilterForm(forms.Form):
    team = forms.ChoiceField(required=False)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Every team"), *((t.slug, t.name) for t in teams)]
        self.fields["team"].error_messages["invalid_choice"] = (
            "Choose one of your teams (“%(value)s” is not one)."
        )


class ReminderPreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        label="Reminder digest",
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        help_text="One e-mail listing what falls due soon and what is overdue.",
        error_messages={"required": "Choose how often the reminders come: daily or weekly."},
    )


class CalendarFeedForm(forms.Form):
    """Creating, rotating or revoking a feed takes no input; the form carries the refusal."""
