"""Bulk upsert for the import: one prepared INSERT ... ON CONFLICT DO UPDATE statement run with
executemany, on SQLite and PostgreSQL alike. It skips the ORM's per-object work (model instances,
per-value preparation, 999-parameter batches) that made bulk_create the bottleneck of large
imports, and keeps the database's own conversions for dates, times and decimals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models
from django.utils import timezone

_IDENTITY_TYPES = {
    "CharField",
    "TextField",
    "SlugField",
    "IntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "SmallIntegerField",
    "BooleanField",
    "FloatField",
    "ForeignKey",
    "OneToOneField",
    "AutoField",
    "BigAutoField",
}


def _converter(field: models.Field) -> Callable[[Any], Any]:
    internal = field.get_internal_type()
    ops = connection.ops
    if internal in _IDENTITY_TYPES:
        return lambda value: value
    if internal == "DateTimeField":
        if connection.vendor == "sqlite":
            return _sqlite_datetime
        return ops.adapt_datetimefield_value
    if internal == "DateField":
        return ops.adapt_datefield_value
    if internal == "DecimalField":
        digits, places = field.max_digits, field.decimal_places  # type: ignore[attr-defined]
        return lambda value: ops.adapt_decimalfield_value(value, digits, places)
    return lambda value: field.get_db_prep_save(value, connection)


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What Django stores for an aware datetime on SQLite (UTC, naive, ISO with a space), fast."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


@lru_cache(maxsize=64)
def _statement(
    model: type[models.Model], columns: tuple[str, ...], key: tuple[str, ...], vendor: str
) -> tuple[str, tuple[Callable[[Any], Any], ...], tuple[str, ...]]:
    meta = model._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    auto_add = tuple(
        f.attname
        for f in meta.concrete_fields
        if getattr(f, "auto_now_add", False) and f.attname not in columns
    )
    auto_now = tuple(
        f.attname
        for f in meta.concrete_fields
        if getattr(f, "auto_now", False) and f.attname not in columns
    )
    all_columns = columns + auto_add + auto_now

    def quote(name: str | None) -> str:
        return connection.ops.quote_name(str(name))

    names = ", ".join(quote(fields[c].column) for c in all_columns)
    values = ", ".join(["%s"] * len(all_columns))
    updates = ", ".join(
        f"{quote(fields[c].column)} = EXCLUDED.{quote(fields[c].column)}"
        for c in columns + auto_now
        if c not in key
    )
    conflict = ", ".join(quote(fields[c].column) for c in key)
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({values})"
    if key:
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    converters = tuple(_converter(fields[c]) for c in all_columns)
    return sql, converters, auto_add + auto_now


def bulk_upsert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]] | Sequence[models.Model],
    fields: Sequence[str] | None = None,
    *,
    key: Sequence[str] = ("external_id",),
) -> tuple[int, int]:
    """Insert rows (dicts keyed by attname) or update them where `key` matches; (inserted, updated).

    Rows of one call must have the same keys. Timestamps with auto_now/auto_now_add are filled in.
    Model instances are accepted too (all their concrete fields but the primary key are written;
    `fields` is then ignored) for loaders written against the ORM's bulk_create."""
    if not rows:
        return 0, 0
    records: list[dict[str, Any]]
    if isinstance(rows[0], models.Model):
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if not f.primary_key
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]
        records = [{name: getattr(obj, name) for name in names} for obj in rows]
    else:
        records = list(rows)  # type: ignore[arg-type]
    key = tuple(key)
    if len(key) == 1:
        existing = len(
            set(
                model._default_manager.filter(
                    **{f"{key[0]}__in": [r[key[0]] for r in records]}
                ).values_list(key[0], flat=True)
            )
        )
    else:
        existing = -1
    _execute(model, records, key)
    if existing < 0:
        return len(records), 0
    return len(records) - existing, existing


def bulk_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows (dicts keyed by attname, all with the same keys) with one prepared statement;
    the rows are new (no key to update on). Returns the rows written."""
    if rows:
        _execute(model, rows, ())
    return len(rows)


def _execute(
    model: type[models.Model], records: Sequence[dict[str, Any]], key: tuple[str, ...]
) -> None:
    columns = tuple(records[0].keys())
    sql, converters, stamped = _statement(model, columns, key, connection.vendor)
    now = timezone.now()
    stamps = tuple(now for _ in stamped)
    params = [
        tuple(
            convert(value)
            for convert, value in zip(converters, (*row.values(), *stamps), strict=True)
        )
        for row in records
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
