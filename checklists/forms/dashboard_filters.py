"""Narrowing the reviewers' dashboard: provider, control severity and owner of answers."""

from urllib.parse import urlencode

from django import forms

from checklists.models import Provider, Severity
from checklists.selectors.assessments import ASVS, NO_OWNER
from checklists.selectors.posture import ASVS_NAME, PostureFilters

ANY = [("", "Any")]
NOT_A_CHOICE = {"invalid_choice": "“%(value)s” is not one of the choices; this filter is off."}


class DashboardFilterForm(forms.Form):
    """Validates the filters in the page's address; a value that is not a choice is reported
    next to its field and left out, the other filters still apply."""

    provider = forms.ChoiceField(required=False, error_messages=NOT_A_CHOICE)
    severity = forms.ChoiceField(
        required=False, choices=ANY + Severity.choices, error_messages=NOT_A_CHOICE
    )
    owner = forms.ChoiceField(
        label="Answers owned by",
        required=False,
        error_messages={
            "invalid_choice": "“%(value)s” is not a member of these teams; this filter is off."
        },
    )

    def __init__(self, data, *, owners):
        super().__init__(data, auto_id="dashboard-%s")
        self.owners = {user.get_username(): user for user in owners}
        self.fields["provider"].choices = (
            ANY
            + list(Provider.objects.order_by("name").values_list("slug", "name"))
            + [(ASVS, ASVS_NAME)]
        )
        self.fields["owner"].choices = [
            ("", "Anyone"),
            (NO_OWNER, "Nobody (unowned)"),
            *((name, name) for name in self.owners),
        ]

    def filters(self) -> PostureFilters:
        self.is_valid()
        data = self.cleaned_data
        owner = data.get("owner") or None
        return PostureFilters(
            provider=data.get("provider", ""),
            severity=data.get("severity", ""),
            owner=self.owners.get(owner, owner),
        )

    def kept(self) -> dict[str, str]:
        """The valid filters as they stand in the address."""
        self.is_valid()
        return {
            name: self.data[name]
            for name in self.fields
            if name in self.cleaned_data and self.data.get(name)
        }

    def query(self) -> str:
        return urlencode(self.kept())

    @property
    def active(self) -> bool:
        return bool(self.kept())
