"""Uplift: Hillstrom e-mail experiment, the product's uplift model against response-model
targeting and random targeting.

Protocol (scikit-uplift's convention): Womens E-Mail (treated) against No E-Mail (control),
target `visit`, one 50/50 split stratified on treatment x outcome with seed 42. The product's
learner (ckm.campaigns.uplift: class transformation, two models and an X-learner on LightGBM
stumps; each learner's leaf size and rounds and the rank-average blend of learners chosen by the
mean of cross-validated Qini AUC and uplift@30 %, 5-fold CV repeated 4 times with other shuffles,
on the training half only; 5 bagged seeds) is fitted on the training half and scored on the test
half. In the same run: a response model
(LightGBM on the treated training customers, the usual "likelihood to respond" targeting) and
random scores.

Measures (scikit-uplift definitions, identical results to scikit-uplift 0.5.1): `uplift_at_30` =
uplift_at_k(strategy "overall", k=0.3), visit rate of treated minus control among the top 30 % of
the test half by score (`uplift_at_30_by_group`: strategy "by_group"); `qini_auc` =
sklift.metrics.qini_auc_score, the area between the model's Qini curve and the random line
divided by that of the perfect curve (negative effects allowed).
The business case of e-mailing the top 30 % of the test half uses a stated cost per e-mail and a
stated margin per incremental visit (options)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ckm.bench.report import table

HILLSTROM_FILE = "Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv"
FEATURES = [
    "recency",
    "history_segment",
    "history",
    "mens",
    "womens",
    "zip_code",
    "newbie",
    "channel",
]
CATEGORIES = ["history_segment", "zip_code", "channel"]


def add_arguments(parser: Any) -> None:
    parser.add_argument("--data", type=Path, required=True, help="folder with the Hillstrom CSV")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cost", type=float, default=0.10, help="cost of one e-mail")
    parser.add_argument("--margin", type=float, default=3.0, help="margin per incremental visit")
    parser.add_argument("--folds", type=int, default=5, help="CV folds for tuning (train half)")
    parser.add_argument(
        "--repeats", type=int, default=4, help="repeats of the CV with other shuffles (train half)"
    )


def load(data: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    path = data / HILLSTROM_FILE if data.is_dir() else data
    frame = pd.read_csv(path)
    frame = frame[frame["segment"].isin(["Womens E-Mail", "No E-Mail"])].reset_index(drop=True)
    x = frame[FEATURES].copy()
    for column in CATEGORIES:
        x[column] = x[column].astype("category")
    treatment = (frame["segment"] == "Womens E-Mail").to_numpy(dtype=int)
    y = frame["visit"].to_numpy(dtype=int)
    return x, y, treatment


def _npv_top(y: np.ndarray, t: np.ndarray, score: np.ndarray, cost: float, margin: float) -> float:
    from ckm.campaigns.uplift import uplift_at_k

    n_top = int(len(y) * 0.3)
    return float(n_top * (uplift_at_k(y, score, t, 0.3) * margin - cost))


def run(
    *,
    data: Path,
    seed: int = 42,
    cost: float = 0.10,
    margin: float = 3.0,
    folds: int = 5,
    repeats: int = 4,
) -> dict[str, Any]:
    from sklearn.model_selection import train_test_split

    from ckm.campaigns.uplift import (
        fit_response,
        fit_uplift,
        qini_auc_score,
        uplift_at_k,
    )

    data = data.expanduser().resolve()
    x, y, t = load(data)
    index = np.arange(len(y))
    train, test = train_test_split(
        index, test_size=0.5, random_state=seed, stratify=(2 * t + y).astype(int)
    )
    started = time.perf_counter()
    model = fit_uplift(
        x.iloc[train],
        y[train],
        t[train],
        folds=folds,
        repeats=repeats,
        seed=seed,
        progress=lambda message: print(f"  {message}", flush=True),
    )
    fit_seconds = time.perf_counter() - started
    x_test, y_test, t_test = x.iloc[test], y[test], t[test]
    parts = model.parts(x_test)
    uplift = model.predict(x_test)
    treated_train = train[t[train] == 1]
    response = fit_response(x.iloc[treated_train], y[treated_train]).predict(x_test)
    random = np.random.default_rng(seed).random(len(test))

    def measure(score: np.ndarray) -> tuple[float, float, float, float]:
        return (
            round(uplift_at_k(y_test, score, t_test, 0.3), 4),
            round(qini_auc_score(y_test, score, t_test), 4),
            round(_npv_top(y_test, t_test, score, cost, margin), 0),
            round(uplift_at_k(y_test, score, t_test, 0.3, strategy="by_group"), 4),
        )

    rows = []
    figures: dict[str, tuple[float, float, float, float]] = {}
    for name, score in (
        (f"product uplift ({'+'.join(model.blend)})", uplift),
        ("  class transformation alone", parts["class_transformation"]),
        ("  two models alone", parts["two_models"]),
        ("  X-learner alone", parts["x_learner"]),
        ("response model", response),
        ("random", random),
    ):
        figures[name] = measure(score)
        rows.append([name, *figures[name]])
    ate = float(y_test[t_test == 1].mean() - y_test[t_test == 0].mean())
    everyone = float(len(test) * (ate * margin - cost))
    rows.append(
        ["e-mail everyone (no model)", round(ate, 4), 0.0, round(everyone, 0), round(ate, 4)]
    )
    print(
        table(
            rows,
            ["targeting", "uplift@30%", "Qini AUC", "NPV top 30%", "uplift@30% by group"],
            title=(
                f"\nuplift: Hillstrom Womens e-mail vs none, target visit, test half of "
                f"{len(test):,}; e-mail {cost:.2f}, margin per incremental visit {margin:.2f}"
            ),
        )
    )
    print(
        "uplift@30% = sklift.metrics.uplift_at_k(strategy='overall', k=0.3): treated minus control "
        "visit rate among the top 30 % of the whole test half by score ('by group' = strategy "
        "'by_group': top 30 % of each group); Qini AUC = sklift.metrics.qini_auc_score "
        "(negative_effect=True): (model Qini area - random) / (perfect Qini area - random)."
    )
    print(
        f"fit {fit_seconds:.0f} s; chosen by {repeats}x{folds}-fold CV on the train half: {model.params}"
    )
    product = figures[f"product uplift ({'+'.join(model.blend)})"]
    result = {
        "dataset": str(data),
        "protocol": "Womens E-Mail vs No E-Mail, target visit, 50/50 split stratified on "
        f"treatment x visit, seed {seed}; tuning by {repeats}x repeated {folds}-fold CV on the "
        "train half only (objective: mean of CV Qini AUC and CV uplift@30)",
        "uplift_at_k_definition": "scikit-uplift uplift_at_k, strategy 'overall', k=0.3: treated "
        "minus control visit rate among the top 30 % of the test half by score",
        "qini_definition": "scikit-uplift qini_auc_score: (area of model Qini curve - random) / "
        "(area of perfect Qini curve - random), negative effects allowed",
        "n_train": len(train),
        "n_test": len(test),
        "ate_test": round(ate, 4),
        "uplift_at_30": product[0],
        "uplift_at_30_by_group": product[3],
        "qini_auc": product[1],
        "response_model_uplift_at_30": figures["response model"][0],
        "response_model_qini_auc": figures["response model"][1],
        "random_uplift_at_30": figures["random"][0],
        "response_model_uplift_at_30_by_group": figures["response model"][3],
        "random_qini_auc": figures["random"][1],
        "class_transformation_qini_auc": figures["  class transformation alone"][1],
        "two_models_qini_auc": figures["  two models alone"][1],
        "x_learner_qini_auc": figures["  X-learner alone"][1],
        "blend": model.blend,
        "cost_per_contact": cost,
        "margin_per_incremental_visit": margin,
        "npv_top_30": product[2],
        "response_model_npv_top_30": figures["response model"][2],
        "random_npv_top_30": figures["random"][2],
        "npv_everyone": round(everyone, 0),
        "params": model.params,
        "fit_s": round(fit_seconds, 1),
        "goal_uplift_at_30": 0.08,
        "goal_qini_auc": 0.075,
        "goal_met": bool(product[0] >= 0.08 and product[1] >= 0.075),
    }
    return result
