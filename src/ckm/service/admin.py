"""Setting up the service desk in the admin site: queues with members, SLA policies, business
calendars with holidays, reply templates; cases and classifier versions to look up."""

from __future__ import annotations

from django.contrib import admin

from ckm.core.admin import AuditedModelAdmin
from ckm.service.models import (
    BusinessCalendar,
    Case,
    ClassifierModel,
    Holiday,
    Queue,
    QueueMember,
    ReplyTemplate,
    SlaPolicy,
)


class QueueMemberInline(admin.TabularInline):
    model = QueueMember
    extra = 1


@admin.register(Queue)
class QueueAdmin(AuditedModelAdmin):
    list_display = ["name", "rank", "strategy", "team", "is_default", "active"]
    list_filter = ["active", "strategy"]
    filter_horizontal = ["products", "offices"]
    inlines = [QueueMemberInline]


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedModelAdmin):
    list_display = ["name", "time_zone", "is_default"]
    inlines = [HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "kind",
        "priority",
        "first_response_hours",
        "resolution_hours",
        "warn_at_percent",
        "escalate_at_percent",
        "active",
    ]
    list_filter = ["kind", "priority", "active"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "purpose", "kind", "active"]
    list_filter = ["purpose", "active"]


@admin.register(Case)
class CaseAdmin(AuditedModelAdmin):
    list_display = ["id", "subject", "kind", "channel", "status", "queue", "assignee", "opened_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["subject", "sender_email", "external_id"]
    raw_id_fields = ["customer", "product", "suggested_product", "assignee", "created_by"]
    readonly_fields = ["opened_at", "classifier_version"]


@admin.register(ClassifierModel)
class ClassifierModelAdmin(AuditedModelAdmin):
    list_display = ["version", "status", "active", "n_examples", "created_at"]
    readonly_fields = ["metrics", "params", "artifact"]
