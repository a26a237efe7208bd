"""BG/NBD and Gamma-Gamma against the published CDNOW figures (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ckm.analytics import clv

SUMMARY = Path("/work/shared/data/cdnow/cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    if not SUMMARY.exists():
        pytest.skip("the CDNOW data is not on this machine")
    return pd.read_csv(SUMMARY)


def test_bgnbd_reproduces_the_published_parameters(cdnow) -> None:
    model = clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert model.r == pytest.approx(0.243, rel=0.01)
    assert model.alpha == pytest.approx(4.414, rel=0.01)
    assert model.a == pytest.approx(0.793, rel=0.01)
    assert model.b == pytest.approx(2.426, rel=0.01)
    assert model.loglik == pytest.approx(-9582.4, abs=0.5)


def test_conditional_expectation_matches_the_paper() -> None:
    model = clv.BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, loglik=0.0)
    expected = model.expected_purchases(39, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert expected[0] == pytest.approx(1.226, abs=0.002)
    alive = model.p_alive(
        np.array([0.0, 2.0, 2.0]), np.array([0.0, 30.43, 5.0]), np.array([38.86] * 3)
    )
    assert alive[0] == 1.0 and alive[1] > alive[2]  # a recent buyer is likelier alive


def test_gamma_gamma_reproduces_the_published_parameters(cdnow) -> None:
    model = clv.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert model.p == pytest.approx(6.25, rel=0.01)
    assert model.q == pytest.approx(3.74, rel=0.01)
    assert model.gamma == pytest.approx(15.44, rel=0.01)
    value = model.expected_value(np.array([0.0, 10.0]), np.array([0.0, 30.0]))
    assert value[0] == pytest.approx(model.p * model.gamma / (model.q - 1))


def test_summaries_merge_same_day_purchases() -> None:
    purchases = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "day": pd.to_datetime(["1997-01-01", "1997-01-01", "1997-01-15", "1997-02-01"]),
            "amount": [10.0, 5.0, 20.0, 7.0],
        }
    )
    summary = clv.summarise(purchases, end=dt.date(1997, 1, 29))
    assert summary.x.tolist() == [1.0]  # customer 2 bought after the end
    assert summary.t_x.tolist() == [2.0] and summary.T.tolist() == [4.0]
    assert summary.monetary.tolist() == [20.0]


def test_the_analytic_gradient_matches_finite_differences(cdnow) -> None:
    from scipy.optimize import approx_fprime

    x, t_x, T = cdnow["x"].to_numpy(float), cdnow["t_x"].to_numpy(), cdnow["T"].to_numpy()
    point = np.array([0.3, 5.0, 0.7, 2.0])
    weights = np.ones_like(x)
    value, gradient = clv.bgnbd_loglik_gradient(point, x, t_x, T, weights)
    assert value == pytest.approx(clv.bgnbd_loglik(point, x, t_x, T).sum())
    numeric = approx_fprime(
        point, lambda p: clv.bgnbd_loglik_gradient(p, x, t_x, T, weights)[0], 1e-6
    )
    assert np.allclose(gradient, numeric, rtol=1e-3)
