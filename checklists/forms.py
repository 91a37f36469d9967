from django import forms

from checklists.models.catalog import Category, OwaspStandard, Provider, Severity, Source


def _blank(choices, label="Any"):
    return [("", label), *choices]


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    provider = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False)
    category = forms.ChoiceField(choices=_blank(Category.choices), required=False)
    severity = forms.ChoiceField(choices=_blank(Severity.choices), required=False)
    standard = forms.ChoiceField(label="OWASP standard", choices=_blank(OwaspStandard.choices), required=False)
    owasp = forms.CharField(label="OWASP id", required=False, max_length=20, help_text="e.g. V2.10.4, A07:2021")
    retired = forms.BooleanField(label="Include retired controls", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = _blank(Provider.objects.values_list("slug", "name"))
        self.fields["source"].choices = _blank(
            Source.objects.filter(controls__isnull=False).distinct().values_list("slug", "title")
        )

    def clean_owasp(self):
        return self.cleaned_data["owasp"].strip()
