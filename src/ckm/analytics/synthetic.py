"""A synthetic bank for tests, development and the scoring benchmark: customers with typed
attributes, holdings, two years of transactions and contacts, a share of "drifting" customers
whose savings drain away before they leave (with a `churned` label), and investment products
opened by well-off savers (a propensity signal). Written straight to the database in bulk.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction

from ckm.core.imports.bulk import bulk_upsert
from ckm.customers import keys
from ckm.customers.models import AttributeDefinition, Customer, Holding, Label, Product, Transaction
from ckm.interactions.models import Interaction

PRODUCTS = [
    ("CUR", "Current account", "current_account", 0.01, Decimal("60")),
    ("SAV", "Savings account", "savings", 0.012, None),
    ("CARD", "Credit card", "card", 0.0, Decimal("30")),
    ("LOAN", "Personal loan", "loan", 0.03, None),
    ("INV", "Investment fund", "investment", 0.008, Decimal("25")),
    ("INS", "Home insurance", "insurance", 0.0, Decimal("120")),
]
FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hans",
    "Ida",
    "Jonas",
    "Lena",
    "Max",
]
LAST = [
    "Schmidt",
    "Meyer",
    "Weber",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Koch",
    "Richter",
    "Wolf",
    "Neumann",
]


def _aware(day: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
        seconds=int(seconds)
    )


def _write(model: Any, rows: list[Any]) -> None:
    for start in range(0, len(rows), 5000):
        bulk_upsert(model, rows[start : start + 5000])


@transaction.atomic
def synthetic_bank(
    *,
    customers: int = 400,
    as_of: dt.date = dt.date(2026, 10, 31),
    seed: int = 1,
    owners: list[Any] | None = None,
    drift_share: float = 0.08,
    months: int = 24,
    prefix: str = "S",
    light: bool = False,
) -> dict[str, Any]:
    """Write a synthetic bank; returns {'customers': ids, 'drifting': ids, 'products': {...}}.

    light: fewer events per customer (the 1 M scoring benchmark)."""
    rng = np.random.default_rng(seed)
    products = {}
    for pid, name, family, margin, fee in PRODUCTS:
        products[pid], _ = Product.objects.get_or_create(
            external_id=pid, defaults={"name": name, "family": family, "margin": margin, "fee": fee}
        )
    for name, type_name in (
        ("income", "float"),
        ("online_banking", "bool"),
        ("risk_class", "category"),
        ("last_login", "date"),
    ):
        AttributeDefinition.objects.get_or_create(
            name=name, defaults={"type": type_name, "label": name.replace("_", " ").capitalize()}
        )
    n = customers
    income = np.round(rng.lognormal(10.6, 0.45, n), -2)
    online = rng.random(n) < 0.7
    risk = rng.choice(["low", "medium", "high"], n, p=[0.5, 0.35, 0.15])
    since_days = rng.integers(400, 4000, n)
    drifting = rng.random(n) < drift_share
    born = rng.integers(20 * 365, 80 * 365, n)
    owner_list = owners or [None]
    rows = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], f"{LAST[(i // len(FIRST)) % len(LAST)]}-{i}"
        name_key, sort_key = keys.name_keys(
            kind="person", first_name=first, last_name=last, name=""
        )
        owner = owner_list[i % len(owner_list)]
        login = as_of - dt.timedelta(
            days=int(rng.integers(40, 90) if drifting[i] else rng.integers(0, 10))
        )
        rows.append(
            Customer(
                external_id=f"{prefix}{i:07d}",
                kind="person",
                first_name=first,
                last_name=last,
                display_name=f"{first} {last}",
                name_key=name_key,
                sort_key=sort_key,
                date_of_birth=as_of - dt.timedelta(days=int(born[i])),
                customer_since=as_of - dt.timedelta(days=int(since_days[i])),
                city="Berlin",
                country="DE",
                owner=owner,
                team_id=getattr(owner, "team_id", None),
                attributes={
                    "income": float(income[i]),
                    "online_banking": bool(online[i]),
                    "risk_class": str(risk[i]),
                    "last_login": login.isoformat() if online[i] else None,
                },
            )
        )
    _write(Customer, rows)
    ids = np.asarray(
        list(
            Customer.objects.filter(external_id__startswith=prefix)
            .order_by("external_id")
            .values_list("id", flat=True)
        ),
        dtype=np.int64,
    )[-n:]
    start = as_of - dt.timedelta(days=30 * months)

    # holdings
    holdings: list[dict[str, Any]] = []
    savings_balance = np.round(rng.lognormal(9.0, 1.0, n) * (income / 40000), 2)
    has_sav = rng.random(n) < 0.6
    has_card = rng.random(n) < 0.45
    has_loan = rng.random(n) < 0.15
    has_ins = rng.random(n) < 0.2
    # investment: well-off savers open one, some of them in the last year
    invest_odds = 1 / (
        1 + np.exp(-(np.log1p(savings_balance * has_sav) - 9.0) - (income - 45000) / 20000)
    )
    takes_inv = rng.random(n) < 0.35 * invest_odds
    inv_recent = takes_inv & (rng.random(n) < 0.6)
    hid = 0

    def add(
        i: int, pid: str, opened: dt.date, balance: float | None, closed: dt.date | None = None
    ) -> None:
        nonlocal hid
        hid += 1
        holdings.append(
            {
                "external_id": f"{prefix}H{hid:08d}",
                "customer_id": int(ids[i]),
                "product_id": products[pid].pk,
                "opened": opened,
                "closed": closed,
                "status": "closed" if closed else "active",
                "balance": None if balance is None else Decimal(f"{balance:.2f}"),
            }
        )

    tx: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    tid = 0
    cid = 0

    def booking(i: int, day: dt.date, amount: float, kind: str, pid: str | None) -> None:
        nonlocal tid
        tid += 1
        tx.append(
            {
                "external_id": f"{prefix}T{tid:09d}",
                "customer_id": int(ids[i]),
                "product_id": products[pid].pk if pid else None,
                "booked_at": _aware(day, int(rng.integers(8 * 3600, 20 * 3600))),
                "amount": Decimal(f"{amount:.2f}"),
                "kind": kind,
                "description": "",
            }
        )

    def contact(i: int, day: dt.date, channel: str, outcome: str = "", subject: str = "") -> None:
        nonlocal cid
        cid += 1
        contacts.append(
            {
                "external_id": f"{prefix}I{cid:09d}",
                "customer_id": int(ids[i]),
                "occurred_at": _aware(day, int(rng.integers(8 * 3600, 20 * 3600))),
                "channel": channel,
                "direction": "inbound",
                "subject": subject or channel,
                "text": "",
                "outcome": outcome,
            }
        )

    events_per_month = 1 if light else 4
    history_months = 4 if light else months
    for i in range(n):
        since = as_of - dt.timedelta(days=int(since_days[i]))
        add(i, "CUR", since, float(np.round(rng.lognormal(7.5, 0.8), 2)))
        drain_day = as_of - dt.timedelta(days=int(rng.integers(10, 50)))
        sav_now = float(savings_balance[i])
        if has_sav[i]:
            sav_open = since + dt.timedelta(days=int(rng.integers(0, 200)))
            if drifting[i]:
                drained = sav_now * float(rng.uniform(0.5, 0.9))
                booking(i, drain_day, -drained, "transfer_out", "SAV")
                sav_now -= drained
            add(i, "SAV", sav_open, sav_now)
        if has_card[i]:
            closed = drain_day if drifting[i] and rng.random() < 0.5 else None
            add(i, "CARD", since + dt.timedelta(days=int(rng.integers(0, 300))), 0.0, closed)
        if has_loan[i]:
            add(
                i,
                "LOAN",
                as_of - dt.timedelta(days=int(rng.integers(60, 1500))),
                -float(rng.integers(2000, 20000)),
            )
        if has_ins[i]:
            add(i, "INS", as_of - dt.timedelta(days=int(rng.integers(30, 2000))), None)
        if takes_inv[i]:
            days_ago = int(rng.integers(1, 360)) if inv_recent[i] else int(rng.integers(400, 1500))
            add(
                i,
                "INV",
                as_of - dt.timedelta(days=days_ago),
                float(np.round(rng.lognormal(9, 0.7), 2)),
            )
        # monthly life: salary in, card payments out, logins; drifting customers fade out
        for m in range(history_months):
            month_start = as_of - dt.timedelta(days=30 * (m + 1))
            if month_start < max(since, start):
                break
            fading = drifting[i] and m < 2
            if not light:
                booking(
                    i, month_start + dt.timedelta(days=1), float(income[i]) / 12, "salary", "CUR"
                )
            for _ in range(max(0, events_per_month - (3 if fading else 0))):
                booking(
                    i,
                    month_start + dt.timedelta(days=int(rng.integers(0, 30))),
                    -float(np.round(rng.lognormal(3.5, 0.8), 2)),
                    "card",
                    "CUR",
                )
            if online[i]:
                for _ in range(1 if (fading or light) else int(rng.integers(3, 8))):
                    contact(
                        i,
                        month_start + dt.timedelta(days=int(rng.integers(0, 30))),
                        "web",
                        "information",
                        "Login",
                    )
        if drifting[i] and rng.random() < 0.6:
            contact(
                i,
                as_of - dt.timedelta(days=int(rng.integers(15, 60))),
                "phone",
                "escalated",
                "Complaint about fees",
            )
        elif rng.random() < 0.15:
            contact(
                i,
                as_of - dt.timedelta(days=int(rng.integers(1, 600))),
                "phone",
                "resolved",
                "Question",
            )
        if len(tx) > 50_000:
            _write(Transaction, tx)
            tx.clear()
        if len(contacts) > 50_000:
            _write(Interaction, contacts)
            contacts.clear()
        if len(holdings) > 50_000:
            _write(Holding, holdings)
            holdings.clear()
    _write(Holding, holdings)
    _write(Transaction, tx)
    _write(Interaction, contacts)
    churned = np.where(drifting, rng.random(n) < 0.85, rng.random(n) < 0.03)
    _write(
        Label,
        [
            Label(
                external_id=f"{prefix}L{i:07d}",
                customer_id=int(ids[i]),
                name="churned",
                value="1" if churned[i] else "0",
                value_number=1.0 if churned[i] else 0.0,
                as_of=as_of,
            )
            for i in range(n)
        ],
    )
    return {
        "customers": ids.tolist(),
        "drifting": ids[drifting].tolist(),
        "products": {pid: p.pk for pid, p in products.items()},
        "as_of": as_of,
    }
