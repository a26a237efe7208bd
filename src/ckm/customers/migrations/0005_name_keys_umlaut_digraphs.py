"""Recompute the stored name keys in name_fold form (ae, oe, ue read as ä, ö, ü), so that a
search for "Joerg" finds a Jörg stored before and a search for "Jörg" finds a stored Joerg."""

from typing import Any

from django.db import migrations

BATCH = 2000


def recompute_name_keys(apps: Any, schema_editor: Any) -> None:
    from ckm.customers.keys import name_keys

    Customer = apps.get_model("customers", "Customer")
    fields = ("id", "kind", "first_name", "last_name", "name", "name_key", "sort_key")
    last_id = 0
    while True:  # by id ranges: no cursor stays open on the table being written
        batch = list(Customer.objects.filter(id__gt=last_id).only(*fields).order_by("id")[:BATCH])
        if not batch:
            return
        last_id = batch[-1].id
        changed = []
        for customer in batch:
            name_key, sort_key = name_keys(
                kind=customer.kind,
                first_name=customer.first_name,
                last_name=customer.last_name,
                name=customer.name,
            )
            if (name_key, sort_key) != (customer.name_key, customer.sort_key):
                customer.name_key, customer.sort_key = name_key, sort_key
                changed.append(customer)
        Customer.objects.bulk_update(changed, ["name_key", "sort_key"])

class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_merged_record_kept_identity"),
    ]

    operations = [
        migrations.RunPython(recompute_name_keys, migrations.RunPython.noop, elidable=True),
    ]
