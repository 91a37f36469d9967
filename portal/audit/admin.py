"""The audit trail in the Django admin: read-only, nothing can be added, changed or deleted."""

from django.contrib import admin

from portal.audit.models import AuditCheckpoint, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False  # no COUNT(*) over a million rows on every page

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "sequence",
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "team_id",
    )
    # Exact lookups only: each uses an index.
    search_fields = ("=action", "=actor_label", "=object_id")
    list_select_related = False
    ordering = ("-sequence",)


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "hash", "created_at", "key_id")
    ordering = ("-sequence",)
