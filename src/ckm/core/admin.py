from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ckm.core.models import ApiToken, AuditEntry, ImportRun, Job, Office, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "team", "office", "is_active")
    list_filter = ("role", "team", "office", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("CKM", {"fields": ("role", "team", "office")}))  # type: ignore[misc]
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("CKM", {"fields": ("role", "team", "office")}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "office", "manager")


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "city", "country")
    search_fields = ("code", "name")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_id", "summary")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("label", "kind", "status", "done", "total", "created_at")
    list_filter = ("kind", "status")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "package_name", "status", "issue_count", "created_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "prefix")
