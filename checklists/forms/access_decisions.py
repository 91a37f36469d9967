"""Forms of access-review decisions: decide on one account, keep many, confirm an action done."""

from django import forms

from checklists.forms.credentials import SecretScannedForm, text_field
from checklists.models.access_reviews import AccessDecisionKind


class DecisionForm(SecretScannedForm):
    scanned = ("new_role", "reason")

    decision = forms.ChoiceField(
        choices=[("", "Choose…"), *AccessDecisionKind.choices],
        error_messages={"required": "Choose keep, change role or revoke."},
    )
    new_role = forms.CharField(
        label="New role",
        max_length=120,
        required=False,
        help_text="Only for a role change: the role the account should have.",
    )
    reason = text_field(
        "Reason",
        rows=2,
        help_text="Needed for a flagged account, a revocation or a role change.",
    )


class ActionDoneForm(SecretScannedForm):
    scanned = ("note",)

    note = text_field(
        "What was done",
        rows=2,
        required=True,
        help_text="e.g. “Removed from the merchant dashboard on 3 December, ticket OPS-112.”",
    )


class BulkKeepForm(forms.Form):
    entry_ids = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=(),
        error_messages={
            "required": "Choose the entries to keep.",
            "invalid_choice": (
                "An entry can no longer be kept at once: it was decided meanwhile, or needs a "
                "decision of its own. Check the list again."
            ),
        },
    )

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry_ids"].choices = [(entry.pk, entry.account) for entry in entries]
