"""Sortable tables: a page's `?sort=` checked against the columns a list offers, turned into the
database's order. `key` sorts a column up, `-key` down; an unknown value falls back to the
list's default order (never an error). The header links come from the `sort_header` tag of the
`ckm` template library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import F
from django.db.models.expressions import OrderBy


@dataclass(frozen=True)
class Sorts:
    """The sortable columns of one list: key -> the fields it orders by ("-field": the other
    way round to the column), and the default key.

    Missing values (no score, no owner) come last whichever way a column is sorted; the primary
    key breaks ties, so a page boundary never shows a row twice or loses one."""

    columns: Mapping[str, tuple[str, ...]]
    default: str

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
            field = F(name.removeprefix("-"))
            terms.append(field.desc(nulls_last=True) if down else field.asc(nulls_last=True))
        return [*terms, F("pk").asc()]
