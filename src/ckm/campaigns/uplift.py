"""Uplift modelling without the database: who buys *because* they were contacted.

A randomised campaign (a target group and a random control group) shows the incremental effect
of the contact. Three learners estimate it per customer:

- class transformation (Jaskowski & Jaroszewicz 2012): Z = 1 when (treated and responded) or
  (control and did not respond), weighted for unequal group sizes; uplift = 2 P(Z=1) - 1;
- two models (T-learner): P(response | treated, x) - P(response | control, x);
- X-learner (Kunzel et al. 2019): imputed individual effects regressed per group.

All are LightGBM stumps (additive models: the uplift signal is weak next to the response
signal, so large leaves and few rounds generalise best). Each learner's minimum leaf size (a
share of the rows each booster is trained on) and number of rounds, and then which learners to
average by rank, are chosen on the training data only by repeated stratified cross-validation,
scoring each candidate by the mean of its cross-validated Qini AUC and uplift@30 % (the two
measures the targeting is judged by; one fold's figures are noisy, so the choice rests on the
mean over all folds of all repeats). The chosen learners are refitted on all the training data,
each bagged over 5 seeds.

Measures follow scikit-uplift so figures compare with published ones:
- `qini_auc_score`: area between the model's Qini curve and the random line, divided by the
  same area of the perfect curve (negative effects allowed) - sklift.metrics.qini_auc_score;
- `uplift_at_k`: response rate of treated minus control among the top k share by uplift
  (strategy "overall" by default, "by_group" on request) - sklift.metrics.uplift_at_k.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "verbose": -1,
    "num_threads": int(os.environ.get("CKM_ANALYTICS_THREADS", "1")),
    "seed": 7,
    "deterministic": True,
    "force_col_wise": True,
}
# The uplift signal is weak next to the response signal: heavily regularised stumps (additive
# models) with large leaves and few rounds win the cross-validated Qini and uplift@30 % on the
# Hillstrom train half (class transformation at 5-10 rounds, the others at 10-80; the
# differences between neighbouring settings are within the noise of the folds).
# Leaf sizes are shares of the rows each booster sees, so the grid scales with the data.
GRID: dict[str, Sequence[Any]] = {
    "num_leaves": (2,),
    "min_child_share": (0.05, 0.15),
    "rounds": (5, 10, 20, 40, 80),
}
SMALL_GRID: dict[str, Sequence[Any]] = {
    "num_leaves": (3,),
    "min_child_samples": (10, 30),
    "rounds": (50, 150),
}


# --- measures ----------------------------------------------------------------------------------


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def qini_curve(
    y: np.ndarray, uplift: np.ndarray, treatment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points of the Qini curve: (number targeted, incremental responses) at each distinct score."""
    y = np.asarray(y, dtype=float)
    uplift = np.asarray(uplift, dtype=float)
    treatment = np.asarray(treatment, dtype=float)
    order = np.argsort(uplift, kind="mergesort")[::-1]
    y, uplift, treatment = y[order], uplift[order], treatment[order]
    y_treated = np.where(treatment == 1, y, 0.0)
    y_control = np.where(treatment == 0, y, 0.0)
    thresholds = np.r_[np.where(np.diff(uplift))[0], uplift.size - 1]
    n_treated = np.cumsum(treatment)[thresholds]
    n_all = thresholds + 1
    n_control = n_all - n_treated
    responses_treated = np.cumsum(y_treated)[thresholds]
    responses_control = np.cumsum(y_control)[thresholds]
    ratio = np.divide(
        n_treated, n_control, out=np.zeros_like(n_treated, dtype=float), where=n_control != 0
    )
    values = responses_treated - responses_control * ratio
    if n_all.size == 0 or values[0] != 0 or n_all[0] != 0:
        n_all = np.r_[0, n_all]
        values = np.r_[0, values]
    return n_all.astype(float), values


def qini_auc_score(y: np.ndarray, uplift: np.ndarray, treatment: np.ndarray) -> float:
    """Normalised Qini area (scikit-uplift's qini_auc_score, negative effects allowed)."""
    y = np.asarray(y, dtype=float)
    treatment = np.asarray(treatment, dtype=float)
    x_actual, y_actual = qini_curve(y, uplift, treatment)
    x_base, y_base = np.array([0.0, x_actual[-1]]), np.array([0.0, y_actual[-1]])
    x_perfect, y_perfect = qini_curve(y, y * treatment - y * (1 - treatment), treatment)
    base = _trapezoid(x_base, y_base)
    perfect = _trapezoid(x_perfect, y_perfect) - base
    actual = _trapezoid(x_actual, y_actual) - base
    return float(actual / perfect) if perfect else 0.0


def uplift_at_k(
    y: np.ndarray,
    uplift: np.ndarray,
    treatment: np.ndarray,
    k: float = 0.3,
    strategy: str = "overall",
) -> float:
    """Treated minus control response rate among the top k share by uplift, as
    sklift.metrics.uplift_at_k: strategy "overall" takes the top k of all rows, "by_group" the
    top k of the treated and the top k of the control rows separately."""
    y = np.asarray(y, dtype=float)
    treatment = np.asarray(treatment)
    order = np.argsort(np.asarray(uplift, dtype=float), kind="mergesort")[::-1]
    if strategy == "by_group":
        y_sorted, t_sorted = y[order], treatment[order]
        treated, control = y_sorted[t_sorted == 1], y_sorted[t_sorted == 0]
        n_treated, n_control = int(len(treated) * k), int(len(control) * k)
        if n_treated == 0 or n_control == 0:
            return 0.0
        return float(treated[:n_treated].mean() - control[:n_control].mean())
    if strategy != "overall":
        raise ValueError("strategy must be 'overall' or 'by_group'")
    n = int(len(y) * k)
    top_y, top_t = y[order][:n], treatment[order][:n]
    if not (top_t == 1).any() or not (top_t == 0).any():
        return 0.0
    return float(top_y[top_t == 1].mean() - top_y[top_t == 0].mean())


def qini_points(
    y: np.ndarray, uplift: np.ndarray, treatment: np.ndarray, steps: int = 20
) -> list[dict[str, float]]:
    """The Qini curve at `steps` shares of the population (for a chart)."""
    x, q = qini_curve(y, uplift, treatment)
    total = x[-1] if len(x) else 0
    points = []
    for share in np.linspace(0, 1, steps + 1):
        value = float(np.interp(share * total, x, q)) if total else 0.0
        points.append({"share": round(float(share), 3), "incremental": round(value, 2)})
    return points


# --- learners ----------------------------------------------------------------------------------


_OWN_KEYS = {"rounds", "min_child_share"}


def _leaf_size(params: dict[str, Any], rows: int) -> dict[str, Any]:
    """Resolve a `min_child_share` of the booster's rows into LightGBM's min_child_samples."""
    if "min_child_share" not in params:
        return params
    share = float(params["min_child_share"])
    return {**params, "min_child_samples": max(20, int(share * rows))}


def _fit_lgb(x: pd.DataFrame, y: np.ndarray, params: dict[str, Any], weight: Any = None) -> Any:
    """One LightGBM booster; a leaf share is resolved on the rows this booster is trained on
    (each of the two models sees only its own group)."""
    import lightgbm as lgb

    params = _leaf_size(params, len(y))
    merged = {**BASE_PARAMS, **{k: v for k, v in params.items() if k not in _OWN_KEYS}}
    data = lgb.Dataset(x, label=y, weight=weight, free_raw_data=False)
    return lgb.train(merged, data, num_boost_round=int(params.get("rounds", 200)))


class ClassTransformation:
    """uplift = 2 P(Z=1 | x) - 1 with Z the transformed outcome (weighted for group sizes)."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, t: np.ndarray, params: dict) -> None:
        z, weight = _transformed(y, t)
        self.booster = _fit_lgb(x, z, params, weight)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(2 * self.booster.predict(x) - 1)


class TwoModels:
    """uplift = P(y | treated, x) - P(y | control, x) (T-learner)."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, t: np.ndarray, params: dict) -> None:
        treated = t == 1
        self.treated = _fit_lgb(x[treated], y[treated], params)
        self.control = _fit_lgb(x[~treated], y[~treated], params)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.treated.predict(x) - self.control.predict(x))


class XLearner:
    """Künzel et al. (2019): impute each group's individual effects with the other group's
    response model, regress them, and weight the two effect models by the treated share."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, t: np.ndarray, params: dict) -> None:
        first = TwoModels(x, y, t, params)
        treated = t == 1
        effect_treated = y[treated] - first.control.predict(x[treated])
        effect_control = first.treated.predict(x[~treated]) - y[~treated]
        regression = {**params, "objective": "regression"}
        self.tau_treated = _fit_lgb(x[treated], effect_treated, regression)
        self.tau_control = _fit_lgb(x[~treated], effect_control, regression)
        self.share = float(treated.mean())

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return np.asarray(
            self.share * self.tau_control.predict(x)
            + (1 - self.share) * self.tau_treated.predict(x)
        )


LEARNERS: dict[str, Callable[..., Any]] = {
    "class_transformation": ClassTransformation,
    "two_models": TwoModels,
    "x_learner": XLearner,
}


def _tie_groups(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each run of equal values in a sorted array."""
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_values)) + 1]
    return starts, np.r_[starts[1:], len(sorted_values)]


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1]; tied values share their average rank (customers a learner cannot
    tell apart are not ordered by their position in the input)."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    starts, ends = _tie_groups(values[order])
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.repeat((starts + ends - 1) / 2.0, ends - starts)
    return ranks / max(len(values) - 1, 1)


def blend(parts: dict[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """Rank-average of the chosen learners, mapped onto the sorted levels of the two-model (or
    first) estimate, so values stay incremental probabilities that can be summed. Customers tied
    in every chosen learner stay tied (they get the mean of their levels): the input order never
    breaks a tie, which would change the Qini of a coarse learner by chance."""
    first = next(iter(parts.values()))
    if len(first) == 0:
        return np.asarray([], dtype=float)
    mixed = np.mean([_ranks(parts[n]) for n in names], axis=0)
    levels = np.sort(parts.get("two_models", parts[names[0]]))
    order = np.argsort(mixed, kind="mergesort")
    starts, ends = _tie_groups(mixed[order])
    sums = np.r_[0.0, np.cumsum(levels)]
    means = (sums[ends] - sums[starts]) / (ends - starts)
    out = np.empty(len(mixed), dtype=float)
    out[order] = np.repeat(means, ends - starts)
    return np.asarray(out + mixed * 1e-9)  # distinct rank averages keep their order


@dataclass
class UpliftEnsemble:
    """A fitted uplift model: bagged learners and the blend cross-validation chose."""

    learners: dict[str, list[Any]]
    blend: list[str]
    columns: list[str]
    params: dict[str, Any] = field(default_factory=dict)

    def parts(self, x: pd.DataFrame) -> dict[str, np.ndarray]:
        x = x[self.columns]
        return {
            name: np.mean([m.predict(x) for m in models], axis=0)
            for name, models in self.learners.items()
        }

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """The estimated incremental response probability of contacting each row."""
        return blend(self.parts(x), self.blend)


def _transformed(y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = (y * t + (1 - y) * (1 - t)).astype(int)
    share = t.mean()
    weight = np.where(t == 1, 0.5 / max(share, 1e-9), 0.5 / max(1 - share, 1e-9))
    return z, weight


def fit_class_transformation(x: pd.DataFrame, y: np.ndarray, t: np.ndarray, params: dict) -> Any:
    return ClassTransformation(x, y, t, params)


def _grid(grid: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def _folds(
    y: np.ndarray, t: np.ndarray, folds: int, seed: int, repeats: int = 1
) -> list[tuple[Any, Any]]:
    """Stratified (treatment x outcome) folds, repeated with other shuffles: the Qini of one
    fold of a few thousand customers is noisy, so choices rest on the mean over all of them."""
    from sklearn.model_selection import StratifiedKFold

    strata = (2 * t + y).astype(int)
    splits: list[tuple[Any, Any]] = []
    for repeat in range(max(1, repeats)):
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed + repeat)
        splits.extend(splitter.split(np.zeros(len(y)), strata))
    return splits


def cv_scores(
    y: np.ndarray,
    t: np.ndarray,
    splits: Sequence[tuple[Any, Any]],
    predictions: Sequence[np.ndarray],
) -> dict[str, float]:
    """Mean Qini AUC and uplift@30 % over the validation folds, and their mean (the objective
    every choice is made by: a ranking is judged on both the whole curve and the top 30 %)."""
    pairs = list(zip(splits, predictions, strict=True))
    qini = [qini_auc_score(y[test], p, t[test]) for (_, test), p in pairs]
    top = [uplift_at_k(y[test], p, t[test], 0.3) for (_, test), p in pairs]
    q, u = float(np.mean(qini)), float(np.mean(top))
    return {"cv_qini": q, "cv_uplift_at_30": u, "cv_score": (q + u) / 2}


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in scores.items()}


def tune(
    x: pd.DataFrame,
    y: np.ndarray,
    t: np.ndarray,
    *,
    grid: dict[str, Sequence[Any]] | None = None,
    folds: int = 3,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
    repeats: int = 1,
) -> dict[str, Any]:
    """Parameters of each learner, then the rank-average blend of learners, chosen on (x, y, t)
    only by the mean of cross-validated Qini AUC and uplift@30 % (`cv_scores`)."""
    grid = grid or GRID
    splits = _folds(y, t, folds, seed, repeats)
    best: dict[str, Any] = {}
    predictions: dict[str, list[np.ndarray]] = {}
    for name, learner in LEARNERS.items():
        found: tuple[dict[str, float], dict[str, Any], list[np.ndarray]] | None = None
        for params in _grid(grid):
            preds = [
                learner(x.iloc[train], y[train], t[train], params).predict(x.iloc[test])
                for train, test in splits
            ]
            scores = cv_scores(y, t, splits, preds)
            if progress:
                progress(
                    f"{name} {params}: CV Qini {scores['cv_qini']:.4f}, uplift@30 "
                    f"{scores['cv_uplift_at_30']:.4f}, score {scores['cv_score']:.4f}"
                )
            if found is None or scores["cv_score"] > found[0]["cv_score"]:
                found = (scores, params, preds)
        assert found is not None
        best[name] = {**found[1], **_rounded(found[0])}
        predictions[name] = found[2]
    blends: list[tuple[dict[str, float], list[str]]] = []
    for size in range(1, len(LEARNERS) + 1):
        for combination in itertools.combinations(LEARNERS, size):
            names = list(combination)
            mixed = [
                blend({n: predictions[n][k] for n in names}, names) for k in range(len(splits))
            ]
            scores = cv_scores(y, t, splits, mixed)
            blends.append((scores, names))
            if progress:
                progress(
                    f"blend {'+'.join(names)}: CV Qini {scores['cv_qini']:.4f}, uplift@30 "
                    f"{scores['cv_uplift_at_30']:.4f}, score {scores['cv_score']:.4f}"
                )
    scores, names = max(blends, key=lambda item: item[0]["cv_score"])
    best["blend"] = {"learners": names, **_rounded(scores)}
    return best


def fit_uplift(
    x: pd.DataFrame,
    y: np.ndarray,
    t: np.ndarray,
    *,
    grid: dict[str, Sequence[Any]] | None = None,
    folds: int = 3,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
    bags: int = 5,
    repeats: int = 1,
) -> UpliftEnsemble:
    """Tune by cross-validation, then fit the chosen learners on all of (x, y, t), each averaged
    over `bags` bagged seeds (less variance for the same bias)."""
    y = np.asarray(y, dtype=int)
    t = np.asarray(t, dtype=int)
    if len(set(t.tolist())) < 2:
        raise ValueError("uplift needs treated and control customers")
    if y[t == 1].sum() == 0 and y[t == 0].sum() == 0:
        raise ValueError("nobody responded: there is nothing to learn")
    params = tune(x, y, t, grid=grid, folds=folds, seed=seed, progress=progress, repeats=repeats)
    learners: dict[str, list[Any]] = {}
    for name, learner in LEARNERS.items():
        chosen = {k: v for k, v in params[name].items() if not k.startswith("cv_")}
        learners[name] = [learner(x, y, t, {**chosen, "seed": seed + b}) for b in range(bags)]
    return UpliftEnsemble(
        learners=learners,
        blend=list(params["blend"]["learners"]),
        columns=list(x.columns),
        params=params,
    )


def fit_response(x: pd.DataFrame, y: np.ndarray, params: dict[str, Any] | None = None) -> Any:
    """A response model (the usual targeting, the baseline): P(response | x) among the contacted."""
    return _fit_lgb(x, np.asarray(y, dtype=int), params or {"num_leaves": 8, "rounds": 200})
