"""Scoring at scale: a churn model scores a million customers through the product's scoring service.

A synthetic bank (default 1,000,000 customers with typed attributes, ~1.8 M holdings, ~3.5 M
transactions and ~1 M contacts over the last four months, 8 % of them drifting) is written
straight to the scratch database; a churn model is trained on 30,000 labelled customers; then
`analytics.services.model_score` builds every customer's features from the database, predicts,
explains the top scores in words and stores the scores with deciles. Reported: the time and
rate of each step. Baseline: the per-customer way (features read and scored one customer at a
time through the same feature builder), timed on a sample and extrapolated."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np

from ckm.bench.report import table

AS_OF = dt.date(2026, 10, 31)
CHUNK = 100_000


def add_arguments(parser: Any) -> None:
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--labelled", type=int, default=30_000, help="customers with a churn label to train on"
    )
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=300,
        help="customers scored one at a time for the baseline",
    )


def _utc(days_before: np.ndarray, seconds: np.ndarray) -> list[dt.datetime]:
    base = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=dt.UTC)
    return [
        base - dt.timedelta(days=int(d), seconds=int(s))
        for d, s in zip(days_before, seconds, strict=True)
    ]


def _write(model: Any, rows: list[dict[str, Any]]) -> None:
    from django.db import transaction

    from ckm.core.imports.bulk import bulk_upsert

    with transaction.atomic():  # one commit per table and chunk, not one per row
        for start in range(0, len(rows), 5000):
            bulk_upsert(model, rows[start : start + 5000])


def generate(n: int, labelled: int, seed: int = 1) -> dict[str, Any]:
    """Write the synthetic bank; returns the labelled customer ids."""
    from ckm.customers.models import (
        AttributeDefinition,
        Customer,
        Holding,
        Label,
        Product,
        Transaction,
    )
    from ckm.interactions.models import Interaction

    rng = np.random.default_rng(seed)
    products = {}
    for pid, name, family, margin in (
        ("CUR", "Current account", "current_account", 0.01),
        ("SAV", "Savings", "savings", 0.012),
        ("CARD", "Card", "card", 0.0),
    ):
        products[pid], _ = Product.objects.get_or_create(
            external_id=pid, defaults={"name": name, "family": family, "margin": margin}
        )
    for name, kind in (("income", "float"), ("online_banking", "bool"), ("segment", "category")):
        AttributeDefinition.objects.get_or_create(
            name=name, defaults={"type": kind, "label": name.replace("_", " ").capitalize()}
        )
    counts = {"customers": 0, "holdings": 0, "transactions": 0, "interactions": 0}
    labelled_ids: list[int] = []
    labels: list[dict[str, Any]] = []
    serial = 0
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        income = np.round(rng.lognormal(10.6, 0.45, size), -2)
        online = rng.random(size) < 0.7
        segment = rng.choice(
            ["mass", "affluent", "young", "senior"], size, p=[0.55, 0.15, 0.15, 0.15]
        )
        drifting = rng.random(size) < 0.08
        born = rng.integers(20 * 365, 85 * 365, size)
        since = rng.integers(200, 5000, size)
        external = [f"M{start + i:07d}" for i in range(size)]
        now = dt.datetime.now(dt.UTC)
        _write(
            Customer,
            [
                {
                    "external_id": external[i],
                    "kind": "person",
                    "first_name": "Max",
                    "last_name": f"Muster {start + i}",
                    "name": "",
                    "display_name": f"Max Muster {start + i}",
                    "name_key": f"max muster {start + i}",
                    "sort_key": f"muster {start + i} max",
                    "date_of_birth": AS_OF - dt.timedelta(days=int(born[i])),
                    "customer_since": AS_OF - dt.timedelta(days=int(since[i])),
                    "status": "active",
                    "address": "",
                    "postcode": "",
                    "city": "Berlin",
                    "country": "DE",
                    "attributes": {
                        "income": float(income[i]),
                        "online_banking": bool(online[i]),
                        "segment": str(segment[i]),
                    },
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(size)
            ],
        )
        ids = dict(
            Customer.objects.filter(
                external_id__gte=external[0], external_id__lte=external[-1]
            ).values_list("external_id", "id")
        )
        cid = np.asarray([ids[e] for e in external], dtype=np.int64)
        counts["customers"] += size
        has_sav = rng.random(size) < 0.5
        has_card = rng.random(size) < 0.3
        sav = np.round(rng.lognormal(8.5, 1.0, size), 2)
        holdings = []
        for i in range(size):
            serial += 1
            holdings.append(
                {
                    "external_id": f"MH{serial}a",
                    "customer_id": int(cid[i]),
                    "product_id": products["CUR"].pk,
                    "opened": AS_OF - dt.timedelta(days=int(since[i])),
                    "closed": None,
                    "status": "active",
                    "balance": round(float(rng.lognormal(7.5, 0.8)), 2),
                }
            )
            if has_sav[i]:
                holdings.append(
                    {
                        "external_id": f"MH{serial}b",
                        "customer_id": int(cid[i]),
                        "product_id": products["SAV"].pk,
                        "opened": AS_OF - dt.timedelta(days=int(since[i]) // 2),
                        "closed": None,
                        "status": "active",
                        "balance": round(float(sav[i] * (0.2 if drifting[i] else 1)), 2),
                    }
                )
            if has_card[i]:
                holdings.append(
                    {
                        "external_id": f"MH{serial}c",
                        "customer_id": int(cid[i]),
                        "product_id": products["CARD"].pk,
                        "opened": AS_OF - dt.timedelta(days=int(since[i]) // 3),
                        "closed": None,
                        "status": "active",
                        "balance": None,
                    }
                )
        _write(Holding, holdings)
        counts["holdings"] += len(holdings)
        # card payments over four months, fewer for drifting customers; their savings drain
        per = np.where(drifting, 1, 3)
        owners = np.repeat(np.arange(size), per)
        days = rng.integers(0, 120, len(owners))
        secs = rng.integers(0, 86400, len(owners))
        booked = _utc(days, secs)
        amounts = np.round(-rng.lognormal(3.5, 0.8, len(owners)), 2)
        tx = [
            {
                "external_id": f"MT{start}-{k}",
                "customer_id": int(cid[owners[k]]),
                "product_id": products["CUR"].pk,
                "booked_at": booked[k],
                "amount": float(amounts[k]),
                "kind": "card",
                "description": "",
            }
            for k in range(len(owners))
        ]
        drain = np.flatnonzero(drifting & has_sav)
        drained = _utc(rng.integers(5, 40, len(drain)), rng.integers(0, 86400, len(drain)))
        tx += [
            {
                "external_id": f"MT{start}-d{k}",
                "customer_id": int(cid[i]),
                "product_id": products["SAV"].pk,
                "booked_at": drained[k],
                "amount": -round(float(sav[i] * 0.8), 2),
                "kind": "transfer_out",
                "description": "",
            }
            for k, i in enumerate(drain)
        ]
        _write(Transaction, tx)
        counts["transactions"] += len(tx)
        logged = np.flatnonzero(online)
        seen = _utc(
            np.where(
                drifting[logged],
                rng.integers(40, 90, len(logged)),
                rng.integers(0, 20, len(logged)),
            ),
            rng.integers(0, 86400, len(logged)),
        )
        _write(
            Interaction,
            [
                {
                    "external_id": f"MI{start}-{k}",
                    "customer_id": int(cid[i]),
                    "occurred_at": seen[k],
                    "channel": "web",
                    "direction": "inbound",
                    "subject": "Login",
                    "text": "",
                    "outcome": "information",
                }
                for k, i in enumerate(logged)
            ],
        )
        counts["interactions"] += len(logged)
        take = max(0, min(size, labelled - len(labelled_ids)))
        for i in range(take):
            churned = bool(drifting[i] and rng.random() < 0.85) or (
                not drifting[i] and rng.random() < 0.03
            )
            labels.append(
                {
                    "external_id": f"ML{start + i}",
                    "customer_id": int(cid[i]),
                    "name": "churned",
                    "value": "1" if churned else "0",
                    "value_number": 1.0 if churned else 0.0,
                    "as_of": AS_OF,
                }
            )
            labelled_ids.append(int(cid[i]))
        print(f"  wrote customers {start + 1:,}-{start + size:,}")
    _write(Label, labels)
    return {"labelled": labelled_ids, **counts}


def run(
    *, customers: int = 1_000_000, labelled: int = 30_000, baseline_sample: int = 300
) -> dict[str, Any]:
    from ckm.analytics.features import build_features, make_keys
    from ckm.analytics.services import model_score, model_train
    from ckm.analytics.services.training import model_load
    from ckm.customers.models import Customer

    started = time.perf_counter()
    bank = generate(customers, labelled)
    generate_s = time.perf_counter() - started
    print(
        f"synthetic bank: {bank['customers']:,} customers, {bank['holdings']:,} holdings, {bank['transactions']:,} transactions, {bank['interactions']:,} contacts in {generate_s:.0f} s"
    )
    started = time.perf_counter()
    version = model_train(
        actor=None,
        kind="churn",
        label="churned",
        horizon_days=0,
        population=bank["labelled"],
        as_of=AS_OF,
        folds=3,
        auto_promote=False,
        score=False,
    )
    train_s = time.perf_counter() - started
    print(
        f"trained {version} on {version.n_examples:,} customers in {train_s:.1f} s: AUC {version.metrics['auc']}"
    )

    # one 50,000-customer chunk step by step, to show where the time goes
    ids = np.asarray(
        list(Customer.objects.order_by("id").values_list("id", flat=True)[:50_000]), dtype=np.int64
    )
    model = model_load(version)
    t0 = time.perf_counter()
    chunk = build_features(make_keys(ids, AS_OF), exclude={"churned"})
    t1 = time.perf_counter()
    model.proba(chunk.frame)
    t2 = time.perf_counter()
    model.contributions(chunk.frame[:10_000])
    t3 = time.perf_counter()
    steps = {
        "features_per_50k_s": round(t1 - t0, 2),
        "predict_per_50k_s": round(t2 - t1, 2),
        "explain_per_10k_s": round(t3 - t2, 2),
    }

    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int, message: str) -> None:
        if time.perf_counter() - last[0] > 15:
            last[0] = time.perf_counter()
            print(f"  {time.perf_counter() - started:6.0f} s  {message}")

    run_ = model_score(actor=None, version_id=version.pk, as_of=AS_OF, progress=progress)
    score_s = time.perf_counter() - started
    print(
        f"scored {run_.n_scored:,} customers in {score_s:.0f} s ({run_.n_scored / score_s:,.0f} a second)"
    )

    # baseline: one customer at a time through the same builder and model
    sample = ids[:baseline_sample]
    started = time.perf_counter()
    for customer_id in sample:
        table_one = build_features(make_keys([int(customer_id)], AS_OF), exclude={"churned"})
        model.proba(table_one.frame)
    per_customer = (time.perf_counter() - started) / len(sample)
    baseline_s = per_customer * run_.n_scored
    print(
        table(
            [
                [
                    "product: scoring service (batched)",
                    run_.n_scored,
                    round(score_s, 1),
                    round(run_.n_scored / score_s),
                ],
                [
                    "baseline: one customer at a time (extrapolated)",
                    run_.n_scored,
                    round(baseline_s, 1),
                    round(1 / per_customer),
                ],
            ],
            ["scoring", "customers", "seconds", "customers/s"],
            title="\nscoring a million customers",
        )
    )
    print(
        table(
            [[k, v] for k, v in steps.items()],
            ["step", "seconds"],
            title="\nwhere the time goes (one chunk)",
        )
    )
    return {
        "customers": run_.n_scored,
        "score_s": round(score_s, 1),
        "customers_per_s": round(run_.n_scored / score_s),
        "baseline_per_customer_s": round(per_customer, 4),
        "baseline_extrapolated_s": round(baseline_s),
        "speedup": round(baseline_s / score_s, 1),
        "generate_s": round(generate_s, 1),
        "train_s": round(train_s, 1),
        "train_auc": version.metrics["auc"],
        "reasons_stored": min(run_.n_scored, 50_000),
        **steps,
        **{k: v for k, v in bank.items() if k != "labelled"},
    }
