"""Giving several controls of a checklist one owner at once (or clearing it)."""

from django import forms

from checklists.selectors.assessments import NO_OWNER

SELECTED = "selected"
MATCHING = "matching"


class OwnerAssignForm(forms.Form):
    attestations = forms.ModelMultipleChoiceField(queryset=None, required=False)
    scope = forms.ChoiceField(
        label="Which controls",
        choices=((SELECTED, "The controls I ticked"), (MATCHING, "All controls matching")),
        initial=SELECTED,
        widget=forms.RadioSelect,
    )
    owner = forms.ChoiceField(
        label="New owner",
        error_messages={
            "required": "Choose the new owner, or “Nobody” to clear the owner.",
            "invalid_choice": "%(value)s is not a member of this team.",
        },
    )

    def __init__(self, data=None, *, checklist, members):
        super().__init__(data, auto_id="assign-%s")
        self.members = {member.get_username(): member for member in members}
        self.fields["attestations"].queryset = checklist.attestations.all()
        self.fields["owner"].choices = [
            ("", "Choose…"),
            (NO_OWNER, "Nobody (clear the owner)"),
            *((name, name) for name in self.members),
        ]

    def describe_matching(self, count: int, *, filtered: bool) -> None:
        """Say how many controls "all matching" stands for on the page it is shown on."""
        everything = f"All {count} controls {'matching the filter' if filtered else 'listed'}"
        self.fields["scope"].choices = ((SELECTED, "The controls I ticked"), (MATCHING, everything))

    def clean_owner(self):
        return self.members.get(self.cleaned_data["owner"])  # None: clear the owner

    def clean(self):
        data = super().clean()
        if data.get("scope") == SELECTED and not data.get("attestations"):
            self.add_error(
                "attestations", "Tick the controls to assign, or choose all matching the filter."
            )
        return data

    def selected_ids(self) -> set[str]:
        """What was ticked, to tick it again when the page comes back with an error."""
        return set(self.data.getlist("attestations")) if self.is_bound else set()
