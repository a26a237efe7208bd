"""How a drifting customer's money stops flowing: the salary stops or moves, direct debits move to
the new bank, card use falls, savings drain, and products are closed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from ckm.demo import names
from ckm.demo.holdings import DemoHolding
from ckm.demo.population import DemoCustomer


@dataclass
class DriftStops:
    """When a drifting customer's money flows stop (all None for loyal customers)."""

    salary_split: dt.date | None = None
    salary_stop: dt.date | None = None
    debits_stop: dt.date | None = None
    card_fall: dt.date | None = None
    drains: list[tuple[dt.date, float]] = field(default_factory=list)
    other_bank: str = ""
    leave: dt.date | None = None

    def card_factor(self, day: dt.date) -> float:
        if self.card_fall is None or day < self.card_fall:
            return 1.0
        return 0.35 if day < self.card_fall + dt.timedelta(days=60) else 0.1

    def leaving(self, day: dt.date) -> bool:
        return self.card_fall is not None and day >= self.card_fall


def drift_stops(customer: DemoCustomer, rng: random.Random) -> DriftStops:
    """When each of the customer's money flows stops (nothing stops for loyal customers)."""
    drift = customer.drift
    if drift is None:
        return DriftStops()
    stops = DriftStops(
        other_bank=rng.choice(names.OTHER_BANKS), card_fall=drift.start, leave=drift.closes_main
    )
    if drift.salary_mode == "split":
        stops.salary_split = drift.start + dt.timedelta(days=10)
        stops.salary_stop = drift.start + dt.timedelta(days=rng.randint(55, 85))
    else:
        stops.salary_stop = drift.start + dt.timedelta(days=rng.randint(10, 40))
    stops.debits_stop = drift.start + dt.timedelta(days=rng.randint(30, 90))
    stops.drains = [(drift.start + dt.timedelta(days=rng.randint(15, 60)), rng.uniform(0.6, 0.95))]
    if rng.random() < 0.5:
        stops.drains.append(
            (drift.start + dt.timedelta(days=rng.randint(61, 90)), rng.uniform(0.5, 0.9))
        )
    return stops


def drift_closures(
    customer: DemoCustomer, holdings: list[DemoHolding], rng: random.Random, as_of: dt.date
) -> None:
    """Drifting customers close a product; those who leave close their main account too."""
    drift = customer.drift
    if drift is None:
        return
    closed_one = False
    for holding in holdings:
        if holding.closed is not None or holding.opened >= drift.start:
            continue
        if holding.family == "card":
            holding.closed = min(
                as_of - dt.timedelta(days=1), drift.start + dt.timedelta(days=rng.randint(20, 90))
            )
            closed_one = True
        elif drift.closes_main and holding.product_id in (
            "CA-CLASSIC",
            "CA-PREMIUM",
            "SAV-INSTANT",
        ):
            holding.closed = drift.closes_main
            closed_one = True
    if not closed_one:
        for holding in holdings:
            if (
                holding.product_id in ("SAV-INSTANT", "INV-FUND")
                and holding.closed is None
                and holding.opened < drift.start
            ):
                holding.closed = min(
                    as_of - dt.timedelta(days=1),
                    drift.start + dt.timedelta(days=rng.randint(70, 95)),
                )
                break
