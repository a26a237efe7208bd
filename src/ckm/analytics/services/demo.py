"""What the demo needs beyond its package: value settings, default alert rules, trained and
scored models, learned and rule segments, and a first evaluation of the alert rules."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db.models import Count

from ckm.analytics.features import data_as_of
from ckm.analytics.learning import TrainingError
from ckm.analytics.models import ModelVersion, Segment, ValueSettings
from ckm.analytics.services.alerts import alert_rules_default, alerts_evaluate
from ckm.analytics.services.segments import segment_snapshots_take, segments_learn
from ckm.analytics.services.training import model_train
from ckm.analytics.services.value import value_compute, value_settings_get
from ckm.core.errors import DomainError
from ckm.customers.models import Holding, Product

log = logging.getLogger(__name__)

DEMO_RATES = {"card": 0.008, "direct_debit": 0.001, "transfer_out": 0.0005, "fee": 1.0}


def _demo_segments(*, churn: bool, families: set[str]) -> list[tuple[str, str, dict[str, Any]]]:
    segments: list[tuple[str, str, dict[str, Any]]] = [
        (
            "Top value customers",
            "The highest tenth by lifetime value",
            {
                "match": "all",
                "conditions": [{"field": "value:value_decile", "op": "gte", "value": 10}],
            },
        ),
        (
            "On the retention list",
            "Customers with an open retention alert",
            {
                "match": "all",
                "conditions": [{"field": "alert:open", "op": "is_true", "value": True}],
            },
        ),
    ]
    if churn:
        segments.append(
            (
                "Valuable and at risk",
                "High lifetime value and a churn risk in the top fifth",
                {
                    "match": "all",
                    "conditions": [
                        {"field": "value:value_decile", "op": "gte", "value": 7},
                        {"field": "decile:churn", "op": "gte", "value": 9},
                    ],
                },
            )
        )
    if "savings" in families:
        segments.append(
            (
                "Savers",
                "Customers holding a savings product",
                {
                    "match": "all",
                    "conditions": [{"field": "holds:family", "op": "has", "value": "savings"}],
                },
            )
        )
    if "card" in families:
        segments.append(
            (
                "Without a card",
                "Active customers without a card",
                {
                    "match": "all",
                    "conditions": [
                        {"field": "holds:family", "op": "has_not", "value": "card"},
                        {"field": "customer:status", "op": "eq", "value": "active"},
                    ],
                },
            )
        )
    return segments


def _propensity_products(as_of: dt.date, limit: int = 2) -> list[Product]:
    """Products many customers opened in the last year (enough outcomes to learn from)."""
    since = as_of - dt.timedelta(days=365)
    rows = (
        Holding.objects.filter(opened__gt=since, opened__lte=as_of)
        .values("product_id")
        .annotate(n=Count("id"))
        .filter(n__gte=10)
        .order_by("-n")[: limit * 2]
    )
    products = Product.objects.in_bulk([r["product_id"] for r in rows])
    # prefer products not everyone has (a current account is a poor cross-sell target)
    ranked = sorted(
        (products[r["product_id"]] for r in rows if r["product_id"] in products),
        key=lambda p: Holding.objects.filter(product=p).exclude(status="closed").count(),
    )
    return ranked[:limit]


def analytics_seed_demo(*, actor: Any = None) -> dict[str, Any]:
    """Seed analytics after the demo package is imported: value settings with demo rates, the
    default alert rules, value and CLV, a churn model and propensity models for the two products
    most often opened last year (trained, promoted, scored), learned segments, a few rule
    segments, today's snapshots and a first evaluation of the alert rules.

    Idempotent enough to run twice (a second run adds new model versions). Takes well under a
    minute on the default demo (4,000 customers)."""
    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        timings[name] = round(time.monotonic() - since, 1)
        return time.monotonic()

    mark = time.monotonic()
    settings = value_settings_get()
    if not settings.transaction_rates:
        ValueSettings.objects.filter(pk=settings.pk).update(transaction_rates=DEMO_RATES)
    alert_rules_default(actor=actor)
    as_of = data_as_of()
    value = value_compute(actor=None, as_of=as_of)
    mark = lap("value", mark)
    models: list[str] = []
    try:
        # an early warning: outcomes seen 60 days after the features (the demo's `churned`
        # label marks who closed their main account by the as-of day)
        churn = model_train(
            actor=None, kind="churn", as_of=as_of, horizon_days=60, folds=3, snapshots=2
        )
        models.append(churn.message)
    except TrainingError as exc:
        log.warning("demo churn model not trained: %s", exc)
    mark = lap("churn", mark)
    for product in _propensity_products(as_of):
        try:
            version = model_train(
                actor=None,
                kind="propensity",
                product_id=product.pk,
                as_of=as_of,
                folds=3,
                snapshots=2,
            )
            models.append(version.message)
        except TrainingError as exc:
            log.warning("demo propensity model for %s not trained: %s", product, exc)
    mark = lap("propensity", mark)
    try:
        segments_learn(actor=None, as_of=as_of)
    except DomainError as exc:  # a tiny demo bank has too few customers to cluster
        log.warning("demo segments not learned: %s", exc)
    mark = lap("segments", mark)
    families = set(Product.objects.values_list("family", flat=True))
    has_churn = ModelVersion.objects.filter(slot="churn", status="active").exists()
    for name, description, definition in _demo_segments(churn=has_churn, families=families):
        if not Segment.objects.filter(name=name, kind=Segment.Kind.RULE).exists():
            Segment.objects.create(
                name=name, description=description, definition=definition, kind=Segment.Kind.RULE
            )
    alerts = alerts_evaluate(actor=None, as_of=as_of)
    segment_snapshots_take()
    lap("alerts_and_snapshots", mark)
    return {
        "customers_valued": value["customers"],
        "models": models,
        "alerts": alerts,
        "seconds": round(time.monotonic() - started, 1),
        "timings": timings,
    }
