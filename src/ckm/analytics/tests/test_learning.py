"""The model: it learns, its probabilities are calibrated, its explanations add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ckm.analytics import learning


def data(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    complaints = rng.poisson(0.5, n).astype(float)
    balance_change = rng.normal(0, 0.3, n)
    contract = rng.choice(["monthly", "yearly", "two-year"], n, p=[0.5, 0.3, 0.2])
    noise = rng.normal(0, 1, n)
    logit = -2.5 + 1.6 * complaints - 5 * balance_change + np.where(contract == "monthly", 2.0, 0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {
            "complaints_60d": complaints,
            "balance_change_30d": np.where(rng.random(n) < 0.1, np.nan, balance_change),
            "attr_contract": pd.Categorical(contract),
            "constant": 1.0,
            "noise": noise,
        }
    )
    return frame, y


@pytest.fixture(scope="module")
def fitted() -> tuple[learning.FittedModel, pd.DataFrame, np.ndarray]:
    frame, y = data()
    return learning.fit(frame, y, folds=3), frame, y


def test_it_learns_the_signal_and_drops_constant_columns(fitted) -> None:
    model, _, _ = fitted
    assert model.metrics["auc"] > 0.8
    assert model.metrics["lift_top_decile"] > 2
    assert "constant" not in model.pre.names
    test, y_test = data(seed=1)
    proba = model.proba(test)
    assert learning.evaluate(y_test, proba)["auc"] > 0.8


def test_probabilities_are_calibrated(fitted) -> None:
    model, _, _ = fitted
    test, y_test = data(n=4000, seed=2)
    proba = model.proba(test)
    assert abs(proba.mean() - y_test.mean()) < 0.03
    table = learning.calibration_table(y_test, proba)
    assert all(abs(row["predicted"] - row["observed"]) < 0.12 for row in table)


def test_contributions_add_up_to_the_calibrated_log_odds(fitted) -> None:
    model, frame, _ = fitted
    sample = frame.head(50)
    contributions, names = model.contributions(sample)
    logit = np.log(model.proba(sample) / (1 - model.proba(sample)))
    base = logit - contributions.sum(axis=1)
    # what is left over is the same for every row (the expected value), so rows differ only
    # by their contributions
    assert np.allclose(base, base[0], atol=1e-6)
    reasons = learning.top_reasons(contributions, names, sample)
    top = max(range(50), key=lambda i: model.proba(sample)[i])
    assert reasons[top][0][2] > 0 and reasons[top][0][0] in names


def test_unseen_categories_and_missing_columns_score() -> None:
    frame, y = data(n=600)
    model = learning.fit(frame, y, folds=2)
    odd = frame.head(3).copy()
    odd["attr_contract"] = ["never-seen", None, "monthly"]
    odd = odd.drop(columns=["noise"])
    assert np.isfinite(model.proba(odd)).all()


def test_too_few_outcomes_is_a_clear_error() -> None:
    frame, _ = data(n=100)
    with pytest.raises(learning.TrainingError, match="too few"):
        learning.fit(frame, np.zeros(100, dtype=int))


def test_deciles_lift_and_drift() -> None:
    scores = np.linspace(0, 1, 100)
    deciles = learning.deciles(scores)
    assert deciles[-1] == 10 and deciles[0] == 1 and np.bincount(deciles)[1:].tolist() == [10] * 10
    y = (scores > 0.9).astype(int)
    assert learning.lift_by_decile(y, scores)[0] == pytest.approx(10.0)
    same = learning.histogram(scores)
    assert learning.psi(same, same) == 0
    shifted = learning.histogram(np.clip(scores + 0.3, 0, 1))
    assert learning.psi(same, shifted) > 0.25


def test_fitting_caps_the_thread_pools(monkeypatch) -> None:
    """Idle BLAS threads spin on a busy machine: the fit runs with the pools capped."""
    from threadpoolctl import threadpool_info

    seen: list[int] = []
    original = learning._fit_linear

    def spy(design, y):
        seen.extend(pool["num_threads"] for pool in threadpool_info())
        return original(design, y)

    monkeypatch.setattr(learning, "_fit_linear", spy)
    frame, y = data(400)
    learning.fit(frame, y, folds=2)
    assert seen and max(seen) <= learning.THREADS
