"""Sortable tables: a page's `?sort=` checked against the columns a list offers, turned into the
database's order. `key` sorts a column up, `-key` down; an unknown value falls back to the
list's default order (never an error). The header links come from the `sort_header` tag of the
`ckm` template library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import F, Model
from django.db.models.expressions import OrderBy


@dataclass(frozen=True)
class Sorts:
    """The sortable columns of one list: key -> the fields it orders by ("-field": the other
    way round to the column), and the default key.

    Missing values (no score, no owner) come last whichever way a column is sorted; the primary
    key breaks ties, so a page boundary never shows a row twice or loses one."""

    columns: Mapping[str, tuple[str, ...]]
    default: str
    # the model listed: its fields that cannot be empty are ordered without "nulls last", which
    # lets the database read such an order from an index on them (SQLite and PostgreSQL do not
    # for "ASC NULLS LAST" on a second column, nor PostgreSQL for "DESC NULLS LAST")
    model: type[Model] | None = None

    def choose(self, value: str | None) -> str:
        """The sort key to use: `value` when it names a column (up or down), else the default."""
        if value and value.removeprefix("-") in self.columns:
            return value
        return self.default

    def order_by(self, value: str | None) -> list[OrderBy]:
        """`QuerySet.order_by` terms for `value` (checked with `choose`)."""
        key = self.choose(value)
        descending = key.startswith("-")
        terms = []
        for name in self.columns[key.removeprefix("-")]:
            # "-field" in a column runs against the column's direction (newest first within a
            # status sorted A to Z)
            down = descending != name.startswith("-")
            field_name = name.removeprefix("-")
            field = F(field_name)
            nulls_last = True if self._nullable(field_name) else None
            terms.append(
                field.desc(nulls_last=nulls_last) if down else field.asc(nulls_last=nulls_last)
            )
        return [*terms, F("pk").asc()]

    def _nullable(self, name: str) -> bool:
        """Whether a column may be empty (a field across a relation may: no owner, say)."""
        if self.model is None or "__" in name:
            return True
        return bool(self.model._meta.get_field(name).null)
