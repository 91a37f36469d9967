"""Forms of the answer, evidence, review and catalog pages; later areas have modules here."""

from django import forms

from checklists import rules
from checklists.models import AnswerStatus
from checklists.models.catalog import Category, OwaspStandard, Provider, Severity, Source
from checklists.periods import Quarter
from portal.accounts.permissions import assignable_owners
from portal.widgets import DateInput


def _blank(choices, label="Any"):
    return [("", label), *choices]


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    provider = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False)
    category = forms.ChoiceField(choices=_blank(Category.choices), required=False)
    severity = forms.ChoiceField(choices=_blank(Severity.choices), required=False)
    standard = forms.ChoiceField(
        label="OWASP standard", choices=_blank(OwaspStandard.choices), required=False
    )
    owasp = forms.CharField(
        label="OWASP id", required=False, max_length=20, help_text="e.g. V2.10.4, A07:2021"
    )
    retired = forms.BooleanField(label="Include retired controls", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = _blank(Provider.objects.values_list("slug", "name"))
        self.fields["source"].choices = _blank(
            Source.objects.filter(controls__isnull=False).distinct().values_list("slug", "title")
        )

    def clean_owasp(self):
        return self.cleaned_data["owasp"].strip()


class ChecklistCreateForm(forms.Form):
    period = forms.CharField(
        max_length=7, help_text="The quarter this checklist covers, e.g. 2026-Q4."
    )
    providers = forms.ModelMultipleChoiceField(
        queryset=Provider.objects.order_by("name"),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The providers the team integrates with.",
    )
    asvs_level = forms.TypedChoiceField(
        label="OWASP ASVS baseline",
        choices=[(0, "None"), (1, "Level 1"), (2, "Level 2 (includes level 1)")],
        coerce=int,
        initial=0,
    )
    copy_previous = forms.BooleanField(
        label="Start from the previous checklist",
        required=False,
        help_text="Earlier answers come over as drafts and their evidence stays linked.",
    )

    def __init__(self, *args, taken_periods: set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        period = Quarter.current()
        while str(period) in taken_periods:
            period = period.next()
        self.fields["period"].initial = str(period)

    def clean_period(self) -> str:
        return str(Quarter.parse(self.cleaned_data["period"].strip()))


class AttestationForm(forms.Form):
    status = forms.ChoiceField(choices=AnswerStatus.choices)
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10_000,
        help_text="How the control is met: where, by what, since when.",
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5_000,
        help_text="Required when the control is partial, not implemented or not applicable.",
    )
    owner = forms.ModelChoiceField(queryset=None, required=False)
    due_date = forms.DateField(required=False, widget=DateInput())
    addresses_all = forms.BooleanField(required=False)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, team, covered_refs=(), may_assign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.covered_refs = list(covered_refs)
        owner = self.fields["owner"]
        owner.queryset = assignable_owners(team)
        if not may_assign:
            owner.disabled = True
            owner.help_text = "A team lead assigns owners."
        if self.covered_refs:
            self.fields["addresses_all"].label = (
                "This answer addresses every requirement listed above, including "
                f"{', '.join(self.covered_refs)}"
            )
        else:
            del self.fields["addresses_all"]

    def clean(self):
        cleaned = super().clean()
        if "status" in cleaned:
            problems = rules.answer_field_problems(
                status=cleaned["status"],
                statement=cleaned.get("statement", ""),
                justification=cleaned.get("justification", ""),
                covered_refs=self.covered_refs,
                addresses_all=cleaned.get("addresses_all", False),
            )
            for field, problem in problems.items():
                self.add_error(field if field in self.fields else None, problem)
        return cleaned


class VersionForm(forms.Form):
    """The version of the answer the person was looking at, to refuse stale forms."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class _EvidenceFields(VersionForm):
    description = forms.CharField(max_length=500, help_text="What this shows, in a sentence.")
    valid_from = forms.DateField(required=False, widget=DateInput())
    valid_until = forms.DateField(required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        problem = rules.evidence_period_problem(
            cleaned.get("valid_from"), cleaned.get("valid_until")
        )
        if problem:
            self.add_error("valid_until", problem)
        return cleaned


class EvidenceUploadForm(_EvidenceFields):
    upload = forms.FileField(
        label="File",
        help_text=(
            "PDF, PNG, JPEG, or text (txt, csv, json, md, log, yaml). "
            "Never upload live keys or tokens."
        ),
    )
    field_order = ("upload", "description", "valid_from", "valid_until")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "upload_%s")  # unique beside the link form on one page
        super().__init__(*args, **kwargs)


class EvidenceLinkForm(_EvidenceFields):
    url = forms.URLField(label="Link", max_length=1000, assume_scheme="https")
    field_order = ("url", "description", "valid_from", "valid_until")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "link_%s")
        super().__init__(*args, **kwargs)

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = rules.link_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


class ReviewForm(VersionForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5_000,
        help_text="Required when you request changes.",
    )

    def __init__(self, *args, comment_required_because: str = "", **kwargs):
        """`comment_required_because`: why approving this answer needs a comment (the rules
        decide; the service refuses without one), shown as the field's help."""
        kwargs.setdefault("auto_id", "review_%s")
        super().__init__(*args, **kwargs)
        if comment_required_because:
            comment = self.fields["comment"]
            comment.label = "Comment (required)"
            comment.help_text = comment_required_because
            comment.widget.attrs["aria-required"] = "true"


class QueueFilterForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="Any"
    )
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.order_by("name"),
        required=False,
        to_field_name="slug",
        empty_label="Any",
    )
    severity = forms.ChoiceField(choices=_blank(Severity.choices), required=False)
    older_than_days = forms.IntegerField(
        label="Waiting at least (days)", required=False, min_value=0
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
