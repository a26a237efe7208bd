"""Fitting, calibrating, explaining and measuring the churn and propensity models (no database).

The model is LightGBM gradient boosting, blended with a regularised logistic regression when the
out-of-fold predictions of the training data say the blend ranks better (on near-additive data a
linear term helps a little; on data with interactions the trees carry it). Probabilities are
calibrated with Platt scaling on out-of-fold scores: a monotone map, so it never changes the
ranking (isotonic regression would tie scores and lower AUC). Explanations are exact additive
contributions in log-odds: LightGBM's TreeSHAP (`pred_contrib=True`) plus the linear term's
coefficient x (value - mean), summed per feature.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # LightGBM and scikit-learn load when a model is fitted or used, not on import
    import lightgbm as lgb

MAX_LEVELS = 30
RARE_SHARE = 0.005
OTHER = "(other)"
BLEND_WEIGHTS = (1.0, 0.75, 0.5, 0.25)

LGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "cat_smooth": 20.0,
    "min_data_per_group": 50,
    "max_cat_to_onehot": 8,
    "verbose": -1,
    # one thread: on small shared machines OpenMP threads spin and run 5-10x slower than one
    "num_threads": int(os.environ.get("CKM_ANALYTICS_THREADS", "1")),
    "seed": 7,
    "deterministic": True,
    "force_col_wise": True,
}
MAX_ROUNDS = 2000
EARLY_STOP = 100
THREADS = int(os.environ.get("CKM_ANALYTICS_THREADS", "1"))


class TrainingError(Exception):
    """The data cannot train a model (too few examples, one class only, no features)."""


@dataclass
class Column:
    name: str
    categorical: bool
    levels: list[str] = field(default_factory=list)
    median: float = 0.0


@dataclass
class Preprocessor:
    """The columns a model uses and how raw features become model input (fitted on training)."""

    columns: list[Column]
    # linear design: one entry per design column -> (feature name, kind, level/"")
    linear_columns: list[tuple[str, str, str]] = field(default_factory=list)
    linear_mean: np.ndarray | None = None
    linear_scale: np.ndarray | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> Preprocessor:
        columns: list[Column] = []
        for name in frame.columns:
            series = frame[name]
            if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object:
                text = pd.Series(series.astype(object).where(series.notna(), None)).astype("string")
                counts = text.value_counts(dropna=True)
                minimum = max(10, int(RARE_SHARE * len(frame)))
                levels = [str(v) for v, n in counts.items() if n >= minimum][:MAX_LEVELS]
                states = len(levels) + (len(levels) < len(counts)) + bool(text.isna().any())
                if levels and states >= 2:
                    columns.append(Column(name, True, [*levels, OTHER]))
            else:
                values = pd.to_numeric(series, errors="coerce").astype(float)
                distinct = values.nunique(dropna=True)
                if distinct == 0 or (distinct < 2 and not values.isna().any()):
                    continue
                columns.append(Column(name, False, median=float(values.median())))
        if not columns:
            raise TrainingError("no usable features: every column is constant or empty")
        pre = cls(columns=columns)
        design = pre._linear_raw(frame)
        pre.linear_mean = design.mean(axis=0)
        scale = design.std(axis=0)
        pre.linear_scale = np.where(scale > 1e-9, scale, 1.0)
        return pre

    def tree_input(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Numeric columns as floats, categories with the training levels (unseen -> other)."""
        data: dict[str, Any] = {}
        for column in self.columns:
            series = (
                frame[column.name]
                if column.name in frame.columns
                else pd.Series(np.nan, index=frame.index)
            )
            if column.categorical:
                text = series.astype(object).where(series.notna(), None).astype("string")
                unseen = text.notna() & ~text.isin(column.levels)
                data[column.name] = pd.Categorical(
                    text.mask(unseen, OTHER), categories=column.levels
                )
            else:
                data[column.name] = pd.to_numeric(series, errors="coerce").astype(float).to_numpy()
        return pd.DataFrame(data, index=frame.index)

    def _linear_raw(self, frame: pd.DataFrame) -> np.ndarray:
        tree = self.tree_input(frame)
        blocks: list[np.ndarray] = []
        layout: list[tuple[str, str, str]] = []
        for column in self.columns:
            if column.categorical:
                codes = tree[column.name].cat.codes.to_numpy()
                for index, level in enumerate(column.levels):
                    blocks.append((codes == index).astype(float))
                    layout.append((column.name, "level", level))
            else:
                values = tree[column.name].to_numpy(dtype=float)
                missing = np.isnan(values)
                clipped = np.where(missing, column.median, values)
                # a signed log keeps heavy-tailed amounts from dominating the linear term
                blocks.append(np.sign(clipped) * np.log1p(np.abs(clipped)))
                layout.append((column.name, "value", ""))
                if missing.any():
                    blocks.append(missing.astype(float))
                    layout.append((column.name, "missing", ""))
        if not self.linear_columns:
            self.linear_columns = layout
        else:
            # the training layout decides which columns exist
            wanted = {(n, k, lv): i for i, (n, k, lv) in enumerate(layout)}
            blocks = [
                blocks[wanted[c]] if c in wanted else np.zeros(len(frame))
                for c in self.linear_columns
            ]
        return np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))

    def linear_input(self, frame: pd.DataFrame) -> np.ndarray:
        design = self._linear_raw(frame)
        assert self.linear_mean is not None and self.linear_scale is not None
        return (design - self.linear_mean) / self.linear_scale


@dataclass
class FittedModel:
    """A trained scorer: preprocessing, trees, linear term, blend weight and calibration."""

    pre: Preprocessor
    booster_text: str
    linear_coef: np.ndarray
    linear_intercept: float
    weight: float
    calib_a: float
    calib_b: float
    metrics: dict[str, Any]
    reference_histogram: list[float]
    _booster: lgb.Booster | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_booster"] = None
        return state

    @property
    def booster(self) -> lgb.Booster:
        if self._booster is None:
            import lightgbm as lgb

            self._booster = lgb.Booster(model_str=self.booster_text)
        return self._booster

    def raw(self, frame: pd.DataFrame) -> np.ndarray:
        """Blended log-odds before calibration."""
        tree = self.booster.predict(self.pre.tree_input(frame), raw_score=True)
        linear = self.pre.linear_input(frame) @ self.linear_coef + self.linear_intercept
        return self.weight * np.asarray(tree) + (1 - self.weight) * linear

    def proba(self, frame: pd.DataFrame) -> np.ndarray:
        return _sigmoid(self.calib_a * self.raw(frame) + self.calib_b)

    def contributions(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Per-row, per-feature contributions to the calibrated log-odds."""
        names = self.pre.names
        tree = np.asarray(self.booster.predict(self.pre.tree_input(frame), pred_contrib=True))[
            :, : len(names)
        ]
        design = self.pre.linear_input(frame)
        linear = np.zeros((len(frame), len(names)))
        index = {n: i for i, n in enumerate(names)}
        for j, (name, _kind, _level) in enumerate(self.pre.linear_columns):
            linear[:, index[name]] += self.linear_coef[j] * design[:, j]
        return self.calib_a * (self.weight * tree + (1 - self.weight) * linear), names


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))


def _fit_trees(
    x: pd.DataFrame, y: np.ndarray, *, rounds: int | None, seed: int
) -> tuple[lgb.Booster, int]:
    import lightgbm as lgb
    from sklearn.model_selection import train_test_split

    params = {**LGBM_PARAMS, "seed": seed}
    if rounds is not None:
        booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=max(rounds, 20))
        return booster, max(rounds, 20)
    strat = y if min(np.bincount(y.astype(int))) >= 2 else None
    x_fit, x_stop, y_fit, y_stop = train_test_split(
        x, y, test_size=0.15, random_state=seed, stratify=strat
    )
    booster = lgb.train(
        params,
        lgb.Dataset(x_fit, y_fit),
        num_boost_round=MAX_ROUNDS,
        valid_sets=[lgb.Dataset(x_stop, y_stop)],
        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)],
    )
    return booster, int(booster.best_iteration or MAX_ROUNDS)


def _fit_linear(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    # Newton steps on the (few dozen) design columns converge in ~5 iterations where L-BFGS
    # takes ~60; same penalised optimum
    model = LogisticRegression(C=0.3, max_iter=3000, solver="newton-cholesky")
    model.fit(design, y)
    return model.coef_[0].copy(), float(model.intercept_[0])


def limited_threads() -> Any:
    """BLAS/OpenMP thread pools capped like LightGBM's (CKM_ANALYTICS_THREADS, default 1): on a
    busy machine idle pool threads spin, and a logistic regression on 40,000 rows took 6-10 s
    instead of 0.4 s."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=THREADS)


def fit(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    folds: int = 5,
    seed: int = 7,
    progress: Callable[[int, int, str], None] | None = None,
) -> FittedModel:
    """Fit the model on all rows; metrics come from out-of-fold predictions."""
    with limited_threads():
        return _fit(frame, y, folds=folds, seed=seed, progress=progress)


def _fit(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    folds: int,
    seed: int,
    progress: Callable[[int, int, str], None] | None,
) -> FittedModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y).astype(int)
    positives = int(y.sum())
    if len(y) < 30 or positives < 5 or positives > len(y) - 5:
        raise TrainingError(
            f"too few examples to learn from: {len(y)} examples, {positives} positive"
            " (need at least 30 and 5 of each outcome)"
        )
    step = progress or (lambda done, total, message: None)
    pre = Preprocessor.fit(frame)
    tree_x = pre.tree_input(frame)
    design = pre.linear_input(frame)
    folds = max(2, min(folds, positives, len(y) - positives))
    oof_tree = np.zeros(len(y))
    oof_linear = np.zeros(len(y))
    rounds: list[int] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (train, test) in enumerate(splitter.split(design, y)):
        step(k, folds + 1, f"Cross-validating (fold {k + 1} of {folds})")
        booster, best = _fit_trees(tree_x.iloc[train], y[train], rounds=None, seed=seed + k)
        rounds.append(best)
        oof_tree[test] = booster.predict(tree_x.iloc[test], raw_score=True, num_iteration=best)
        coef, intercept = _fit_linear(design[train], y[train])
        oof_linear[test] = design[test] @ coef + intercept
    weight = max(BLEND_WEIGHTS, key=lambda w: (_auc(y, w * oof_tree + (1 - w) * oof_linear), w))
    oof = weight * oof_tree + (1 - weight) * oof_linear
    calib = LogisticRegression(C=1e6, max_iter=1000).fit(oof.reshape(-1, 1), y)
    calib_a, calib_b = float(calib.coef_[0][0]), float(calib.intercept_[0])
    oof_proba = _sigmoid(calib_a * oof + calib_b)
    step(folds, folds + 1, "Training the final model on all examples")
    final_rounds = int(np.mean(rounds) * 1.1)
    booster, _ = _fit_trees(tree_x, y, rounds=final_rounds, seed=seed)
    coef, intercept = _fit_linear(design, y)
    # drift is measured against what the final model says about its own training population,
    # so scoring that population again shows no drift
    in_sample = weight * np.asarray(booster.predict(tree_x, raw_score=True)) + (1 - weight) * (
        design @ coef + intercept
    )
    metrics = evaluate(y, oof_proba)
    metrics.update(
        {
            "folds": folds,
            "rounds": final_rounds,
            "blend_weight_trees": weight,
            "auc_trees_only": round(_auc(y, oof_tree), 4),
            "auc_linear_only": round(_auc(y, oof_linear), 4),
        }
    )
    importance = booster.feature_importance(importance_type="gain")
    total = float(importance.sum()) or 1.0
    metrics["importance"] = sorted(
        ([n, round(float(v) / total, 4)] for n, v in zip(pre.names, importance, strict=True)),
        key=lambda item: -float(item[1]),  # type: ignore[arg-type]
    )[:25]
    return FittedModel(
        pre=pre,
        booster_text=booster.model_to_string(),
        linear_coef=coef,
        linear_intercept=intercept,
        weight=weight,
        calib_a=calib_a,
        calib_b=calib_b,
        metrics=metrics,
        reference_histogram=histogram(_sigmoid(calib_a * in_sample + calib_b)),
        _booster=booster,
    )


# --- measures ------------------------------------------------------------------------------------


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    if len(set(np.asarray(y).tolist())) < 2:
        return float("nan")
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def deciles(scores: np.ndarray) -> np.ndarray:
    """Decile of each score in its population: 10 = the highest tenth, 1 = the lowest."""
    n = len(scores)
    if n == 0:
        return np.zeros(0, dtype=int)
    order = np.argsort(-np.asarray(scores), kind="stable")
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n)
    return (10 - (ranks * 10) // n).astype(int)


def lift_by_decile(y: np.ndarray, scores: np.ndarray) -> list[float]:
    """Response rate of each tenth (highest first) divided by the overall rate."""
    y = np.asarray(y, dtype=float)
    base = y.mean() if len(y) else 0.0
    d = deciles(scores)
    return [
        round(float(y[d == k].mean() / base), 3) if base and (d == k).any() else 0.0
        for k in range(10, 0, -1)
    ]


def calibration_table(y: np.ndarray, proba: np.ndarray) -> list[dict[str, float]]:
    """Mean predicted against observed rate in each tenth of the predictions."""
    y = np.asarray(y, dtype=float)
    d = deciles(proba)
    rows = []
    for k in range(10, 0, -1):
        mask = d == k
        if mask.any():
            rows.append(
                {
                    "decile": k,
                    "n": int(mask.sum()),
                    "predicted": round(float(np.mean(proba[mask])), 4),
                    "observed": round(float(np.mean(y[mask])), 4),
                }
            )
    return rows


def evaluate(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """AUC, PR AUC, Brier, lift by decile, top-decile lift and the calibration table."""
    from sklearn.metrics import average_precision_score

    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    lifts = lift_by_decile(y, proba)
    return {
        "auc": round(_auc(y, proba), 4),
        "pr_auc": round(float(average_precision_score(y, proba)), 4) if y.any() else None,
        "brier": round(float(np.mean((proba - y) ** 2)), 4),
        "base_rate": round(float(y.mean()), 4),
        "lift_by_decile": lifts,
        "lift_top_decile": lifts[0] if lifts else None,
        "calibration": calibration_table(y, proba),
        "n": len(y),
        "positives": int(y.sum()),
    }


HIST_BINS = 20


def histogram(values: np.ndarray) -> list[float]:
    """Share of scores in 20 equal bins on [0, 1] (for drift)."""
    counts, _ = np.histogram(
        np.clip(np.asarray(values, dtype=float), 0, 1), bins=HIST_BINS, range=(0, 1)
    )
    total = counts.sum() or 1
    return [round(float(c) / total, 6) for c in counts]


def psi(expected: list[float], actual: list[float]) -> float | None:
    """Population stability index between two score histograms (> 0.25: a big shift)."""
    if not expected or not actual or len(expected) != len(actual):
        return None
    e = np.clip(np.asarray(expected, dtype=float), 1e-4, None)
    a = np.clip(np.asarray(actual, dtype=float), 1e-4, None)
    e, a = e / e.sum(), a / a.sum()
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def top_reasons(
    contributions: np.ndarray, names: list[str], values: pd.DataFrame, *, up: int = 3, down: int = 1
) -> list[list[list[Any]]]:
    """For each row the strongest raising features (and the strongest lowering one) as
    [feature, value, effect] lists, value JSON-ready."""
    n = contributions.shape[0]
    if n == 0:
        return []
    order = np.argsort(-contributions, axis=1)
    raised = order[:, :up]
    lowered = order[:, ::-1][:, :down]
    columns = {
        name: values[name].to_numpy(dtype=object) if name in values.columns else np.full(n, None)
        for name in names
    }
    result: list[list[list[Any]]] = []
    for i in range(n):
        reasons: list[list[Any]] = []
        for j in raised[i]:
            effect = contributions[i, j]
            if effect > 0.01:
                reasons.append(
                    [names[j], _json_value(columns[names[j]][i]), round(float(effect), 3)]
                )
        for j in lowered[i]:
            effect = contributions[i, j]
            if effect < -0.01:
                reasons.append(
                    [names[j], _json_value(columns[names[j]][i]), round(float(effect), 3)]
                )
        result.append(reasons)
    return result


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else round(float(value), 4)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)
