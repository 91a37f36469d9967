"""API tokens and service accounts in the Django admin: read-only (they are made on the
portal's pages, where the secret is shown once), with an audited action to revoke tokens."""

from django.contrib import admin, messages

from portal.api import tokens
from portal.api.models import ApiToken, ServiceAccount


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(_ReadOnly):
    list_display = (
        "name",
        "prefix",
        "team",
        "user",
        "scope",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope",)
    search_fields = ("=prefix", "name", "team__slug", "user__username")
    list_select_related = ("team", "user")
    exclude = ("digest",)
    actions = ("revoke",)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.token_revoke(token=token, by=request.user)
        messages.success(request, "The selected tokens are revoked.")

    def has_revoke_permission(self, request) -> bool:
        return request.user.is_superuser


@admin.register(ServiceAccount)
class ServiceAccountAdmin(_ReadOnly):
    list_display = ("name", "team", "user", "created_by", "created_at")
    search_fields = ("name", "team__slug")
    list_select_related = ("team", "user", "created_by")
