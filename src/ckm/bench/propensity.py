"""Propensity: UCI bank marketing (Moro et al. 2014) through the product, evaluated as a CRM lives.

The calls are converted into a customer data package: one customer per call with every column
but `duration` (it is only known after the call and leaks the outcome) as a typed attribute, and
labels.csv with `responded` dated on the call. The file has no dates but is in time order (May
2008 - Nov 2010), and its `month` column has no year. The month of a call is therefore a running
period: a new period starts wherever the month column changes from one row to the next (26
periods; the year goes up when the month goes back, e.g. dec -> mar), and the calls of a period
are spread over its days in file order - a synthetic date, so that the rolling window can ask
"what was known before this month". No period is dropped or merged, however small (Dec 2008 has
10 calls).

Rolling window: for each month of the last 20 % of the calls, the product trains a propensity
model on every call before it (its labels, its feature builder, its training service), scores the
month through its scoring service, and the month's outcomes join the next training. AUC and lift
are measured over all those scores together. Beside it: one static model trained on the first
80 %, and the same two set-ups with a plain logistic regression (the baseline).

Every setting is fixed - the product's defaults, 5 folds for the product's own validation (3
folds save little CPU - features, final fits and the import dominate - and ranked a little
worse, 0.769) - so nothing is tuned on the
evaluated months. `--reference` adds a deliberately leaky figure: 5-fold random-split cross-validation
over all calls (the evaluated months included) through the same learner, scored on the evaluated
rows - a practical ceiling for what these columns can tell apart (it is ~0.79, below the 0.80 of
Moro et al., who had ~150 attributes of which this public file keeps 20).

`--data` may point at a converted package instead (customers.csv + labels.csv named by `--label`
with one dated outcome per customer); the rolling months then follow the labels' dates."""

from __future__ import annotations

import datetime as dt
import gzip
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ckm.bench.churn import (
    baseline_design,
    fit_baseline,
    import_package,
    is_package,
    measures,
    outcomes,
    product_scores,
    write_manifest,
)
from ckm.bench.report import table

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
BANK_TYPES = {
    "age": "integer",
    "job": "category",
    "marital": "category",
    "education": "category",
    "default": "category",
    "housing": "category",
    "loan": "category",
    "contact": "category",
    "month": "category",
    "day_of_week": "category",
    "campaign": "integer",
    "pdays": "integer",
    "previous": "integer",
    "poutcome": "category",
    "emp_var_rate": "float",
    "cons_price_idx": "float",
    "cons_conf_idx": "float",
    "euribor3m": "float",
    "nr_employed": "float",
}


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/data/bank_marketing"),
        help="the bank marketing folder, or a converted package",
    )
    parser.add_argument("--label", default="responded")
    parser.add_argument(
        "--test-share",
        type=float,
        default=0.2,
        help="the last share of rows evaluated month by month",
    )
    parser.add_argument(
        "--folds", type=int, default=5, help="folds of the product's own out-of-fold validation"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also the leaky ceiling: random-split cross-validation over all calls",
    )


def running_periods(months: pd.Series) -> np.ndarray:
    """A running period id per row (0, 1, ...): a new period wherever the month column changes
    from the row before (the rows are in time order; the month has no year)."""
    index = months.str.lower().map(MONTHS.index).to_numpy()
    change = np.r_[True, index[1:] != index[:-1]] if len(index) else np.zeros(0, dtype=bool)
    return np.cumsum(change) - 1


def synthetic_dates(months: pd.Series, first_year: int = 2008) -> list[dt.date]:
    """A date per row from the month column in file order: each running period is one calendar
    month, the year goes up when the month goes back (December -> March), and a period's rows
    are spread over its days in order."""
    index = months.str.lower().map(MONTHS.index).to_numpy()
    periods = running_periods(months)
    year = first_year
    years = []
    for row, value in enumerate(index):
        if row and periods[row] != periods[row - 1] and value < index[row - 1]:
            year += 1
        years.append(year)
    frame = pd.DataFrame({"period": periods, "year": years, "month": index + 1})
    frame["position"] = frame.groupby("period").cumcount()
    frame["size"] = frame.groupby("period")["month"].transform("size")
    days = 1 + (27 * frame["position"] // frame["size"].clip(lower=1))
    return [
        dt.date(int(y), int(m), int(d))
        for y, m, d in zip(frame["year"], frame["month"], days, strict=True)
    ]


def convert_bank(source: Path, folder: Path) -> Path:
    """The bank marketing calls as a customer data package (ids BANK-<row>)."""
    path = source / "bank-additional-full.csv.gz"
    opener = gzip.open if path.exists() else open
    path = path if path.exists() else source / "bank-additional-full.csv"
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        frame = pd.read_csv(handle, sep=";", dtype=str, keep_default_na=False)
    frame.columns = [c.replace(".", "_") for c in frame.columns]
    frame = frame.drop(columns=["duration"])  # known only after the call: it leaks the outcome
    dates = synthetic_dates(frame["month"])
    ids = [f"BANK-{i:06d}" for i in range(len(frame))]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "kind": "person",
            "last_name": [f"Client {i}" for i in range(len(frame))],
        }
    )
    for column in BANK_TYPES:
        customers[column] = frame[column]
    customers.to_csv(folder / "customers.csv", index=False)
    labels = pd.DataFrame(
        {
            "customer_id": ids,
            "name": "responded",
            "value": (frame["y"] == "yes").astype(int),
            "as_of": [d.isoformat() for d in dates],
        }
    )
    labels.to_csv(folder / "labels.csv", index=False)
    write_manifest(folder, "UCI bank marketing (benchmark)", BANK_TYPES, max(dates))
    return folder


def run(
    *,
    data: Path,
    label: str = "responded",
    test_share: float = 0.2,
    folds: int = 5,
    reference: bool = False,
) -> dict[str, Any]:
    from ckm.analytics.learning import limited_threads

    # the baseline's logistic regression gets the product's thread cap too (see limited_threads)
    with limited_threads():
        return _run(data=data, label=label, test_share=test_share, folds=folds, reference=reference)


def _run(
    *, data: Path, label: str, test_share: float, folds: int, reference: bool
) -> dict[str, Any]:
    from ckm.analytics.services import model_train

    started_run = time.perf_counter()
    cpu_run = time.process_time()
    data = data.expanduser().resolve()
    with tempfile.TemporaryDirectory(prefix="ckm-bench-propensity-") as tmp:
        folder = data if is_package(data) else convert_bank(data, Path(tmp))
        loaded = import_package(folder)
        print(f"imported {folder.name}: {loaded['files']} in {loaded['seconds']} s")
        frame = outcomes(folder, label)
        # file order is time order: sort by date, then by the package's row order
        frame = frame.sort_values(["as_of", "external_id"], kind="stable").reset_index(drop=True)
        design = baseline_design(folder, frame["external_id"])
    y = frame["y"].to_numpy()
    ids = frame["customer_id"].to_numpy()
    cut = round(len(frame) * (1 - test_share))
    months = [d.replace(day=1) for d in frame["as_of"]]
    blocks = []
    start = cut
    while start < len(frame):
        end = start
        while end < len(frame) and months[end] == months[start]:
            end += 1
        blocks.append((start, end))
        start = end
    rolling = np.full(len(frame), np.nan)
    rolling_base = np.full(len(frame), np.nan)
    rows: list[list[Any]] = []
    started_all = time.perf_counter()
    for start, end in blocks:
        day = frame["as_of"].iloc[start]
        started = time.perf_counter()
        version = model_train(
            actor=None,
            kind="propensity",
            label=label,
            horizon_days=0,
            population=ids[:start].tolist(),
            as_of=day,
            slot="bench:propensity",
            auto_promote=False,
            score=False,
            folds=folds,
        )
        trained = time.perf_counter() - started
        scored = product_scores(version.pk, ids[start:end].tolist(), day)
        rolling[start:end] = [scored[int(c)] for c in ids[start:end]]
        rolling_base[start:end] = fit_baseline(
            design.iloc[:start], y[:start], design.iloc[start:end]
        )
        block = y[start:end]
        auc = measures(block, rolling[start:end])["auc"] if 0 < block.sum() < len(block) else None
        rows.append(
            [
                day.strftime("%Y-%m"),
                end - start,
                round(float(block.mean()), 3),
                start,
                auc,
                round(trained, 1),
            ]
        )
    rolling_s = time.perf_counter() - started_all
    print(
        table(
            rows,
            ["month", "calls", "response rate", "trained on", "AUC", "train s"],
            title="\nrolling window: train on everything before the month, score the month",
        )
    )
    test = slice(cut, len(frame))
    product = measures(y[test], rolling[test])
    base = measures(y[test], rolling_base[test])
    static = model_train(
        actor=None,
        kind="propensity",
        label=label,
        horizon_days=0,
        population=ids[:cut].tolist(),
        as_of=frame["as_of"].iloc[cut - 1],
        slot="bench:propensity-static",
        auto_promote=False,
        score=False,
        folds=folds,
    )
    static_scores = product_scores(static.pk, ids[cut:].tolist(), frame["as_of"].iloc[cut - 1])
    static_product = measures(y[test], np.array([static_scores[int(c)] for c in ids[cut:]]))
    static_base = measures(y[test], fit_baseline(design.iloc[:cut], y[:cut], design.iloc[cut:]))
    print(
        table(
            [
                ["product, rolling", product["auc"], product["pr_auc"], product["lift_top_decile"]],
                [
                    "logistic regression, rolling",
                    base["auc"],
                    base["pr_auc"],
                    base["lift_top_decile"],
                ],
                [
                    "product, static (first 80 %)",
                    static_product["auc"],
                    static_product["pr_auc"],
                    static_product["lift_top_decile"],
                ],
                [
                    "logistic regression, static",
                    static_base["auc"],
                    static_base["pr_auc"],
                    static_base["lift_top_decile"],
                ],
            ],
            ["model", "AUC", "PR AUC", "top-decile lift"],
            title=f"\nthe last {test_share:.0%} of the calls ({len(frame) - cut:,}, response rate {y[test].mean():.1%})",
        )
    )
    ceiling = (
        leaky_reference(ids, frame["as_of"].tolist(), y, test, label=label, folds=folds)
        if reference
        else None
    )
    if ceiling is not None:
        print(
            f"\nleaky reference (random 5-fold over all calls, evaluated months included): "
            f"AUC {ceiling:.4f} on the last {test_share:.0%}"
        )
    cpu_s = time.process_time() - cpu_run
    wall_s = time.perf_counter() - started_run
    print(f"\n{wall_s:.0f} s wall, {cpu_s:.0f} s CPU (import {loaded['seconds']} s)")
    return {
        "dataset": str(data),
        "calls": len(frame),
        "test_calls": int(len(frame) - cut),
        "test_response_rate": round(float(y[test].mean()), 4),
        "months": len(blocks),
        "auc": product["auc"],
        "pr_auc": product["pr_auc"],
        "lift_top_decile": product["lift_top_decile"],
        "baseline_auc": base["auc"],
        "baseline_pr_auc": base["pr_auc"],
        "baseline_lift_top_decile": base["lift_top_decile"],
        "static_auc": static_product["auc"],
        "static_lift_top_decile": static_product["lift_top_decile"],
        "baseline_static_auc": static_base["auc"],
        "leaky_reference_auc": ceiling,
        "folds": folds,
        "rolling_s": round(rolling_s, 1),
        "run_s": round(wall_s, 1),
        "cpu_s": round(cpu_s, 1),
        "import_s": loaded["seconds"],
        "goal_auc": 0.80,
        "months_detail": [
            {"month": r[0], "calls": r[1], "response_rate": r[2], "auc": r[4]} for r in rows
        ],
    }


def leaky_reference(
    ids: np.ndarray,
    dates: list[dt.date],
    y: np.ndarray,
    test: slice,
    *,
    label: str,
    folds: int,
) -> float:
    """Not a model anyone could run: 5-fold random-split cross-validation over every call, the
    evaluated months included (features through the product's builder, the product's learner),
    AUC on the evaluated rows. It sees the future, so it bounds what the columns can do."""
    from sklearn.model_selection import StratifiedKFold

    from ckm.analytics.features import build_features, make_keys
    from ckm.analytics.learning import fit

    features = build_features(make_keys(ids.tolist(), dates), exclude={label}).frame
    scores = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    for train, held in splitter.split(features, y):
        model = fit(features.iloc[train].reset_index(drop=True), y[train], folds=folds)
        scores[held] = model.raw(features.iloc[held].reset_index(drop=True))
    return float(measures(y[test], scores[test])["auc"])
