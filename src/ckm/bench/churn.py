"""Churn: IBM Telco customer churn through the product, against a plain logistic regression.

The public file is converted into a customer data package (customers.csv with every column as a
typed attribute declared in manifest.yaml, labels.csv with `churned`), imported with the real
import, and for each of 5 stratified folds the product trains a churn model on the other folds
(its own feature builder, LightGBM + calibration + registry) and scores the held-out fold through
its scoring service. The baseline - one-hot encoding and a logistic regression on the package's
columns - runs on the same folds in the same process.

`--data` may also point at any package in the same format (customers.csv + labels.csv with the
outcome named by `--label`): nothing in the product or this module knows the Telco columns."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ckm.bench.report import table

TELCO_FILE = "WA_Fn-UseC_-Telco-Customer-Churn.csv"
TELCO_TYPES = {
    "gender": "category",
    "senior_citizen": "bool",
    "partner": "bool",
    "dependents": "bool",
    "tenure": "integer",
    "phone_service": "bool",
    "multiple_lines": "category",
    "internet_service": "category",
    "online_security": "category",
    "online_backup": "category",
    "device_protection": "category",
    "tech_support": "category",
    "streaming_tv": "category",
    "streaming_movies": "category",
    "contract": "category",
    "paperless_billing": "bool",
    "payment_method": "category",
    "monthly_charges": "float",
    "total_charges": "float",
}
AS_OF = dt.date(2026, 10, 31)


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/data/telco_churn"),
        help="the Telco folder, or a converted package",
    )
    parser.add_argument("--label", default="churned", help="the outcome label in labels.csv")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)


def snake(name: str) -> str:
    out = ""
    for index, char in enumerate(name):
        if char.isupper() and index and not name[index - 1].isupper():
            out += "_"
        out += char.lower()
    return out.replace(" ", "_")


def write_manifest(folder: Path, name: str, types: dict[str, str], as_of: dt.date) -> None:
    lines = [f"name: {name}", f"as_of: {as_of.isoformat()}", "columns:", "  customers:"]
    lines += [f"    {column}: {kind}" for column, kind in types.items()]
    (folder / "manifest.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def convert_telco(source: Path, folder: Path) -> Path:
    """The Telco CSV as a customer data package (ids prefixed TEL-, outcome as labels.csv)."""
    frame = pd.read_csv(source / TELCO_FILE, dtype=str, keep_default_na=False)
    frame.columns = [snake(c) for c in frame.columns]
    frame = frame.rename(columns={"customer_i_d": "customer_id"})
    frame["total_charges"] = frame["total_charges"].str.strip()  # 11 blanks (tenure 0)
    customers = pd.DataFrame(
        {
            "customer_id": "TEL-" + frame["customer_id"],
            "kind": "person",
            "last_name": "Customer " + frame["customer_id"],
        }
    )
    for column in TELCO_TYPES:
        customers[column] = frame[column]
    customers.to_csv(folder / "customers.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    labels = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "name": "churned",
            "value": (frame["churn"] == "Yes").astype(int),
            "as_of": AS_OF.isoformat(),
        }
    )
    labels.to_csv(folder / "labels.csv", index=False)
    write_manifest(folder, "IBM Telco churn (benchmark)", TELCO_TYPES, AS_OF)
    return folder


def is_package(folder: Path) -> bool:
    return (folder / "customers.csv").exists()


def import_package(folder: Path) -> dict[str, Any]:
    """Load a package through the product's import; returns the run's report."""
    from ckm.core.services import import_run, import_start

    started = time.perf_counter()
    run = import_start(user=None, source=folder, label=f"bench {folder.name}", enqueue=False)
    run = import_run(run_id=run.pk)
    if run.status not in ("succeeded", "partial"):
        raise RuntimeError(f"import failed: {run.notes} {run.files}")
    return {
        "status": run.status,
        "seconds": round(time.perf_counter() - started, 2),
        "files": {f["file"]: f["rows"] for f in run.files},
    }


def outcomes(folder: Path, label: str) -> pd.DataFrame:
    """Package customer ids with database ids, the outcome and its date (from the database)."""
    from ckm.customers.models import Label

    rows = Label.objects.filter(name=label.lower()).values_list(
        "customer__external_id", "customer_id", "value_number", "value", "as_of"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["external_id", "customer_id", "number", "value", "as_of"]
    )
    wanted = set(
        pd.read_csv(folder / "labels.csv", dtype=str, usecols=["customer_id"])["customer_id"]
    )
    frame = frame[frame["external_id"].isin(wanted)].copy()
    numeric = frame["number"].astype(float)
    words = frame["value"].astype(str).str.lower().isin({"1", "yes", "true", "y"})
    frame["y"] = np.where(numeric.notna(), numeric.fillna(0) >= 0.5, words).astype(int)
    return frame.reset_index(drop=True)


def baseline_design(folder: Path, external_ids: Sequence[str]) -> pd.DataFrame:
    """The package's own columns for a plain model: numbers as they are, everything else one-hot."""
    customers = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False).set_index(
        "customer_id"
    )
    standard = {
        "kind",
        "first_name",
        "last_name",
        "name",
        "email",
        "phone",
        "address",
        "postcode",
        "city",
        "country",
        "date_of_birth",
        "customer_since",
        "status",
        "household_id",
        "owner",
        "team",
        "office",
    }
    data = customers.drop(columns=[c for c in customers.columns if c in standard]).reindex(
        list(external_ids)
    )
    numeric: dict[str, pd.Series] = {}
    categorical: list[str] = []
    for column in data.columns:
        values = pd.to_numeric(data[column].replace("", np.nan), errors="coerce")
        if values.notna().sum() >= 0.95 * (data[column] != "").sum() and values.notna().any():
            numeric[column] = values
        else:
            categorical.append(column)
    design = pd.DataFrame(numeric, index=data.index)
    if categorical:
        design = design.join(pd.get_dummies(data[categorical].astype(str), dtype=float))
    return design


def fit_baseline(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
    """Median imputation, standardisation, logistic regression: the plain baseline."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    medians = train.median()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(train.fillna(medians), y)
    return model.predict_proba(test.reindex(columns=train.columns).fillna(medians))[:, 1]


def measures(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    from ckm.analytics.learning import evaluate

    result = evaluate(y, scores)
    return {
        "auc": result["auc"],
        "pr_auc": result["pr_auc"],
        "lift_top_decile": result["lift_top_decile"],
        "brier": result["brier"],
    }


def product_scores(
    version_id: int, customer_ids: Sequence[int], as_of: dt.date
) -> dict[int, float]:
    """Score customers through the product's scoring service and read the stored scores."""
    from ckm.analytics.models import Score
    from ckm.analytics.services import model_score

    run = model_score(
        actor=None,
        version_id=version_id,
        customer_ids=list(customer_ids),
        as_of=as_of,
        reasons=False,
    )
    return dict(Score.objects.filter(run=run).values_list("customer_id", "value"))


def run(*, data: Path, label: str = "churned", folds: int = 5, seed: int = 7) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold

    from ckm.analytics.services import model_train

    data = data.expanduser().resolve()
    with tempfile.TemporaryDirectory(prefix="ckm-bench-churn-") as tmp:
        folder = data if is_package(data) else convert_telco(data, Path(tmp))
        loaded = import_package(folder)
        print(f"imported {folder.name}: {loaded['files']} in {loaded['seconds']} s")
        frame = outcomes(folder, label)
        design = baseline_design(folder, frame["external_id"])
    y = frame["y"].to_numpy()
    ids = frame["customer_id"].to_numpy()
    as_of = max(frame["as_of"])
    product = np.zeros(len(y))
    baseline = np.zeros(len(y))
    rows: list[list[Any]] = []
    fold_aucs: list[float] = []
    base_aucs: list[float] = []
    train_seconds = 0.0
    score_seconds = 0.0
    for k, (train, test) in enumerate(
        StratifiedKFold(folds, shuffle=True, random_state=seed).split(ids, y)
    ):
        started = time.perf_counter()
        version = model_train(
            actor=None,
            kind="churn",
            label=label,
            horizon_days=0,
            population=ids[train].tolist(),
            as_of=as_of,
            slot="bench:churn",
            auto_promote=False,
            score=False,
        )
        train_seconds += time.perf_counter() - started
        started = time.perf_counter()
        scored = product_scores(version.pk, ids[test].tolist(), as_of)
        score_seconds += time.perf_counter() - started
        product[test] = [scored[int(c)] for c in ids[test]]
        baseline[test] = fit_baseline(design.iloc[train], y[train], design.iloc[test])
        fold = measures(y[test], product[test])
        base = measures(y[test], baseline[test])
        fold_aucs.append(fold["auc"])
        base_aucs.append(base["auc"])
        rows.append(
            [
                k + 1,
                len(test),
                fold["auc"],
                base["auc"],
                fold["lift_top_decile"],
                base["lift_top_decile"],
                version.metrics.get("blend_weight_trees"),
            ]
        )
    pooled = measures(y, product)
    pooled_base = measures(y, baseline)
    print(
        table(
            rows,
            ["fold", "customers", "AUC", "baseline AUC", "lift", "baseline lift", "tree weight"],
            title="\nchurn: product (LightGBM + calibration) against a logistic regression",
        )
    )
    result = {
        "dataset": str(data),
        "customers": len(y),
        "churn_rate": round(float(y.mean()), 4),
        "folds": folds,
        "auc": round(float(np.mean(fold_aucs)), 4),
        "auc_std": round(float(np.std(fold_aucs)), 4),
        "baseline_auc": round(float(np.mean(base_aucs)), 4),
        "baseline_auc_std": round(float(np.std(base_aucs)), 4),
        "pr_auc": pooled["pr_auc"],
        "baseline_pr_auc": pooled_base["pr_auc"],
        "lift_top_decile": pooled["lift_top_decile"],
        "baseline_lift_top_decile": pooled_base["lift_top_decile"],
        "pooled_auc": pooled["auc"],
        "baseline_pooled_auc": pooled_base["auc"],
        "brier": pooled["brier"],
        "train_s": round(train_seconds, 1),
        "score_s": round(score_seconds, 1),
        "import_s": loaded["seconds"],
        "goal_auc": 0.85,
    }
    print(
        table(
            [
                ["product", result["auc"], result["pr_auc"], result["lift_top_decile"]],
                [
                    "logistic regression",
                    result["baseline_auc"],
                    result["baseline_pr_auc"],
                    result["baseline_lift_top_decile"],
                ],
            ],
            ["model", "AUC (mean of folds)", "PR AUC", "top-decile lift"],
            title="\nsummary",
        )
    )
    return result
