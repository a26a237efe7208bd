"""`ckm bench knowledge` on a tiny folder: the product's path, the baselines and every JSON key."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from ckm.knowledge.suggestions.tests.conftest import HISTORY

pytestmark = pytest.mark.django_db


def test_bench_reports_accuracy_baselines_and_out_of_scope(tmp_path: Path, settings: Any) -> None:
    from ckm.bench.knowledge import run, write_folder

    settings.VAR_DIR = tmp_path
    train, test = [], []
    for n, (title, messages) in enumerate(HISTORY.items()):
        category = title.lower().replace(" ", "_")
        if n == 0:  # a category name as long as Banking77's longest (48 characters)
            category = f"{category}_not_updated_after_cheque_or_cash_deposit"
        train += [(m, category) for m in messages[:5]]
        test += [(messages[5], category)]
    folder = write_folder(tmp_path, train, test)
    with (folder / "oos_test.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text"])
        writer.writerows([["qwxz vbnmpl trrrk"], ["What is the weather in Lisbon tomorrow?"]])
    result = run(data=folder)
    for key in (
        "top1",
        "top5",
        "mrr",
        "p95_ms",
        "baseline_top1",
        "oos_recall",
        "top1_at_threshold",
        "train_s",
    ):
        assert key in result
    assert result["top1"] >= 0.75
    assert result["top5"] == 1.0
    assert result["oos_recall"] == 1.0
    assert (
        result["baseline_search_top1"] is not None and result["baseline_history_top1"] is not None
    )
    # the search itself, with and without title vectors, each a share of the test messages
    for key in ("search_top1", "search_top5", "search_text_only_top1", "search_text_only_top5"):
        assert 0.0 <= result[key] <= 1.0
    assert result["search_top5"] >= result["search_top1"] > 0
