"""Forms of the obligation pages: they parse and normalise; the services decide (and name the
field a refusal is about, so it shows next to it)."""

from django import forms
from django.utils import timezone

from checklists.models import Cadence, Control, ObligationKind
from checklists.schedule import MONTH_NAMES, Rule
from portal.accounts.permissions import assignable_owners
from portal.widgets import DateInput

QUARTER_MONTHS = [
    (1, "First month (January, April, July, October)"),
    (2, "Second month (February, May, August, November)"),
    (3, "Third month (March, June, September, December)"),
]
RULE_FIELDS = ("cadence", "interval_days", "quarter_month", "month", "day")


def _choice(choices, label: str):
    return [("", label), *choices]


class ObligationForm(forms.Form):
    """What the obligation says. The rule's fields become one `rule`; those its cadence does
    not use are ignored."""

    kind = forms.ChoiceField(choices=_choice(ObligationKind.choices, "Choose…"), required=False)
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5_000
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    cadence = forms.ChoiceField(choices=Cadence.choices, label="Falls due")
    interval_days = forms.IntegerField(
        label="Every how many days", required=False, help_text="For “every N days”."
    )
    quarter_month = forms.TypedChoiceField(
        label="Month of the quarter",
        choices=_choice(QUARTER_MONTHS, "—"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For “every quarter”.",
    )
    month = forms.TypedChoiceField(
        choices=_choice([(n, MONTH_NAMES[n]) for n in range(1, 13)], "—"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For “every year”.",
    )
    day = forms.IntegerField(
        label="Day of the month",
        required=False,
        help_text="For “every quarter” or “every year”; a day the month lacks means its last day.",
    )
    starts_on = forms.DateField(
        label="First due on or after",
        widget=DateInput(),
        help_text="Every N days: the first due date; otherwise the rule's first date from it.",
    )
    controls = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=(
            "Controls of the team's checklists whose approved answers this duty keeps current "
            "(hold Ctrl, or ⌘ on a Mac, to choose several)."
        ),
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(team)
        self.fields["controls"].queryset = (
            Control.objects.filter(attestations__checklist__team=team).distinct().order_by("ref")
        )
        self.fields["controls"].label_from_instance = lambda control: (
            f"{control.ref}: {control.title}"
        )
        self.fields["starts_on"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        cadence = cleaned.get("cadence")
        if cadence is None:
            return cleaned
        if cadence == Cadence.EVERY_N_DAYS:
            rule = Rule(cadence, cleaned.get("interval_days"))
        elif cadence == Cadence.QUARTERLY:
            rule = Rule(cadence, None, cleaned.get("quarter_month"), cleaned.get("day"))
        else:
            rule = Rule(cadence, None, cleaned.get("month"), cleaned.get("day"))
        problem = rule.check()
        if problem:
            field, message = problem
            if field == "month" and cadence == Cadence.QUARTERLY:
                field = "quarter_month"
            self.add_error(field, message)
            return cleaned
        for name in RULE_FIELDS:
            cleaned.pop(name, None)
        cleaned["rule"] = rule
        return cleaned

    @staticmethod
    def initial_for(obligation) -> dict:
        quarterly = obligation.cadence == Cadence.QUARTERLY
        return {
            "kind": obligation.kind,
            "title": obligation.title,
            "description": obligation.description,
            "owner": obligation.owner_id,
            "cadence": obligation.cadence,
            "interval_days": obligation.interval_days,
            "quarter_month": obligation.month if quarterly else None,
            "month": None if quarterly else obligation.month,
            "day": obligation.day,
            "starts_on": obligation.starts_on,
            "controls": [control.pk for control in obligation.controls.all()],
        }


class ObligationEditForm(ObligationForm):
    """The kind and the start stay as created: a new rule applies from the next occurrence."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]
        del self.fields["starts_on"]


class RetireForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2_000,
        help_text="Why the duty no longer applies.",
    )


class CompleteForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5_000,
        help_text="What was done, where, by whom. Never paste the new secret.",
    )
    done_on = forms.DateField(
        label="Done on", widget=DateInput(), help_text="The day the duty was done."
    )
    upload = forms.FileField(
        label="Evidence file",
        required=False,
        help_text=(
            "Optional. PDF, PNG, JPEG, or text (txt, csv, json, md, log, yaml). "
            "Never upload live keys or tokens."
        ),
    )
    evidence_description = forms.CharField(
        label="What the file shows", max_length=500, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate()


class SendBackForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5_000,
        help_text="Required to send it back: what is missing or wrong.",
    )


class MoveDueForm(forms.Form):
    due_on = forms.DateField(label="New due date", widget=DateInput(), required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2_000,
        help_text="Why the due date moves.",
    )
