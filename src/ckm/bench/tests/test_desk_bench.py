"""`ckm bench desk` on a few hundred cases: it runs, and the product's counts equal the SQL floor's."""

from __future__ import annotations

import pytest

from ckm.bench import desk

pytestmark = pytest.mark.django_db


def test_the_desk_benchmark_agrees_with_its_sql_floor() -> None:
    result = desk.run(cases=400, repeat=1)
    assert result["cases"] == 400
    for weeks in ("4", "12", "52"):
        period = result["periods"][weeks]
        assert period["same_counts"] is True
        assert period["product"]["p50_ms"] > 0 and period["baseline_sql_aggregate"]["p50_ms"] > 0
    assert result["periods"]["52"]["opened"] > result["periods"]["4"]["opened"] > 0
