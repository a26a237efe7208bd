"""CLV: the Fader-Hardie-Lee (2005) CDNOW set-up through the product, beside `lifetimes`.

The 2,357-customer CDNOW sample is converted into a customer data package (customers.csv and
transactions.csv, kind `purchase`, amount = dollar value) and imported. The product's CLV service
(`analytics.services.value.clv_fit_predict`) summarises purchases from the database (one per day,
in weeks, calibration to week 39 = 1997-09-30), fits its own BG/NBD and Gamma-Gamma and predicts
the holdout weeks 40-78. Reported: the fitted parameters and log-likelihood, predicted against
actual cumulative repeat purchases at week 78 (the paper's tracking forecast: every customer's
expected repeat purchases since their first purchase), the correlation of each customer's
conditional expectation with their actual holdout purchases, and fit time - and the same figures
from `lifetimes` (the reference implementation; unmaintained, so its failures are reported, not
fatal) on the same summary. `--full` adds the full CDNOW file (23,570 customers)."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ckm.bench.churn import import_package
from ckm.bench.report import table

CALIBRATION_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik": -9582.4}


def add_arguments(parser: Any) -> None:
    parser.add_argument("--data", type=Path, default=Path("../shared/data/cdnow"))
    parser.add_argument(
        "--full", action="store_true", help="also fit the full CDNOW file (23,570 customers)"
    )


def convert_cdnow(source: Path, folder: Path, *, full: bool = False) -> Path:
    """CDNOW transactions as a package: customers CD-<id>, transactions of kind purchase."""
    if full:
        frame = pd.read_csv(source / "CDNOW_master.txt", sep=r"\s+", dtype=str)
        frame = frame.rename(
            columns={"date": "day", "number_of_cds": "cds", "dollar_value": "amount"}
        )
    else:
        frame = pd.read_csv(
            source / "CDNOW_sample.txt",
            sep=r"\s+",
            header=None,
            dtype=str,
            names=["master_id", "customer_id", "day", "cds", "amount"],
        )
    prefix = "CDF-" if full else "CD-"
    frame["customer_id"] = prefix + frame["customer_id"].astype(int).astype(str)
    days = pd.to_datetime(frame["day"], format="%Y%m%d")
    customers = pd.DataFrame({"customer_id": frame["customer_id"].unique()})
    customers["kind"] = "person"
    customers["last_name"] = "CDNOW " + customers["customer_id"]
    customers["customer_since"] = customers["customer_id"].map(
        days.groupby(frame["customer_id"]).min().dt.strftime("%Y-%m-%d")
    )
    customers.to_csv(folder / "customers.csv", index=False)
    transactions = pd.DataFrame(
        {
            "transaction_id": [f"{prefix}T{i}" for i in range(len(frame))],
            "customer_id": frame["customer_id"],
            "booked_at": days.dt.strftime("%Y-%m-%dT12:00:00"),
            "amount": pd.to_numeric(frame["amount"]).map(lambda v: f"{v:.2f}"),
            "kind": "purchase",
        }
    )
    transactions.to_csv(folder / "transactions.csv", index=False)
    (folder / "manifest.yaml").write_text(
        f"name: CDNOW {'full' if full else 'sample'} (benchmark)\nas_of: {HOLDOUT_END}\n",
        encoding="utf-8",
    )
    return folder


def _holdout_actual(customer_ids: np.ndarray) -> tuple[np.ndarray, float]:
    """Repeat purchases in weeks 40-78 per customer (one per day), from the database."""
    from ckm.analytics.services.value import purchases_frame

    purchases = purchases_frame(
        customer_ids=customer_ids.tolist(), until=HOLDOUT_END, kinds=["purchase"]
    )
    daily = purchases.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    end_cal = (CALIBRATION_END - dt.date(1970, 1, 1)).days
    holdout = daily[daily["day"] > end_cal].groupby("customer_id").size()
    return holdout.reindex(customer_ids, fill_value=0).to_numpy(dtype=float), float(
        len(daily) - daily["customer_id"].nunique()
    )


def _tracking(first_purchase_week: np.ndarray, expected_new: Any, week: float = 78.0) -> float:
    """Expected cumulative repeat purchases by `week` over every customer (FHL's tracking plot)."""
    return float(np.sum(expected_new(np.clip(week - first_purchase_week, 0, None))))


def _lifetimes(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    monetary: np.ndarray,
    first_week: np.ndarray,
    end_week: float,
) -> dict[str, Any]:
    """The peer: lifetimes' BetaGeoFitter (and GammaGammaFitter) on the same summary."""
    try:
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except Exception as exc:  # an unmaintained package may not even import
        return {"error": f"{type(exc).__name__}: {exc}"}
    out: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        model = BetaGeoFitter(penalizer_coef=0.0)
        model.fit(pd.Series(x), pd.Series(t_x), pd.Series(T))
        out["fit_s"] = round(time.perf_counter() - started, 3)
        params = model.params_
        out["params"] = {k: round(float(params[k]), 4) for k in ("r", "alpha", "a", "b")}
        # lifetimes fits on rescaled times and keeps a mean; the FHL log-likelihood at its
        # parameters, on the original weeks, is what compares
        from ckm.analytics.clv import bgnbd_loglik

        chosen = np.array([out["params"][k] for k in ("r", "alpha", "a", "b")])
        out["loglik"] = round(float(bgnbd_loglik(chosen, x, t_x, T).sum()), 2)
        conditional = np.asarray(
            model.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T), dtype=float
        )
        out["conditional"] = conditional
        out["tracking_78"] = _tracking(
            first_week,
            lambda t: np.asarray(model.expected_number_of_purchases_up_to_time(t), dtype=float),
            end_week,
        )
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    try:  # Pareto/NBD as a second opinion on which model serves best
        from lifetimes import ParetoNBDFitter

        started = time.perf_counter()
        pareto = ParetoNBDFitter(penalizer_coef=0.0).fit(pd.Series(x), pd.Series(t_x), pd.Series(T))
        out["pareto_nbd"] = {
            "params": {k: round(float(v), 4) for k, v in pareto.params_.items()},
            "fit_s": round(time.perf_counter() - started, 3),
            "tracking_78": _tracking(
                first_week,
                lambda t: np.asarray(
                    pareto.expected_number_of_purchases_up_to_time(t), dtype=float
                ),
                end_week,
            ),
            "conditional": np.asarray(
                pareto.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T),
                dtype=float,
            ),
        }
    except Exception as exc:
        out["pareto_nbd_error"] = f"{type(exc).__name__}: {exc}"
    try:
        keep = (x > 0) & (monetary > 0)
        gg = GammaGammaFitter(penalizer_coef=0.0).fit(pd.Series(x[keep]), pd.Series(monetary[keep]))
        out["gamma_gamma"] = {k: round(float(v), 4) for k, v in gg.params_.items()}
    except Exception as exc:
        out["gamma_gamma_error"] = f"{type(exc).__name__}: {exc}"
    return out


def _evaluate(folder_ids: np.ndarray) -> dict[str, Any]:
    from ckm.analytics.services.value import clv_fit_predict

    started = time.perf_counter()
    result = clv_fit_predict(
        customer_ids=folder_ids.tolist(),
        calibration_end=CALIBRATION_END,
        horizon_weeks=39,
        kinds=["purchase"],
    )
    service_s = time.perf_counter() - started
    ids = result.customer_id
    actual, _ = _holdout_actual(ids)
    start = dt.date(1997, 1, 1)
    # each customer's first purchase in weeks since 1997-01-01 (T runs from it to the calibration end)
    first_week = (CALIBRATION_END - start).days / 7 - result.T
    end_week = (HOLDOUT_END - start).days / 7
    calibration_repeats = float(result.x.sum())
    actual_78 = calibration_repeats + float(actual.sum())
    predicted_78 = _tracking(first_week, result.bgnbd.expected_purchases_new, end_week)
    ours = {
        "params": {k: round(v, 4) for k, v in result.bgnbd.params.items()},
        "loglik": round(result.bgnbd.loglik, 2),
        "fit_s": round(result.fit_seconds, 3),
        "service_s": round(service_s, 2),
        "predicted_78": round(predicted_78, 1),
        "actual_78": actual_78,
        "holdout_error": round((predicted_78 - actual_78) / actual_78, 4),
        "holdout_conditional_error": round(
            (float(result.expected.sum()) - float(actual.sum())) / float(actual.sum()), 4
        ),
        "holdout_corr": round(float(np.corrcoef(result.expected, actual)[0, 1]), 4),
        "gamma_gamma": {k: round(v, 4) for k, v in result.gamma_gamma.params.items()}
        if result.gamma_gamma
        else None,
        "customers": len(ids),
        "calibration_repeats": calibration_repeats,
        "holdout_repeats": float(actual.sum()),
    }
    peer = _lifetimes(result.x, result.t_x, result.T, result.monetary, first_week, end_week)
    if "conditional" in peer:
        conditional = peer.pop("conditional")
        peer["holdout_corr"] = round(float(np.corrcoef(conditional, actual)[0, 1]), 4)
        peer["holdout_conditional_error"] = round(
            (float(conditional.sum()) - float(actual.sum())) / float(actual.sum()), 4
        )
    pareto = peer.get("pareto_nbd")
    if pareto:
        conditional = pareto.pop("conditional")
        pareto["holdout_corr"] = round(float(np.corrcoef(conditional, actual)[0, 1]), 4)
        pareto["predicted_78"] = round(pareto.pop("tracking_78"), 1)
        pareto["holdout_error"] = round((pareto["predicted_78"] - actual_78) / actual_78, 4)
    if "tracking_78" in peer:
        peer["predicted_78"] = round(peer.pop("tracking_78"), 1)
        peer["holdout_error"] = round((peer["predicted_78"] - actual_78) / actual_78, 4)
    return {"ours": ours, "peer": peer}


def run(*, data: Path, full: bool = False) -> dict[str, Any]:
    from ckm.customers.models import Customer

    data = data.expanduser().resolve()
    results: dict[str, Any] = {}
    for label, use_full in [("sample", False), *([("full", True)] if full else [])]:
        with tempfile.TemporaryDirectory(prefix="ckm-bench-clv-") as tmp:
            folder = convert_cdnow(data, Path(tmp), full=use_full)
            loaded = import_package(folder)
            print(f"imported CDNOW {label}: {loaded['files']} in {loaded['seconds']} s")
            prefix = "CDF-" if use_full else "CD-"
            ids = np.asarray(
                list(
                    Customer.objects.filter(external_id__startswith=prefix).values_list(
                        "pk", flat=True
                    )
                ),
                dtype=np.int64,
            )
            results[label] = _evaluate(ids)
    sample = results["sample"]
    ours, peer = sample["ours"], sample["peer"]
    rows = [
        ["r", PUBLISHED["r"], ours["params"]["r"], peer.get("params", {}).get("r")],
        ["alpha", PUBLISHED["alpha"], ours["params"]["alpha"], peer.get("params", {}).get("alpha")],
        ["a", PUBLISHED["a"], ours["params"]["a"], peer.get("params", {}).get("a")],
        ["b", PUBLISHED["b"], ours["params"]["b"], peer.get("params", {}).get("b")],
        ["log-likelihood", PUBLISHED["loglik"], ours["loglik"], peer.get("loglik")],
        ["repeat purchases to week 78 (actual)", None, ours["actual_78"], ours["actual_78"]],
        ["predicted", None, ours["predicted_78"], peer.get("predicted_78")],
        ["error at week 78", -0.04, ours["holdout_error"], peer.get("holdout_error")],
        ["holdout corr. per customer", 0.626, ours["holdout_corr"], peer.get("holdout_corr")],
        ["fit seconds", None, ours["fit_s"], peer.get("fit_s")],
    ]
    print(
        table(
            rows,
            ["CDNOW sample, BG/NBD", "published (FHL 2005)", "product", "lifetimes"],
            title="\nCLV: calibration to week 39, holdout weeks 40-78",
        )
    )
    pareto = peer.get("pareto_nbd") or {}
    if pareto:
        print(
            table(
                [[k, v] for k, v in pareto.get("params", {}).items()]
                + [
                    ["error at week 78", pareto.get("holdout_error")],
                    ["holdout corr.", pareto.get("holdout_corr")],
                    ["fit seconds", pareto.get("fit_s")],
                ],
                ["Pareto/NBD (lifetimes)", "value"],
                title="\nPareto/NBD on the same data (published: r 0.553, alpha 10.578, s 0.606, beta 11.669; -2 %, corr. 0.630)",
            )
        )
    if peer.get("error"):
        print(f"lifetimes failed: {peer['error']}")
    if "full" in results:
        f_ours, f_peer = results["full"]["ours"], results["full"]["peer"]
        print(
            table(
                [
                    ["error at week 78", f_ours["holdout_error"], f_peer.get("holdout_error")],
                    ["holdout corr.", f_ours["holdout_corr"], f_peer.get("holdout_corr")],
                    ["fit seconds", f_ours["fit_s"], f_peer.get("fit_s")],
                ],
                ["CDNOW full file", "product", "lifetimes"],
                title="\nfull file (23,570 customers)",
            )
        )
    within = all(
        abs(ours["params"][k] - PUBLISHED[k]) / PUBLISHED[k] <= 0.01
        for k in ("r", "alpha", "a", "b")
    )
    return {
        "dataset": str(data),
        "params": ours["params"],
        "loglik": ours["loglik"],
        "holdout_error": ours["holdout_error"],
        "holdout_corr": ours["holdout_corr"],
        "fit_s": ours["fit_s"],
        "peer_fit_s": peer.get("fit_s"),
        "params_within_1pct": within,
        "published": PUBLISHED,
        "predicted_78": ours["predicted_78"],
        "actual_78": ours["actual_78"],
        "holdout_conditional_error": ours["holdout_conditional_error"],
        "gamma_gamma": ours["gamma_gamma"],
        "peer": peer,
        "full": results.get("full"),
    }
