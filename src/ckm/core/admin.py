"""The admin site, for administrators: every change made here goes to the audit log like any
other write (`AuditedModelAdmin`; a test checks that every registered model uses it)."""

import datetime as dt
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from ckm.core.audit import audit_record, snapshot
from ckm.core.models import ApiToken, AuditEntry, ImportRun, Job, Office, Role, Team, User
from ckm.core.roles import role_permissions

# never copied into the log: a password hash or a token's hash is a secret even hashed
SECRET_FIELDS = frozenset({"password", "key_hash"})
VIA = "admin site"


def _values(obj: models.Model) -> dict[str, Any]:
    names = [
        f.attname
        for f in obj._meta.concrete_fields
        if f.name != "id" and f.name not in SECRET_FIELDS and f.attname not in SECRET_FIELDS
    ]
    values = snapshot(obj, names)
    for name in names:
        value = getattr(obj, name, None)
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            # the admin's forms keep whole seconds: a record saved as it was is no change
            values[name] = value.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    if isinstance(obj, User):
        values.pop("last_login", None)
    return values


def _customer_ref(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "customers.customer":
        return int(obj.pk)
    customer_id = getattr(obj, "customer_id", None)
    return int(customer_id) if isinstance(customer_id, int) else None


def _m2m(obj: models.Model) -> dict[str, list[str]]:
    return {
        f.name: sorted(str(o) for o in getattr(obj, f.name).all())
        for f in obj._meta.many_to_many
        if obj.pk is not None
    }


def _audit(request: HttpRequest, action: str, obj: models.Model, **entry: Any) -> None:
    audit_record(
        actor=request.user,
        action=action,
        obj=obj,
        object_id=obj.pk or "",
        customer_id=_customer_ref(obj),
        **entry,
    )


class AuditedModelAdmin(admin.ModelAdmin):
    """A model admin whose saves and deletes are audited (values before and after, many-to-many
    links such as a user's groups and permissions, inline rows), in the same transaction."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = _values(stored) if stored is not None else None
        super().save_model(request, obj, form, change)
        _audit(
            request,
            AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE,
            obj,
            summary=VIA,
            before=before if change else None,
            after=_values(obj),
        )
        # many-to-many links are saved after the object (save_related): remember them here
        request._ckm_admin_m2m = _m2m(obj) if change else {}  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_ckm_admin_m2m", {})
        after = _m2m(obj)
        changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if changed and (change or any(after.values())):
            _audit(
                request,
                AuditEntry.Action.UPDATE,
                obj,
                summary=f"{VIA}: links",
                changes=changed,
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _audit(
                request,
                AuditEntry.Action.CREATE,
                obj,
                summary=VIA,
                after=_values(obj),
            )
        for obj, fields in formset.changed_objects:
            _audit(
                request,
                AuditEntry.Action.UPDATE,
                obj,
                summary=f"{VIA}: {', '.join(fields)}",
                after={k: v for k, v in _values(obj).items() if k.removesuffix("_id") in fields},
            )
        for obj in formset.deleted_objects:
            _audit(
                request,
                AuditEntry.Action.DELETE,
                obj,
                summary=VIA,
                before=_values(obj),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._audit_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)

    def _audit_delete(self, request: HttpRequest, obj: Any) -> None:
        _audit(
            request,
            AuditEntry.Action.DELETE,
            obj,
            summary=f"{VIA}: with the records that depend on it",
            before=_values(obj),
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedModelAdmin, BaseGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """An administrator can open the admin site (staff status), as `ckm adduser` makes
        them: given the role here, they saw *Admin site* and got its login page."""
        if obj.role == Role.ADMIN:
            obj.is_staff = True
        elif change and "role" in form.changed_data and not obj.is_superuser:
            stored = User.objects.filter(pk=obj.pk).values_list("role", flat=True).first()
            if stored == Role.ADMIN:
                obj.is_staff = False  # no longer an administrator
        super().save_model(request, obj, form, change)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """The password form saves the user itself (not through save_model): audit it here,
        without any value."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.filter(pk=id).first()
            if user is not None:
                _audit(request, AuditEntry.Action.UPDATE, user, summary=f"{VIA}: password set")
        return response

    list_display = ("username", "first_name", "last_name", "role", "team", "office", "is_active")
    list_filter = ("role", "team", "office", "is_active")
    fieldsets = (  # type: ignore[assignment]
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("CKM", {"fields": ("role", "team", "office", "permissions_of_the_role")}),
    )
    readonly_fields = ("permissions_of_the_role",)

    @admin.display(description="Permissions of the role")
    def permissions_of_the_role(self, obj: User) -> str:
        """What the role grants besides the permissions chosen above (saved role)."""
        granted = sorted(role_permissions(obj.role)) if obj.pk else []
        return ", ".join(granted) or "–"

    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("CKM", {"fields": ("role", "team", "office")}))


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ("name", "office", "manager")


@admin.register(Office)
class OfficeAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "kind", "city", "country")
    search_fields = ("code", "name")


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_id", "summary")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


class ReadOnlyRecordAdmin(AuditedModelAdmin):
    """Records that CKM's own work writes (a background job and its progress, an import run):
    shown and deleted here, never made or edited by hand - a queued job added here would run
    nowhere, and work that asked for the same job would join it and wait for ever."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyRecordAdmin):
    list_display = (
        "label",
        "kind",
        "status",
        "percent",
        "message",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "status")


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyRecordAdmin):
    list_display = ("pk", "package_name", "status", "issue_count", "created_by", "created_at")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked")
    readonly_fields = ("key_hash", "prefix")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # a token is made by its owner on the API tokens page, which shows its secret once;
        # one added here would have no secret at all. Revoking one here is fine.
        return False
