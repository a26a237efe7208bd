from django.contrib import admin

from ckm.core.admin import AuditedModelAdmin
from ckm.customers.models import (
    AttributeDefinition,
    Customer,
    Household,
    Product,
)


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    list_display = ("display_name", "external_id", "kind", "status", "owner", "team", "office")
    list_filter = ("kind", "status", "team", "office")
    search_fields = ("external_id", "name_key")
    raw_id_fields = ("household", "owner")


@admin.register(Product)
class ProductAdmin(AuditedModelAdmin):
    list_display = ("name", "external_id", "family", "margin", "fee", "is_active")
    list_filter = ("family", "is_active")


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(AuditedModelAdmin):
    list_display = ("name", "type", "label", "source")


admin.site.register(Household, AuditedModelAdmin)
