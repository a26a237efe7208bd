"""The campaign arithmetic without the database: NPV and its range, the lift interval, the
uplift measures (scikit-uplift's definitions) and the learners on data with a known effect."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ckm.campaigns.economics import BusinessCase, lift_interval, npv, npv_estimate
from ckm.campaigns.uplift import SMALL_GRID, blend, fit_uplift, qini_auc_score, uplift_at_k


def test_npv_discounts_the_monthly_margin_and_subtracts_the_costs() -> None:
    case = BusinessCase(
        cost_per_contact=2.0,
        fixed_costs=100.0,
        margin_per_month=10.0,
        margin_months=12,
        discount_rate=0.0,
    )
    assert npv(case, contacts=50, conversions=3) == pytest.approx(3 * 120 - 100 - 100)
    discounted = BusinessCase(2.0, 100.0, 10.0, 12, 0.12)
    monthly = 1.12 ** (1 / 12)
    value = sum(10.0 / monthly**m for m in range(1, 13))
    assert npv(discounted, contacts=50, conversions=3) == pytest.approx(3 * value - 200)


def test_npv_range_is_the_poisson_binomial_spread() -> None:
    case = BusinessCase(1.0, 0.0, 10.0, 10, 0.0)
    p = [0.1] * 400
    estimate = npv_estimate(case, p)
    assert estimate.expected_conversions == pytest.approx(40)
    spread = 1.6449 * math.sqrt(400 * 0.1 * 0.9)
    assert estimate.conversions_high - estimate.expected_conversions == pytest.approx(spread, 1e-3)
    assert estimate.npv == pytest.approx(40 * 100 - 400)
    assert estimate.npv_low < estimate.npv < estimate.npv_high


def test_lift_interval_of_two_proportions() -> None:
    lift = lift_interval(120, 1000, 40, 500)
    assert lift.lift == pytest.approx(0.12 - 0.08)
    se = math.sqrt(0.12 * 0.88 / 1000 + 0.08 * 0.92 / 500)
    assert lift.high - lift.lift == pytest.approx(1.96 * se)
    assert lift.significant
    assert lift_interval(5, 100, 0, 0).lift is None


def test_qini_is_one_for_the_perfect_ranking_and_about_zero_at_random() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    t = rng.integers(0, 2, n)
    y = rng.random(n) < np.where(t == 1, 0.3, 0.1)
    perfect = y * t - y * (1 - t)
    assert qini_auc_score(y, perfect, t) == pytest.approx(1.0)
    assert abs(qini_auc_score(y, rng.random(n), t)) < 0.1
    assert qini_auc_score(y, -perfect, t) < 0


def test_uplift_at_k_compares_treated_and_control_in_the_top_share() -> None:
    y = np.array([1, 0, 1, 1, 0, 0, 0, 0, 0, 0])
    t = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    score = np.arange(10)[::-1].astype(float)  # the first rows rank highest
    # top 40 %: rows 0-3 -> treated (1, 1) = 1.0, control (0, 1) = 0.5
    assert uplift_at_k(y, score, t, 0.4) == pytest.approx(0.5)


def test_the_learner_finds_who_responds_because_of_the_contact() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n)})
    t = rng.integers(0, 2, n)
    effect = np.where(x["a"] > 0.5, 0.3, 0.0)  # only half the customers react to the contact
    y = (rng.random(n) < 0.1 + effect * t).astype(int)
    model = fit_uplift(x, y, t, grid=SMALL_GRID, folds=3, bags=2)
    test = pd.DataFrame({"a": [0.9, 0.1], "b": [0.5, 0.5]})
    high, low = model.predict(test)
    assert high > low + 0.1
    assert model.blend and set(model.learners) == {
        "class_transformation",
        "two_models",
        "x_learner",
    }


def test_the_blend_keeps_ties_instead_of_ordering_them_by_input_position() -> None:
    coarse = np.array([0.3, 0.1, 0.1, 0.2, 0.3, 0.0])
    fine = np.array([0.05, 0.01, 0.02, 0.03, 0.04, -0.01])
    parts = {"class_transformation": coarse, "two_models": fine}
    alone = blend(parts, ["class_transformation"])
    assert alone[0] == pytest.approx(alone[4]) and alone[1] == pytest.approx(alone[2])
    assert alone[5] < alone[1] < alone[3] < alone[0]
    assert alone.sum() == pytest.approx(fine.sum())  # the levels are redistributed, not changed
    both = blend(parts, ["class_transformation", "two_models"])
    assert len(set(np.round(both, 12))) == 6  # the second learner breaks the ties


def test_a_cut_through_tied_scores_is_seeded_and_not_by_customer_order() -> None:
    from ckm.campaigns.models import Campaign
    from ckm.campaigns.services.planning import _select

    scores = np.array([0.5] * 100 + [0.9] * 5)
    ids = list(range(len(scores)))

    def top(seed: int) -> list[int]:
        campaign = Campaign(selection=Campaign.Selection.TOP_K, selection_value=25, seed=seed)
        return [int(i) for i in _select(campaign, ids, scores)]

    picked = top(42)
    assert sorted(picked[:5]) == [100, 101, 102, 103, 104]  # the best scores first
    assert len(picked) == 25 and picked[5:] != list(range(20))  # not the lowest ids of the tie
    assert top(42) == picked  # the same campaign picks the same people
    assert top(43)[5:] != picked[5:]
