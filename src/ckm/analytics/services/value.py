"""Customer value: profitability, RFM and lifetime value (BG/NBD + Gamma-Gamma).

Profitability per customer and year, as of a date:
    revenue = sum over products held of |balance| x product margin + product fee
            + sum over the last year's transactions of |amount| x the rate of their kind
    cost to serve = last year's contacts x cost per channel + cases x cost per kind
    profit = revenue - cost to serve
RFM from the last year's transactions: days since the last one, how many, how much (|amount|),
each scored 1-5 by quintile across customers.
CLV over the settings' horizon: purchases (transactions of the purchase kinds, one per day) are
forecast with BG/NBD and valued with Gamma-Gamma on their margin (|amount| x rate); while the
customer is alive (BG/NBD's P(alive)) the products held keep earning their margin, net of the
cost to serve. Discounted at the settings' annual rate.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from ckm.analytics import clv as clv_math
from ckm.analytics.features import (
    _days_of_dates,
    _days_of_datetimes,
    _frame,
    case_frame,
    data_as_of,
    day_number,
    local_start,
)
from ckm.analytics.models import CustomerValue, ModelVersion, ValueSettings
from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import ValidationError
from ckm.core.jobs import Progress
from ckm.core.models import AuditEntry
from ckm.core.permissions import require_perm
from ckm.customers.models import Customer, Holding, Transaction
from ckm.interactions.models import Channel, Interaction
from ckm.service.models import CaseKind

CHUNK = 100_000
MAX_COST = 1e15  # a cost or rate beyond this is a typing mistake, not a value
# what a cost is given for: a contact per channel, a case per kind (transaction kinds come with
# the imported data and are not a fixed list)
COST_NAMES: dict[str, list[str]] = {
    "interaction_costs": list(Channel.values),
    "case_costs": list(CaseKind.values),
}
SETTINGS_FIELDS = [
    "interaction_costs",
    "case_costs",
    "transaction_rates",
    "purchase_kinds",
    "clv_horizon_weeks",
    "discount_rate",
    "currency",
]


def value_settings_get() -> ValueSettings:
    """The one row of value settings (created with defaults when missing)."""
    settings, _ = ValueSettings.objects.get_or_create(pk=1)
    return settings


@transaction.atomic
def value_settings_update(*, actor: Any, **fields: Any) -> ValueSettings:
    """Change the rates behind customer value (managers)."""
    if actor is not None:
        require_perm(actor, "analytics.change_value_settings")
    settings = value_settings_get()
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "not a value setting"})
    before = snapshot(settings, SETTINGS_FIELDS)
    for name, value in fields.items():
        setattr(settings, name, value)
    errors: dict[str, str] = {}
    for name in ("interaction_costs", "case_costs", "transaction_rates"):
        value = getattr(settings, name)
        if not isinstance(value, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= MAX_COST
            for v in value.values()
        ):
            errors[name] = "give a mapping of names to non-negative numbers (up to 10^15)"
            continue
        # a misspelt channel or case kind ("phnoe") would cost nothing, without a word
        known = COST_NAMES.get(name)
        strangers = sorted(set(value) - set(known)) if known is not None else []
        if strangers:
            errors[name] = f"unknown: {', '.join(strangers)}; choose from {', '.join(known or ())}"
    if not isinstance(settings.purchase_kinds, list):
        errors["purchase_kinds"] = "give a list of transaction kinds"
    if not 0 <= settings.discount_rate < 1:
        errors["discount_rate"] = "a rate between 0 and 1 (0.08 = 8 %)"
    if not 1 <= settings.clv_horizon_weeks <= 520:
        errors["clv_horizon_weeks"] = "between 1 and 520 weeks"
    if errors:
        raise ValidationError(errors)
    settings.updated_by = actor if actor is not None and actor.is_authenticated else None
    settings.full_clean()
    settings.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=settings,
        before=before,
        after=snapshot(settings, SETTINGS_FIELDS),
    )
    return settings


@dataclass
class ClvResult:
    """A fitted BG/NBD (+ Gamma-Gamma) and its per-customer predictions."""

    customer_id: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    bgnbd: clv_math.BGNBD
    gamma_gamma: clv_math.GammaGamma | None
    expected: np.ndarray  # purchases over the horizon
    p_alive: np.ndarray
    value_per_purchase: np.ndarray
    fit_seconds: float


def purchases_frame(
    *,
    customer_ids: Sequence[int] | None,
    until: dt.date,
    kinds: Sequence[str] = (),
    rates: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Purchases up to a date: customer_id, day (number), amount (the margin when rates are set,
    else |amount|)."""
    filters: dict[str, Any] = {"booked_at__lt": local_start(until + dt.timedelta(days=1))}
    if kinds:
        filters["kind__in"] = list(kinds)
    frame = _frame(
        Transaction,
        ["customer_id", "booked_at", "amount", "kind"],
        ["customer_id", "booked_at", "amount", "kind"],
        customer_ids,
        **filters,
    )
    frame["day"] = _days_of_datetimes(frame["booked_at"])
    amount = pd.to_numeric(frame["amount"], errors="coerce").astype(float).abs()
    if rates:
        amount = amount * frame["kind"].map(lambda k: float(rates.get(k, 0.0))).astype(float)
    frame["amount"] = amount
    return frame[frame["day"] <= day_number(until)][["customer_id", "day", "amount"]]


def clv_fit_predict(
    *,
    customer_ids: Sequence[int] | None,
    calibration_end: dt.date,
    horizon_weeks: float,
    kinds: Sequence[str] = (),
    rates: dict[str, float] | None = None,
) -> ClvResult:
    """Fit BG/NBD (and Gamma-Gamma when purchases carry value) on purchases up to
    calibration_end, in weeks, and predict each customer's next `horizon_weeks`."""
    purchases = purchases_frame(
        customer_ids=customer_ids, until=calibration_end, kinds=kinds, rates=rates
    )
    summary = clv_math.summarise(purchases, end=calibration_end, period_days=7.0)
    started = time.monotonic()
    model = clv_math.fit_bgnbd(summary.x, summary.t_x, summary.T)
    seconds = time.monotonic() - started  # BG/NBD alone, comparable with lifetimes' fit
    gamma_gamma = None
    repeat_value = (summary.x > 0) & (summary.monetary > 0)
    if repeat_value.sum() >= 20:
        try:
            gamma_gamma = clv_math.fit_gamma_gamma(summary.x, summary.monetary)
        except ValueError:
            gamma_gamma = None
    expected = model.expected_purchases(horizon_weeks, summary.x, summary.t_x, summary.T)
    alive = model.p_alive(summary.x, summary.t_x, summary.T)
    if gamma_gamma is not None and gamma_gamma.q > 1:
        value = gamma_gamma.expected_value(summary.x, summary.monetary)
    else:
        mean = float(summary.monetary[summary.x > 0].mean()) if (summary.x > 0).any() else 0.0
        value = np.where(summary.x > 0, summary.monetary, mean)
    return ClvResult(
        customer_id=summary.customer_id,
        x=summary.x,
        t_x=summary.t_x,
        T=summary.T,
        monetary=summary.monetary,
        bgnbd=model,
        gamma_gamma=gamma_gamma,
        expected=expected,
        p_alive=alive,
        value_per_purchase=value,
        fit_seconds=seconds,
    )


def _quintile(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    ranked = values.rank(method="first", ascending=higher_is_better)
    scores = np.ceil(ranked / max(len(values), 1) * 5).clip(1, 5)
    return scores.fillna(1).astype(int)


def value_compute(
    *,
    actor: Any = None,
    as_of: dt.date | None = None,
    customer_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Compute every customer's profitability, RFM and CLV as of a date and store them
    (CustomerValue, one row per customer; the CLV fit is registered as a model version)."""
    if actor is not None:
        require_perm(actor, "analytics.train_modelversion")
    step = progress or (lambda done, total, message: None)
    started = time.monotonic()
    cut = as_of or data_as_of()
    cut_day = day_number(cut)
    settings = value_settings_get()
    if customer_ids is None:
        ids = np.asarray(
            list(Customer.objects.order_by("id").values_list("id", flat=True)), dtype=np.int64
        )
    else:
        ids = np.asarray(list(customer_ids), dtype=np.int64)
    population: list[int] | None = None if customer_ids is None else ids.tolist()
    frame = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    step(0, 6, "Reading products held")
    holdings = _frame(
        Holding,
        ["customer_id", "product__margin", "product__fee", "opened", "closed", "status", "balance"],
        ["customer_id", "margin", "fee", "opened", "closed", "status", "balance"],
        population,
    )
    opened = _days_of_dates(holdings["opened"])
    closed = _days_of_dates(holdings["closed"])
    held = (
        (opened <= cut_day)
        & (np.isnan(closed) | (closed > cut_day))
        & ~((holdings["status"] == "closed") & np.isnan(closed))
    )
    h = holdings[held]
    balance = pd.to_numeric(h["balance"], errors="coerce").fillna(0).astype(float)
    margin = pd.to_numeric(h["margin"], errors="coerce").fillna(0).astype(float)
    fee = pd.to_numeric(h["fee"], errors="coerce").fillna(0).astype(float)
    holding_revenue = (balance.abs() * margin + fee).groupby(h["customer_id"]).sum()
    frame["balance"] = balance.groupby(h["customer_id"]).sum().reindex(frame.index, fill_value=0.0)
    step(1, 6, "Reading the last year's transactions")
    year_ago = cut - dt.timedelta(days=365)
    tx = _frame(
        Transaction,
        ["customer_id", "booked_at", "amount", "kind"],
        ["customer_id", "booked_at", "amount", "kind"],
        population,
        booked_at__gte=local_start(year_ago + dt.timedelta(days=1)),
        booked_at__lt=local_start(cut + dt.timedelta(days=1)),
    )
    tx["day"] = _days_of_datetimes(tx["booked_at"])
    tx = tx[(tx["day"] <= cut_day) & (tx["day"] > cut_day - 365)]
    amount = pd.to_numeric(tx["amount"], errors="coerce").fillna(0).astype(float).abs()
    rates = {str(k): float(v) for k, v in (settings.transaction_rates or {}).items()}
    tx_revenue = (
        (amount * tx["kind"].map(lambda k: rates.get(k, 0.0)).astype(float))
        .groupby(tx["customer_id"])
        .sum()
    )
    grouped = tx.assign(amount=amount).groupby("customer_id")
    frame["recency_days"] = (cut_day - grouped["day"].max()).reindex(frame.index)
    frame["frequency"] = grouped.size().reindex(frame.index, fill_value=0)
    frame["monetary"] = grouped["amount"].sum().reindex(frame.index, fill_value=0.0)
    step(2, 6, "Reading contacts and cases")
    contacts = _frame(
        Interaction,
        ["customer_id", "channel", "occurred_at"],
        ["customer_id", "channel", "occurred_at"],
        population,
        occurred_at__gte=local_start(year_ago + dt.timedelta(days=1)),
        occurred_at__lt=local_start(cut + dt.timedelta(days=1)),
    )
    channel_costs = {str(k): float(v) for k, v in (settings.interaction_costs or {}).items()}
    contact_cost = (
        contacts["channel"]
        .map(lambda c: channel_costs.get(c, 0.0))
        .astype(float)
        .groupby(contacts["customer_id"])
        .sum()
    )
    cases = case_frame(customer_ids=population, until=cut)
    case_costs = {str(k): float(v) for k, v in (settings.case_costs or {}).items()}
    if len(cases):
        case_day = _days_of_datetimes(cases["opened_at"])
        recent = cases[case_day > cut_day - 365]
        case_cost = (
            recent["kind"]
            .map(lambda k: case_costs.get(str(k), 0.0))
            .astype(float)
            .groupby(recent["customer_id"])
            .sum()
        )
    else:
        case_cost = pd.Series(dtype=float)
    frame["revenue"] = holding_revenue.reindex(frame.index, fill_value=0.0) + tx_revenue.reindex(
        frame.index, fill_value=0.0
    )
    frame["cost_to_serve"] = contact_cost.reindex(frame.index, fill_value=0.0) + case_cost.reindex(
        frame.index, fill_value=0.0
    )
    frame["profit"] = frame["revenue"] - frame["cost_to_serve"]
    active = frame["frequency"] > 0
    frame["r"] = 1
    frame["f"] = 1
    frame["m"] = 1
    if active.any():
        frame.loc[active, "r"] = _quintile(
            frame.loc[active, "recency_days"], higher_is_better=False
        )
        frame.loc[active, "f"] = _quintile(frame.loc[active, "frequency"].astype(float))
        frame.loc[active, "m"] = _quintile(frame.loc[active, "monetary"])
    step(3, 6, "Fitting BG/NBD and Gamma-Gamma")
    horizon = float(settings.clv_horizon_weeks)
    frame["expected_purchases"] = np.nan
    frame["p_alive"] = np.nan
    tx_value = pd.Series(0.0, index=frame.index)
    version = None
    result: ClvResult | None = None
    try:
        fitted = clv_fit_predict(
            customer_ids=population,
            calibration_end=cut,
            horizon_weeks=horizon,
            kinds=list(settings.purchase_kinds or []),
            rates=rates or None,
        )
    except ValueError as exc:
        note = f"no CLV: {exc}"
    else:
        result = fitted
        index = pd.Index(result.customer_id)
        frame["expected_purchases"] = pd.Series(result.expected, index=index).reindex(frame.index)
        frame["p_alive"] = pd.Series(result.p_alive, index=index).reindex(frame.index)
        tx_value = pd.Series(
            clv_math.discounted_value(
                result.expected,
                result.value_per_purchase,
                horizon_periods=horizon,
                annual_rate=settings.discount_rate,
            ),
            index=index,
        ).reindex(frame.index, fill_value=0.0)
        note = f"BG/NBD r={result.bgnbd.r:.3f} alpha={result.bgnbd.alpha:.3f} a={result.bgnbd.a:.3f} b={result.bgnbd.b:.3f}"
    years = horizon / 52.0
    discount = 1.0 / (1.0 + settings.discount_rate) ** (years / 2)
    alive = frame["p_alive"].fillna(1.0)
    # products earn their margin while the customer stays; the transactional part is already
    # in tx_value, so only the holdings' margin and the cost to serve are carried here
    carried = (
        (holding_revenue.reindex(frame.index, fill_value=0.0) - frame["cost_to_serve"])
        * years
        * discount
    )
    frame["clv"] = (tx_value + alive * carried).fillna(0.0)
    ranked = frame["clv"].rank(method="first")
    frame["value_decile"] = np.ceil(ranked / max(len(frame), 1) * 10).clip(1, 10).astype(int)
    step(4, 6, "Saving customer values")
    rows = [
        CustomerValue(
            customer_id=int(cid),
            as_of=cut,
            balance=round(float(r.balance), 2),
            revenue=round(float(r.revenue), 2),
            cost_to_serve=round(float(r.cost_to_serve), 2),
            profit=round(float(r.profit), 2),
            recency_days=None if pd.isna(r.recency_days) else int(r.recency_days),
            frequency=int(r.frequency),
            monetary=round(float(r.monetary), 2),
            rfm=f"{int(r.r)}{int(r.f)}{int(r.m)}",
            expected_purchases=None
            if pd.isna(r.expected_purchases)
            else round(float(r.expected_purchases), 4),
            p_alive=None if pd.isna(r.p_alive) else round(float(r.p_alive), 4),
            clv=round(float(r.clv), 2),
            value_decile=int(r.value_decile),
        )
        for cid, r in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    fields = [
        "as_of",
        "balance",
        "revenue",
        "cost_to_serve",
        "profit",
        "recency_days",
        "frequency",
        "monetary",
        "rfm",
        "expected_purchases",
        "p_alive",
        "clv",
        "value_decile",
        "computed_at",
    ]
    for start in range(0, len(rows), 5000):
        CustomerValue.objects.bulk_create(
            rows[start : start + 5000],
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=fields,
        )
    step(5, 6, "Registering the CLV model")
    if result is not None:
        version = _register_clv(result, cut, horizon, time.monotonic() - started)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        object_type="analytics.customervalue",
        summary=f"value and CLV of {len(rows):,} customers as of {cut}; {note}"[:300],
    )
    step(6, 6, "Values computed")
    return {
        "customers": len(rows),
        "as_of": cut.isoformat(),
        "profit_total": round(float(frame["profit"].sum()), 2),
        "clv_total": round(float(frame["clv"].sum()), 2),
        "clv_version": version.pk if version else None,
        "note": note,
        "seconds": round(time.monotonic() - started, 2),
    }


def _register_clv(result: ClvResult, cut: dt.date, horizon: float, seconds: float) -> ModelVersion:
    latest = ModelVersion.objects.filter(slot="clv").order_by("-version").first()
    params = {
        "bgnbd": result.bgnbd.params,
        "gamma_gamma": result.gamma_gamma.params if result.gamma_gamma else None,
        "horizon_weeks": horizon,
    }
    with transaction.atomic():
        ModelVersion.objects.filter(slot="clv", status=ModelVersion.Status.ACTIVE).update(
            status=ModelVersion.Status.RETIRED
        )
        return ModelVersion.objects.create(
            kind=ModelVersion.Kind.CLV,
            slot="clv",
            version=(latest.version + 1) if latest else 1,
            target="purchases",
            status=ModelVersion.Status.ACTIVE,
            horizon_days=int(horizon * 7),
            window_end=cut,
            params=params,
            metrics={
                "loglik": round(result.bgnbd.loglik, 2),
                "customers": len(result.x),
                "repeat_buyers": int((result.x > 0).sum()),
                "fit_seconds": round(result.fit_seconds, 3),
                "mean_p_alive": round(float(np.mean(result.p_alive)), 4),
            },
            n_examples=len(result.x),
            n_positive=int((result.x > 0).sum()),
            training_seconds=round(seconds, 2),
            promoted_at=timezone.now(),
            message=f"BG/NBD LL {result.bgnbd.loglik:,.1f} on {len(result.x):,} customers",
        )
