from django.contrib import admin
from django.db import models

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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browsable, never edited here. The catalog changes through its reviewed YAML files and
    `load_catalog` (an edit here would be reverted by the next load); answers, evidence and
    reviews change only through the portal's pages and their services."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "incident_email")
    search_fields = ("name", "slug")


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "provider", "version")
    list_filter = ("kind", "provider")
    search_fields = ("title", "slug")


@admin.register(OwaspReference)
class OwaspReferenceAdmin(ReadOnlyAdmin):
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
class EquivalenceGroupAdmin(ReadOnlyAdmin):
    list_display = ("title", "slug")
    search_fields = ("title", "slug", "controls__ref")
    inlines = (MemberInline,)


@admin.register(Control)
class ControlAdmin(ReadOnlyAdmin):
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
    list_select_related = ("source",)


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
