from django.contrib import admin
from django.db import models, transaction
from django.db.models import QuerySet

from checklists.models import (
    Attestation,
    Checklist,
    Control,
    EquivalenceGroup,
    Evidence,
    OwaspReference,
    Provider,
    ReviewDecision,
    Source,
)
from portal.audit import services as audit


def _plain(value):
    """A form value as JSON for the audit trail: model rows and querysets become their labels."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | QuerySet):
        return [_plain(item) for item in value]
    return str(value)


class AuditedAdmin(admin.ModelAdmin):
    """Catalog edits made by hand in the admin are recorded like every other change."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(
                f"checklists.{obj._meta.model_name}.{'changed' if change else 'created'}",
                actor=request.user,
                obj=obj,
                changes={
                    name: [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))]
                    for name in form.changed_data
                },
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(f"checklists.{obj._meta.model_name}.deleted", actor=request.user, obj=obj)
            super().delete_model(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Controls are retired, never deleted: attestations keep pointing at them.
        return False


@admin.register(Provider)
class ProviderAdmin(AuditedAdmin):
    list_display = ("name", "slug", "incident_email")
    search_fields = ("name", "slug")


@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    list_display = ("title", "kind", "provider", "version")
    list_filter = ("kind", "provider")
    search_fields = ("title", "slug")


@admin.register(OwaspReference)
class OwaspReferenceAdmin(AuditedAdmin):
    list_display = ("code", "standard", "short_title", "asvs_level")
    list_filter = ("standard", "asvs_level")
    search_fields = ("code", "title", "section")

    @admin.display(description="title")
    def short_title(self, reference):
        return reference.title[:100]


class MemberInline(admin.TabularInline):
    model = Control
    fields = ("ref", "title", "source")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EquivalenceGroup)
class EquivalenceGroupAdmin(AuditedAdmin):
    list_display = ("title", "slug")
    search_fields = ("title", "slug", "controls__ref")
    inlines = (MemberInline,)


@admin.register(Control)
class ControlAdmin(AuditedAdmin):
    list_display = ("ref", "title", "source", "category", "severity", "recurrence_days", "retired")
    list_filter = (
        "source__provider",
        "source",
        "category",
        "severity",
        "retired",
        "equivalence_group",
    )
    search_fields = ("ref", "title", "requirement", "owasp__code")
    filter_horizontal = ("owasp",)
    list_select_related = ("source",)
    autocomplete_fields = ("equivalence_group",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Answers, evidence and reviews change only through the portal's pages and their services."""

    formfield_overrides = AuditedAdmin.formfield_overrides

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Checklist)
class ChecklistAdmin(ReadOnlyAdmin):
    list_display = ("team", "period", "asvs_level", "created_at")
    list_filter = ("period", "providers")
    search_fields = ("team__name", "team__slug", "period")
    list_select_related = ("team",)


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdmin):
    list_display = ("control", "checklist", "status", "review_state", "version", "next_review_due")
    list_filter = ("review_state", "status", "checklist__period")
    search_fields = ("control__ref", "checklist__team__name", "statement")
    list_select_related = ("control", "checklist__team")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "team", "kind", "size", "sha256", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "url", "sha256", "team__name", "description")
    list_select_related = ("team", "uploaded_by")
    exclude = ("blob_name",)


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = ("attestation", "decision", "version", "reviewer", "decided_at")
    list_filter = ("decision",)
    search_fields = ("attestation__control__ref", "reviewer__username", "comment")
    list_select_related = ("attestation__control", "attestation__checklist__team", "reviewer")
