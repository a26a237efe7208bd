"""Bulk upsert by external id: the one write path every file loader uses."""

from __future__ import annotations

from typing import Any

from django.db import models


def bulk_upsert(model: type[models.Model], objs: list[Any], fields: list[str]) -> tuple[int, int]:
    """Insert new rows and update existing ones (matched on external_id); (inserted, updated)."""
    manager = model._default_manager
    existing = set(
        manager.filter(external_id__in=[o.external_id for o in objs]).values_list(
            "external_id", flat=True
        )
    )
    manager.bulk_create(objs, update_conflicts=True, unique_fields=["external_id"], update_fields=fields)
    return len(objs) - len(existing), len(existing)
