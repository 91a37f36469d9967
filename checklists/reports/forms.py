from django import forms
from django.conf import settings


class ReportRequestForm(forms.Form):
    period = forms.ChoiceField(help_text="The quarter of one of the team's checklists.")

    def __init__(self, *args, periods: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(p, p) for p in periods]


class ReportVerifyForm(forms.Form):
    file = forms.FileField(label="Report (PDF)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.REPORT_VERIFY_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is larger than {limit:,} bytes; no report of the portal is that big."
            )
        return b"".join(upload.chunks())
