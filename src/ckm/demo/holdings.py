"""The products a demo customer holds or held: a believable mix for their age, income and kind,
with loans that amortise and the past Gold card campaign's upgrades."""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from ckm.demo.catalogue import PRODUCT_BY_ID
from ckm.demo.population import DemoCustomer

CAMPAIGN_DAYS_BEFORE = 240
CAMPAIGN_WINDOW = 56


@dataclass
class DemoHolding:
    holding_id: str
    customer_id: str
    product_id: str
    opened: dt.date
    closed: dt.date | None = None
    balance: float | None = 0.0
    principal: float = 0.0  # loans: amount borrowed; deposits: amount placed
    months: int = 0  # loans: term in months
    rate: float = 0.0  # annual interest rate
    monthly: float = 0.0  # loan instalment or savings-plan contribution

    @property
    def family(self) -> str:
        return PRODUCT_BY_ID[self.product_id].family

    @property
    def status(self) -> str:
        return "closed" if self.closed else "active"

    def open_on(self, day: dt.date) -> bool:
        """Whether the holding is open on this day."""
        return self.opened <= day and (self.closed is None or day < self.closed)


class HoldingIds:
    """Sequential holding ids shared by all customers of a package."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> str:
        self.last += 1
        return f"ACC{self.last:07d}"


def campaign_date(as_of: dt.date) -> dt.date:
    """The day the demo's past Gold card campaign went out."""
    return as_of - dt.timedelta(days=CAMPAIGN_DAYS_BEFORE)


def holdings_choose(
    customer: DemoCustomer, rng: random.Random, as_of: dt.date, ids: HoldingIds
) -> list[DemoHolding]:
    """The products a customer holds or held: a believable mix for their age, income and kind."""
    if customer.is_person:
        return _person_holdings(customer, rng, as_of, ids)
    return _organisation_holdings(customer, rng, as_of, ids)


def _opened_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    span = max(0, (end - start).days)
    return start + dt.timedelta(days=rng.randint(0, span))


def _person_holdings(
    c: DemoCustomer, rng: random.Random, as_of: dt.date, ids: HoldingIds
) -> list[DemoHolding]:
    age = c.age(as_of)
    held: list[DemoHolding] = []

    def add(product_id: str, opened: dt.date, **extra: float | int) -> DemoHolding:
        holding = DemoHolding(
            ids.next(), c.customer_id, product_id, min(opened, as_of - dt.timedelta(days=1))
        )
        for key, value in extra.items():
            setattr(holding, key, value)
        held.append(holding)
        return holding

    premium = (c.income > 50000 and rng.random() < 0.55) or (
        c.wealth > 150000 and rng.random() < 0.5
    )
    if rng.random() < 0.96 or c.drift:
        add("CA-PREMIUM" if premium else "CA-CLASSIC", c.since)
    latest = as_of - dt.timedelta(days=20)
    if rng.random() < min(0.85, 0.35 + c.wealth / 120000) or c.drift:
        add("SAV-INSTANT", _opened_between(rng, c.since, latest))
    if c.wealth > 30000 and age > 35 and rng.random() < 0.3:
        opened = _opened_between(rng, max(c.since, as_of - dt.timedelta(days=700)), latest)
        add(
            "SAV-FIXED",
            opened,
            principal=round(min(c.wealth * 0.4, 100000), -3) or 5000.0,
            months=12,
            rate=0.028,
        )
    if premium:
        add("CARD-GOLD", _opened_between(rng, c.since, latest), rate=0.0)
    elif c.income > 18000 and 21 <= age <= 75 and rng.random() < 0.33:
        card = add("CARD-CREDIT", _opened_between(rng, c.since, latest))
        if rng.random() < 0.08:  # an old card given back years ago
            card.closed = _opened_between(rng, card.opened, as_of - dt.timedelta(days=800))
            card.closed = max(card.closed, card.opened + dt.timedelta(days=200))
            if card.closed >= as_of:
                card.closed = None
    if 22 <= age <= 62 and c.income > 15000 and rng.random() < 0.10:
        principal = round(min(60000, max(3000, c.income * rng.uniform(0.15, 0.6))), -2)
        _add_loan(
            add,
            "LOAN-PERSONAL",
            rng,
            c.since,
            as_of,
            principal,
            rng.choice((36, 48, 60, 72, 84)),
            0.069,
        )
    if 20 <= age <= 70 and c.income > 20000 and rng.random() < 0.08:
        principal = round(rng.uniform(8000, 42000), -2)
        _add_loan(
            add, "LOAN-CAR", rng, c.since, as_of, principal, rng.choice((36, 48, 60, 72)), 0.049
        )
    if (30 <= age <= 66 and c.income > 32000 and rng.random() < 0.22 and not c.drift) or (
        c.drift and c.income > 40000 and rng.random() < 0.05
    ):
        c.tenant = False
        principal = round(min(750000, c.income * rng.uniform(4, 9)), -3)
        years_ago = rng.randint(0, min(18, max(0, age - 28)))
        opened = max(c.since, as_of - dt.timedelta(days=years_ago * 365 + rng.randint(0, 364)))
        rate = 0.034 if (as_of - opened).days < 3 * 365 else 0.016
        add("MORTGAGE", opened, principal=principal, months=360, rate=rate)
    if c.income > 28000 and 20 <= age <= 75 and rng.random() < min(0.4, 0.06 + c.wealth / 300000):
        monthly = float(rng.choice((25, 50, 50, 100, 100, 150, 200, 250, 500)))
        add(
            "INV-FUND",
            _opened_between(rng, c.since, latest),
            monthly=monthly,
            principal=c.wealth * 0.2,
        )
    if (
        25 <= age <= 62
        and c.occupation in ("employee", "civil_servant", "executive")
        and rng.random() < 0.25
    ):
        add(
            "PENSION", _opened_between(rng, c.since, latest), monthly=round(c.income * 0.04 / 12, 0)
        )
    if c.household_role != "child" and rng.random() < 0.22:
        add("INS-HOME", _opened_between(rng, c.since, latest), rate=0.0)
    return held


def _add_loan(
    add: Callable[..., DemoHolding],
    product_id: str,
    rng: random.Random,
    since: dt.date,
    as_of: dt.date,
    principal: float,
    months: int,
    rate: float,
) -> DemoHolding:
    earliest = max(since, as_of - dt.timedelta(days=months * 30 + 400))
    holding: DemoHolding = add(
        product_id,
        _opened_between(rng, earliest, as_of - dt.timedelta(days=25)),
        principal=principal,
        months=months,
        rate=rate,
    )
    end = add_months(holding.opened, months)
    if end < as_of:
        holding.closed = end
    return holding


def _organisation_holdings(
    c: DemoCustomer, rng: random.Random, as_of: dt.date, ids: HoldingIds
) -> list[DemoHolding]:
    latest = as_of - dt.timedelta(days=20)
    held = [DemoHolding(ids.next(), c.customer_id, "CA-BUSINESS", c.since)]
    if rng.random() < 0.35:
        held.append(
            DemoHolding(
                ids.next(), c.customer_id, "SAV-INSTANT", _opened_between(rng, c.since, latest)
            )
        )
    if rng.random() < 0.3:
        held.append(
            DemoHolding(
                ids.next(), c.customer_id, "CARD-CREDIT", _opened_between(rng, c.since, latest)
            )
        )
    if rng.random() < 0.35:
        principal = round(min(400000, c.revenue * rng.uniform(0.1, 0.5)), -3)
        months = rng.choice((60, 84, 120))
        earliest = max(c.since, as_of - dt.timedelta(days=months * 30 + 300))
        loan = DemoHolding(
            ids.next(),
            c.customer_id,
            "LOAN-BUSINESS",
            _opened_between(rng, earliest, latest),
            principal=principal,
            months=months,
            rate=0.055,
        )
        if add_months(loan.opened, months) < as_of:
            loan.closed = add_months(loan.opened, months)
        held.append(loan)
    return held


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day some months later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def annuity(principal: float, months: int, rate: float) -> float:
    """The monthly instalment that repays principal over months at an annual rate."""
    r = rate / 12
    return principal * r / (1 - (1 + r) ** -months) if r else principal / months


def outstanding(holding: DemoHolding, on: dt.date) -> float:
    """What is still owed on a loan on a day."""
    if holding.closed and on >= holding.closed:
        return 0.0
    paid = max(0, (on.year - holding.opened.year) * 12 + on.month - holding.opened.month)
    if paid >= holding.months:
        return 0.0
    r = holding.rate / 12
    grown = (1 + r) ** paid
    left = (
        holding.principal * grown
        - annuity(holding.principal, holding.months, holding.rate) * (grown - 1) / r
    )
    return max(0.0, left)


def campaign_apply(
    customer: DemoCustomer,
    holdings: list[DemoHolding],
    rng: random.Random,
    as_of: dt.date,
    ids: HoldingIds,
) -> None:
    """Customers who answered the Gold card campaign upgrade within its eight weeks."""
    if not customer.campaign_response:
        return
    day = campaign_date(as_of) + dt.timedelta(days=rng.randint(3, CAMPAIGN_WINDOW - 6))
    for holding in holdings:
        if holding.product_id == "CARD-CREDIT" and holding.open_on(day):
            holding.closed = day
    holdings.append(DemoHolding(ids.next(), customer.customer_id, "CARD-GOLD", day))


def campaign_eligible(customer: DemoCustomer, holdings: list[DemoHolding], as_of: dt.date) -> bool:
    """Whether the Gold card campaign could target the customer: a person with a Classic account."""
    day = campaign_date(as_of)
    return (
        customer.is_person
        and any(h.product_id == "CA-CLASSIC" and h.open_on(day) for h in holdings)
        and not any(h.product_id == "CARD-GOLD" for h in holdings)
    )
