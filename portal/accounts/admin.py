"""Teams and memberships in the Django admin; every save goes through the services."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import services, two_factor
from portal.accounts.models import Membership, Team
from portal.accounts.permissions import groups_refusal
from portal.accounts.receivers import existing_username
from portal.audit import services as audit

User = get_user_model()


class RefusalsShownMixin:
    """A change a service refuses is shown as an error, with no success message or log entry.

    The admin would otherwise report "changed successfully" and log the change it never made.
    """

    # Whether a refusal leaves the whole object unchanged (else only an inline row was refused).
    refusal_is_whole_change = True

    def refuse(self, request, error: ValidationError) -> None:
        refusals = getattr(request, "_portal_refusals", [])
        refusals.extend(error.messages)
        request._portal_refusals = refusals

    @staticmethod
    def refused(request) -> bool:
        return bool(getattr(request, "_portal_refusals", None))

    def _back_with_errors(self, request):
        for message in request._portal_refusals:
            messages.error(request, message)
        return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        if self.refused(request):
            if obj.pk:  # the object was made; only part of the change was refused
                info = (obj._meta.app_label, obj._meta.model_name)
                for message in request._portal_refusals:
                    messages.error(request, message)
                return HttpResponseRedirect(
                    reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk])
                )
            return self._back_with_errors(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self.refused(request):
            return self._back_with_errors(request)
        return super().response_change(request, obj)

    def log_addition(self, request, obj, message):
        if self.refused(request) and not obj.pk:
            return None
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if self.refused(request) and (self.refusal_is_whole_change or not message):
            return None
        return super().log_change(request, obj, message)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Team)
class TeamAdmin(RefusalsShownMixin, admin.ModelAdmin):
    refusal_is_whole_change = False
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)

    def save_model(self, request, obj, form, change):
        if change:
            services.team_update(team=obj, name=obj.name, slug=obj.slug, by=request.user)
        else:
            created = services.team_create(name=obj.name, slug=obj.slug, by=request.user)
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.team_delete(team=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            services.team_delete(team=team, by=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            try:
                _save_membership_form(request, form.instance, inline_form, formset)
            except ValidationError as error:
                self.refuse(request, error)


def _save_membership_form(request, team, inline_form, formset) -> None:
    instance = inline_form.instance
    if instance.pk and inline_form in formset.deleted_forms:
        services.membership_remove(membership=instance, by=request.user)
        formset.deleted_objects.append(instance)
    elif instance.pk and inline_form.has_changed():
        services.membership_set_role(
            membership=instance, role=inline_form.cleaned_data["role"], by=request.user
        )
        formset.changed_objects.append((instance, inline_form.changed_data))
    elif not instance.pk and inline_form.has_changed() and inline_form.cleaned_data.get("user"):
        created = services.membership_add(
            team=team,
            user=inline_form.cleaned_data["user"],
            role=inline_form.cleaned_data["role"],
            by=request.user,
        )
        formset.new_objects.append(created)


@admin.register(Membership)
class MembershipAdmin(RefusalsShownMixin, admin.ModelAdmin):
    list_display = ("user", "team", "role", "created_at")
    list_filter = ("role", "team")
    search_fields = ("user__username", "user__email", "team__name")
    autocomplete_fields = ("user", "team")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "team") if obj else ()

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.membership_set_role(membership=obj, role=obj.role, by=request.user)
            else:
                created = services.membership_add(
                    team=obj.team, user=obj.user, role=obj.role, by=request.user
                )
                obj.pk = created.pk
        except ValidationError as error:
            self.refuse(request, error)

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.membership_remove(membership=membership, by=request.user)


class PortalUserChangeForm(UserChangeForm):
    """Groups carry the portal roles: a change that would mix them is refused here."""

    def clean_groups(self):
        groups = self.cleaned_data.get("groups")
        if groups is not None:
            refusal = groups_refusal(self.instance, {group.name for group in groups})
            if refusal:
                raise ValidationError(refusal)
        return groups


class AuditedUserAdmin(UserAdmin):
    """The stock user admin, with group and permission changes written to the audit trail."""

    form = PortalUserChangeForm
    actions = ("reset_two_factor",)

    @admin.action(description="Reset two-factor sign-in of selected users (lost device)")
    def reset_two_factor(self, request, queryset):
        reset = [
            user.get_username()
            for user in queryset
            if two_factor.two_factor_reset(user=user, by=request.user)
        ]
        if reset:
            self.message_user(
                request,
                f"Two-factor sign-in reset for {', '.join(reset)}. Whoever's role requires it "
                "sets it up again when they next sign in.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, "None of the selected users had two-factor sign-in on.", messages.WARNING
            )

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before = _access_of(user) if change else ({}, {})
        super().save_related(request, form, formsets, change)
        after = _access_of(user)
        changes = {
            name: audit.change(sorted(before[i] - after[i]), sorted(after[i] - before[i]))
            for i, name in enumerate(("groups", "permissions"))
            if before[i] != after[i]
        }
        if changes:
            audit.record(
                "accounts.user.access_changed", actor=request.user, obj=user, changes=changes
            )

    def save_model(self, request, obj, form, change):
        changed = [
            name
            for name in form.changed_data
            if name not in ("groups", "user_permissions", "password")
        ]
        super().save_model(request, obj, form, change)
        action = "accounts.user.changed" if change else "accounts.user.created"
        audit.record(action, actor=request.user, obj=obj, changes={"fields": changed})

    def log_change(self, request, obj, message):
        # The admin's password form saves without save_model; its change message names it.
        if "password" in str(message):
            audit.record("accounts.user.password_changed", actor=request.user, obj=obj)
        return super().log_change(request, obj, message)

    def delete_model(self, request, obj):
        audit.record("accounts.user.deleted", actor=request.user, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            audit.record("accounts.user.deleted", actor=request.user, obj=user)
        super().delete_queryset(request, queryset)


class AuditedGroupAdmin(GroupAdmin):
    """Groups carry the portal roles: what they may do is recorded whenever it changes."""

    def save_related(self, request, form, formsets, change):
        group = form.instance
        before = set(group.permissions.values_list("codename", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(group.permissions.values_list("codename", flat=True))
        if before != after or not change:
            audit.record(
                "accounts.group.changed" if change else "accounts.group.created",
                actor=request.user,
                obj=group,
                changes={
                    "permissions": audit.change(sorted(before - after), sorted(after - before))
                },
            )

    def delete_model(self, request, obj):
        audit.record("accounts.group.deleted", actor=request.user, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            audit.record("accounts.group.deleted", actor=request.user, obj=group)
        super().delete_queryset(request, queryset)


class AuditedAccessAttemptAdmin(AccessAttemptAdmin):
    """Deleting a locked-out attempt unlocks the account: that is recorded."""

    def delete_model(self, request, obj):
        _record_unlock(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for attempt in queryset:
            _record_unlock(request, attempt)
        super().delete_queryset(request, queryset)


def _record_unlock(request, attempt) -> None:
    audit.record(
        "accounts.login.unlocked",
        actor=request.user,
        changes={
            "username": existing_username(attempt.username),  # a typed value: maybe a password
            "ip_address": attempt.ip_address,
        },
    )


def _access_of(user) -> tuple[set[str], set[str]]:
    if not user.pk:
        return set(), set()
    return (
        set(user.groups.values_list("name", flat=True)),
        set(user.user_permissions.values_list("codename", flat=True)),
    )


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)
# django-otp's own device admins show secrets and change devices unrecorded; two-factor
# sign-in is reset with the audited action on users instead.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AuditedAccessAttemptAdmin)
