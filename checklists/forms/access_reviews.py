"""Forms of the access-review campaign pages: they parse; the services decide (and name the
field a refusal is about, so it shows next to it)."""

from django import forms

from checklists.periods import Quarter


class CampaignForm(forms.Form):
    system = forms.CharField(
        max_length=120,
        help_text="The system whose accounts are reviewed, e.g. “CodePay merchant platform”, "
        "“WeChat admin console”, “GoPay portal” or “Cloud console”.",
    )
    period = forms.CharField(
        label="Quarter",
        max_length=7,
        help_text="e.g. 2026-Q4",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].initial = str(Quarter.current())


class RosterForm(forms.Form):
    roster = forms.FileField(
        label="Roster (CSV)",
        help_text="The system's accounts, one per line, with the columns below; UTF-8.",
    )
