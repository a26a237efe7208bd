"""Property tests of the import parser: whatever is in a cell, the engine either stores exactly
what was written or reports the row; it never crashes and never stores a mangled value."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ckm.core.imports.values import (
    infer_type,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_float,
    parse_integer,
)
from ckm.core.services import import_run, import_start
from ckm.customers.models import Customer

PARSERS = [parse_integer, parse_float, parse_decimal, parse_bool, parse_date]


@given(st.text(max_size=40))
def test_parsers_reject_junk_only_with_a_value_error(text: str) -> None:
    for parse in PARSERS:
        try:
            parse(text)
        except ValueError as exc:
            assert str(exc)  # a reason a user can read


@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False)
)
def test_decimals_round_trip(value: Decimal) -> None:
    assert parse_decimal(str(value)) == value


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_dates_round_trip(value: dt.date) -> None:
    assert parse_date(value.isoformat()) == value


@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=1, max_size=30))
def test_integer_columns_are_inferred_as_integers_or_bools(values: list[int]) -> None:
    assert infer_type([str(v) for v in values]) in {"integer", "bool"}


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s.strip())


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(names, names), min_size=1, max_size=8, unique_by=lambda r: r[0]))
def test_any_text_survives_a_csv_round_trip_exactly(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str]]
) -> None:
    folder: Path = tmp_path_factory.mktemp("pkg")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["customer_id", "kind", "last_name", "note"])
    for i, (last_name, note) in enumerate(rows):
        writer.writerow([f"P{i}", "person", last_name, note])
    (folder / "customers.csv").write_text(buffer.getvalue(), encoding="utf-8")
    (folder / "manifest.yaml").write_text("name: prop\ncolumns:\n  customers:\n    note: string\n")
    run = import_run(run_id=import_start(user=None, source=folder, enqueue=False).pk)
    assert run.files[0]["status"] == "loaded", run.files
    for i, (last_name, note) in enumerate(rows):
        customer = Customer.objects.get(external_id=f"P{i}")
        assert customer.last_name == last_name[:100]
        assert customer.attributes["note"] == note
    Customer.objects.all().delete()
