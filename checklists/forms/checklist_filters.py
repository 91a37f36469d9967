"""Narrowing a checklist's page: provider, category, state, owner and a text search."""

from urllib.parse import urlencode

from django import forms

from checklists.models import Category
from checklists.rules import ProgressState
from checklists.selectors.assessments import ASVS, NO_OWNER

ME = "me"
ANY = [("", "Any")]
NOT_A_CHOICE = {"invalid_choice": "“%(value)s” is not one of the choices; this filter is off."}


class ChecklistFilterForm(forms.Form):
    """Validates the filters in the page's address. A value that is not one of the choices is
    reported next to its field and left out of the query; the other filters still apply."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        strip=True,
        error_messages={"max_length": "Search for at most %(limit_value)d characters."},
    )
    provider = forms.ChoiceField(required=False, error_messages=NOT_A_CHOICE)
    category = forms.ChoiceField(required=False, error_messages=NOT_A_CHOICE)
    state = forms.ChoiceField(
        required=False, choices=ANY + ProgressState.choices, error_messages=NOT_A_CHOICE
    )
    owner = forms.ChoiceField(
        required=False,
        error_messages={
            "invalid_choice": "“%(value)s” is not a member of this team; this filter is off."
        },
    )

    def __init__(self, data, *, checklist, categories, members, user):
        super().__init__(data, auto_id="filter-%s")
        self.user = user
        self.members = {member.get_username(): member for member in members}
        providers = [(p.slug, p.name) for p in checklist.providers.all()]
        if checklist.asvs_level:
            providers.append((ASVS, "OWASP ASVS baseline"))
        self.fields["provider"].choices = ANY + providers
        labels = dict(Category.choices)
        self.fields["category"].choices = ANY + [(c, labels.get(c, c)) for c in categories]
        self.fields["owner"].choices = [
            ("", "Anyone"),
            (NO_OWNER, "No owner"),
            (ME, "Me"),
            *((name, name) for name in self.members),
        ]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": "Ref, title or requirement"}
        )

    def clean_owner(self):
        value = self.cleaned_data["owner"]
        if value == ME:
            return self.user
        if value in self.members:
            return self.members[value]
        return value or None  # NO_OWNER or nobody chosen

    def filters(self) -> dict:
        """The valid filters, as `selectors.checklist_attestations` takes them."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "search": data.get("q", ""),
            "provider": data.get("provider", ""),
            "category": data.get("category", ""),
            "state": data.get("state", ""),
            "owner": data.get("owner"),
        }

    def query(self) -> str:
        """The valid filters as a query string (without a page number), for links."""
        self.is_valid()
        kept = {
            name: self.data[name]
            for name in self.fields
            if name in self.cleaned_data and self.data.get(name)
        }
        return urlencode(kept)

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in self.fields)
