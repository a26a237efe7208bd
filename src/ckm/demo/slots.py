"""The slots of the demo's templates: what fills {amount}, {date}, {card}, {branch}, ... for one
message of one customer, written the many ways customers write them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from ckm.demo import names
from ckm.demo.catalogue import PRODUCT_BY_ID
from ckm.demo.ledger import LedgerResult
from ckm.demo.organisation import BANK_NAME, OFFICES, STAFF
from ckm.demo.population import DemoCustomer

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CARS = (
    "VW Golf",
    "Skoda Octavia",
    "BMW 3 Series",
    "Tesla Model 3",
    "Ford Focus",
    "Opel Corsa",
    "Toyota Yaris Hybrid",
    "Mercedes A-Class",
    "VW ID.3",
    "Dacia Duster",
    "Fiat 500",
)
_COUNTRIES = (
    "Italy",
    "Mallorca",
    "Croatia",
    "Austria",
    "Denmark",
    "Portugal",
    "Thailand",
    "Canada",
)
_TIME_PREFS = (
    "after 5 pm",
    "before 9 am",
    "in the lunch break",
    "on Saturdays",
    "in the evening",
    "on his mobile only",
    "on her mobile only",
    "not on Mondays",
)
_CARD_NAMES = {
    "CA-CLASSIC": "girocard",
    "CA-PREMIUM": "girocard",
    "CA-BUSINESS": "business card",
    "CARD-CREDIT": "Visa card",
    "CARD-GOLD": "Gold card",
}
_FIRST_NAMES = {s.username: s.first_name for s in STAFF}
_BRANCH_CITY = {o.code: o.city for o in OFFICES}


def _money(rng: random.Random, low: float, high: float, *, step: int = 0) -> str:
    """An amount of euros written the ways customers write it; step rounds (e.g. to hundreds)."""
    value = rng.uniform(low, high)
    style = rng.random()
    if step:
        whole = f"{int(round(value / step) * step):,}"
        if style < 0.4:
            return f"€{whole}"
        if style < 0.7:
            return f"{whole.replace(',', '.')} euros"
        return f"EUR {whole}"
    if style < 0.35:
        return f"€{value:,.2f}"
    if style < 0.6:
        return f"{value:.2f} EUR".replace(".", ",")
    if style < 0.8:
        return f"EUR {value:.2f}"
    return f"{value:.0f} euros"


def _when_phrase(rng: random.Random, when: dt.datetime) -> str:
    days = rng.choice((1, 1, 2, 3, 4, 6, 9, 14))
    past = when.date() - dt.timedelta(days=days)
    style = rng.random()
    if days == 1 and style < 0.6:
        return "yesterday"
    if style < 0.3:
        return f"last {_WEEKDAYS[past.weekday()]}"
    if style < 0.6:
        return f"on {past.day} {_MONTHS[past.month - 1]}"
    if style < 0.8:
        return f"on {past:%d.%m.}"
    return f"{days} days ago"


def slot_makers(
    customer: DemoCustomer,
    ledger: LedgerResult,
    rng: random.Random,
    when: dt.datetime,
    family: str = "",
) -> dict[str, Callable[[], str]]:
    """How to fill each template slot for one message of this customer."""
    day = when.date()
    held = [h for h in ledger.holdings if h.open_on(day)] or ledger.holdings
    cards = [_CARD_NAMES[h.product_id] for h in held if h.product_id in _CARD_NAMES]

    def product() -> str:
        for holding in held:
            if holding.family == (family or "current_account"):
                name = PRODUCT_BY_ID[holding.product_id].name
                return name if name.startswith(("Visa", "Gold")) else name[:1].lower() + name[1:]
        return "account"

    def other_city() -> names.City:
        return rng.choice(names.CITIES)

    digits = "".join(ch for ch in customer.customer_id if ch.isdigit()) or "0"
    return {
        "bank": lambda: BANK_NAME,
        "amount": lambda: _money(rng, 6, 420),
        "big_amount": lambda: _money(rng, 500, 25000, step=100),
        "loan_amount": lambda: _money(rng, 8000, 450000, step=1000),
        "fee": lambda: rng.choice(
            ("€5.95", "5,95 EUR", "€12.95", "€1.50", "2.50 EUR", "€7.50", "€4.99", "3,90 €", "€15")
        ),
        "refund": lambda: _money(rng, 5, 40),
        "merchant": lambda: rng.choice(
            names.GROCERIES + names.SHOPPING + names.TRAVEL_FUEL + names.LEISURE
        ),
        "payee": lambda: rng.choice(
            names.LANDLORDS + names.TELECOMS + names.INSURERS + names.OTHER_DEBITS
        ),
        "date": lambda: _when_phrase(rng, when),
        "weekday": lambda: rng.choice(_WEEKDAYS[:5]),
        "days": lambda: str(rng.randint(2, 12)),
        "weeks": lambda: str(rng.randint(2, 5)),
        "card": lambda: (
            rng.choice(cards or ["card"])
            if rng.random() < 0.7
            else rng.choice(("card", "bank card", "debit card"))
        ),
        "product": product,
        "iban_tail": lambda: f"{int(digits) * 7919 % 10000:04d}",
        "branch": lambda: _BRANCH_CITY.get(customer.city.branch) or customer.city.name,
        "street": lambda: f"{rng.choice(other_city().streets)} {rng.randint(1, 160)}",
        "city": lambda: customer.city.name,
        "rate": lambda: rng.choice(("{:.2f}%", "{:.1f} %", "{:.2f} percent")).format(
            rng.uniform(2.4, 4.3)
        ),
        "years": lambda: str(max(1, (day - customer.since).days // 365)),
        "other_bank": lambda: rng.choice(names.OTHER_BANKS),
        "month": lambda: _MONTHS[(day.month + rng.randint(0, 3)) % 12],
        "agent": lambda: rng.choice(list(_FIRST_NAMES.values())),
        "car": lambda: rng.choice(_CARS),
        "term": lambda: str(rng.choice((24, 36, 48, 60, 72, 84))),
        "code": lambda: rng.choice(("E-403", "500", "AUTH-17", "1004", "SEC-2", "timeout")),
        "mob": lambda: rng.choice(names.MOBILE_PREFIXES)[1:],
        "num": lambda: str(rng.randint(1000000, 9999999)),
        "year_now": lambda: str(day.year),
        "year_last": lambda: str(day.year - 1),
        "transit": lambda: customer.city.transit,
        "name_other": lambda: (
            f"{rng.choice(names.FEMALE_GERMAN + names.MALE_GERMAN)} {customer.last_name or rng.choice(names.LAST_GERMAN)}"
        ),
        "first_other": lambda: rng.choice(
            names.FEMALE_GERMAN + names.MALE_GERMAN + names.FEMALE_EUROPEAN
        ),
        "last_other": lambda: rng.choice(names.LAST_GERMAN + names.LAST_EUROPEAN),
        "country": lambda: rng.choice(_COUNTRIES),
        "child": lambda: rng.choice(customer.children or list(names.CHILD_NAMES)),
        "time_pref": lambda: rng.choice(_TIME_PREFS),
        "employer": lambda: customer.employer or rng.choice(names.EMPLOYERS),
        "topic": lambda: "the open request",
    }
