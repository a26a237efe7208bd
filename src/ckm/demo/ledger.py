"""Two years of transactions per demo customer.

Balances are simulated month by month, so the closing balances in holdings.csv agree with the
money that moved in transactions.csv: salaries in, rent and direct debits out, card spend,
transfers into savings, loan repayments, fees and interest. Customers who drift away show it in
their money first: the salary stops or moves, savings drain to another bank, card use falls and
products are closed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ckm.demo import names
from ckm.demo.catalogue import PRODUCT_BY_ID
from ckm.demo.drift import DriftStops, drift_closures, drift_stops
from ckm.demo.holdings import DemoHolding, add_months, annuity, outstanding
from ckm.demo.population import DemoCustomer

Emit = Callable[[str, str, dt.datetime, float, str, str], None]
"""emit(customer_id, product_id, booked_at, amount, kind, description): write one transaction."""


@dataclass
class LedgerResult:
    """What the contact history needs to know about a customer's money."""

    holdings: list[DemoHolding]
    monthly_income: float = 0.0
    overdrawn_months: int = 0

    def families(self, on: dt.date) -> set[str]:
        """Product families the customer holds on a day."""
        return {h.family for h in self.holdings if h.open_on(on)}

    def product_for(self, family: str, on: dt.date) -> str:
        """The customer's product of a family on a day ('' when none)."""
        for holding in self.holdings:
            if holding.family == family and holding.open_on(on):
                return holding.product_id
        return ""


def _months(start: dt.date, end: dt.date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        month += 1
        if month > 12:
            year, month = year + 1, 1


class _Account:
    """A running balance with the rows that move it."""

    def __init__(self, customer_id: str, holding: DemoHolding, balance: float, emit: Emit) -> None:
        self.customer_id = customer_id
        self.holding = holding
        self.balance = balance
        self.emit = emit

    def book(self, when: dt.datetime, amount: float, kind: str, description: str) -> None:
        amount = round(amount, 2)
        if amount == 0:
            return
        self.balance += amount
        self.emit(self.customer_id, self.holding.product_id, when, amount, kind, description)


def _at(day: dt.date, rng: random.Random, start: int = 7, end: int = 21) -> dt.datetime:
    """A moment on the day between the hours start and end (one random draw: this runs a lot)."""
    seconds = start * 3600 + int(rng.random() * (end - start) * 3600)
    return dt.datetime(
        day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60, seconds % 60
    )


@functools.cache
def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, _month_length(year, month)))


def _between(rng: random.Random, low: int, high: int) -> int:
    """A whole number from low to high inclusive (cheaper than randint in the monthly loop)."""
    return low + int(rng.random() * (high - low + 1))


def _merchant(c: DemoCustomer, rng: random.Random) -> tuple[str, float]:
    kind = rng.random()
    if kind < 0.45:
        return f"{rng.choice(names.GROCERIES)} {c.city.name}", rng.uniform(8, 120)
    if kind < 0.7:
        return rng.choice(names.SHOPPING), rng.uniform(12, 260)
    if kind < 0.85:
        return rng.choice(names.TRAVEL_FUEL), rng.uniform(20, 180)
    return rng.choice(names.LEISURE), rng.uniform(6, 70)


def transactions_simulate(
    customer: DemoCustomer,
    holdings: list[DemoHolding],
    rng: random.Random,
    as_of: dt.date,
    emit: Emit,
) -> LedgerResult:
    """Write two years of a customer's transactions and set each holding's closing balance."""
    start = as_of - dt.timedelta(days=730)
    drift_closures(customer, holdings, rng, as_of)
    result = LedgerResult(holdings=holdings)
    by_family: dict[str, DemoHolding] = {}
    for holding in holdings:
        if holding.family not in by_family or holding.closed is None:
            by_family[holding.family] = holding
    main = next((h for h in holdings if h.family == "current_account"), None)
    savings = next((h for h in holdings if h.product_id == "SAV-INSTANT"), None)
    card = next((h for h in holdings if h.family == "card" and h.closed is None), None) or next(
        (h for h in holdings if h.family == "card"), None
    )
    monthly_net = (customer.income if customer.is_person else customer.revenue * 0.9) / 12
    result.monthly_income = monthly_net if customer.main_bank else 0.0
    target = max(400.0, monthly_net * rng.uniform(0.6, 1.6))
    current = (
        _Account(customer.customer_id, main, target * rng.uniform(0.5, 1.5), emit) if main else None
    )
    saver = (
        _Account(
            customer.customer_id,
            savings,
            min(4e5, max(100.0, customer.wealth * rng.uniform(0.2, 0.6))),
            emit,
        )
        if savings
        else None
    )
    card_account = _Account(customer.customer_id, card, 0.0, emit) if card else None
    rent = round(min(2600, max(320, monthly_net * rng.uniform(0.22, 0.36))), -1)
    stops = drift_stops(customer, rng)
    premium = any(h.product_id == "CA-PREMIUM" for h in holdings)
    card_rate = (0.8 if customer.main_bank else 0.35) * (0.7 if customer.age(as_of) > 70 else 1.0)

    for year, month in _months(start, as_of):
        first = max(start, dt.date(year, month, 1))
        last = min(as_of - dt.timedelta(days=1), _day(year, month, 31))
        if first > last:
            continue

        def usable(
            day: dt.date, holding: DemoHolding | None, first: dt.date = first, last: dt.date = last
        ) -> bool:
            return holding is not None and first <= day <= last and holding.open_on(day)

        # new money arrives
        if current and customer.main_bank:
            if customer.is_person:
                _income(customer, current, year, month, usable, monthly_net, stops, rng)
            else:
                _revenue(customer, current, year, month, usable, monthly_net, rng)
        elif current and rng.random() < 0.2:
            day = _day(year, month, _between(rng, 1, 28))
            if usable(day, current.holding):
                current.book(
                    _at(day, rng), rng.uniform(80, 700), "transfer_in", "Übertrag vom eigenen Konto"
                )
        # fixed outgoings
        if current and customer.main_bank:
            _fixed_outgoings(customer, current, year, month, usable, rent, stops, rng)
        for holding in holdings:
            _product_flows(
                customer, holding, current, saver, year, month, usable, stops, premium, emit, rng
            )
        # card spend falls away as a customer drifts
        if current:
            spend_rate = card_rate * stops.card_factor(_day(year, month, 15))
            for _ in range(poisson(rng, spend_rate)):
                day = _day(year, month, _between(rng, 1, 31))
                merchant, amount = _merchant(customer, rng)
                use_card = (
                    card_account is not None
                    and usable(day, card_account.holding)
                    and rng.random() < 0.55
                )
                account = card_account if use_card and card_account else current
                if usable(day, account.holding):
                    account.book(_at(day, rng, 8, 22), -amount, "card", merchant)
        # what is above the usual level is spent or saved; a deep minus is topped up
        if current and usable(last, current.holding):
            _month_end(
                customer,
                current,
                saver,
                card_account,
                year,
                month,
                last,
                usable,
                target,
                monthly_net,
                stops,
                rng,
            )
            if current.balance < 0:
                result.overdrawn_months += 1
        if month in (3, 6, 9, 12) and current:
            _quarter_end(customer, current, saver, year, month, usable, rng)
        if (
            month == 12
            and saver
            and usable(_day(year, 12, 31), saver.holding)
            and saver.balance > 0
        ):
            saver.book(
                _at(_day(year, 12, 31), rng, 3, 5),
                saver.balance * 0.0125,
                "interest",
                "Zinsen Tagesgeld",
            )
        # drifting: savings drain to another bank
        for drain_day, share in stops.drains:
            if (
                saver
                and first <= drain_day <= last
                and saver.holding.open_on(drain_day)
                and saver.balance > 0
            ):
                saver.book(
                    _at(drain_day, rng),
                    -saver.balance * share,
                    "transfer_out",
                    f"Überweisung an {stops.other_bank}",
                )

    _close_accounts(customer, holdings, current, saver, card_account, stops, rng)
    _closing_balances(holdings, current, saver, card_account, as_of, rng)
    return result


def _income(
    c: DemoCustomer,
    account: _Account,
    year: int,
    month: int,
    usable: Callable[[dt.date, DemoHolding | None], bool],
    monthly_net: float,
    stops: DriftStops,
    rng: random.Random,
) -> None:
    occupation = c.occupation
    day = _day(
        year,
        month,
        1 if occupation in ("civil_servant", "student", "unemployed") else _between(rng, 27, 30),
    )
    if not usable(day, account.holding) or (stops.salary_stop and day >= stops.salary_stop):
        return
    raise_factor = 1 + 0.025 * (year - 2020)
    amount = monthly_net * raise_factor / 1.1
    if stops.salary_split and day >= stops.salary_split:
        amount *= rng.uniform(0.3, 0.5)
    if occupation == "self_employed":
        amount *= rng.uniform(0.3, 1.8)
        account.book(
            _at(day, rng),
            amount,
            "transfer_in",
            f"Rechnung {year}-{_between(rng, 10, 399):03d} Kunde",
        )
        return
    kind, description = {
        "retired": ("pension", "Rentenzahlung Deutsche Rentenversicherung"),
        "student": ("transfer_in", rng.choice(("Unterhalt Eltern", "BAföG Studierendenwerk"))),
        "unemployed": ("benefit", "Bundesagentur für Arbeit Arbeitslosengeld"),
        "homemaker": ("transfer_in", "Haushaltsgeld"),
    }.get(occupation, ("salary", f"Lohn/Gehalt {month:02d}/{year} {c.employer}"))
    if kind == "salary" and month == 11:
        amount *= 1.6  # Christmas bonus
    account.book(_at(day, rng, 1, 6), amount, kind, description)


def _revenue(
    c: DemoCustomer,
    account: _Account,
    year: int,
    month: int,
    usable: Callable[[dt.date, DemoHolding | None], bool],
    monthly_net: float,
    rng: random.Random,
) -> None:
    seasonal = 1 + 0.15 * math.sin((month - 3) / 12 * 2 * math.pi)
    for _ in range(1 if rng.random() < 0.7 else 2):
        day = _day(year, month, _between(rng, 1, 28))
        if usable(day, account.holding):
            description = rng.choice(
                ("Sammelgutschrift Kartenzahlungen", f"Rechnung {year}-{_between(rng, 100, 999)}")
            )
            account.book(
                _at(day, rng),
                monthly_net * seasonal * rng.uniform(0.35, 0.65),
                "transfer_in",
                description,
            )
    day = _day(year, month, 28)
    if c.employees and usable(day, account.holding):
        account.book(
            _at(day, rng),
            -min(c.employees * 2300, monthly_net * 0.45) * rng.uniform(0.95, 1.05),
            "transfer_out",
            f"Löhne und Gehälter {month:02d}/{year}",
        )


def _fixed_outgoings(
    c: DemoCustomer,
    account: _Account,
    year: int,
    month: int,
    usable: Callable[[dt.date, DemoHolding | None], bool],
    rent: float,
    stops: DriftStops,
    rng: random.Random,
) -> None:
    if stops.debits_stop and _day(year, month, 1) >= stops.debits_stop:
        return
    if c.tenant:
        day = _day(year, month, _between(rng, 1, 3))
        if usable(day, account.holding):
            landlord = names.LANDLORDS[sum(map(ord, c.customer_id)) % len(names.LANDLORDS)]
            label = "Miete Geschäftsräume" if not c.is_person else f"Miete {c.address}"
            account.book(
                _at(day, rng, 2, 6),
                -rent * (1 + 0.02 * (year - 2024)),
                "standing_order",
                f"{label} {landlord}",
            )
    day = _day(year, month, _between(rng, 3, 20))
    if not usable(day, account.holding) or rng.random() < 0.4:
        return
    choice = rng.random()
    if choice < 0.45:
        account.book(
            _at(day, rng, 2, 6),
            -rng.uniform(45, 140),
            "direct_debit",
            f"Abschlag Strom/Gas {c.city.utility}",
        )
    elif choice < 0.75:
        account.book(
            _at(day, rng, 2, 6), -rng.uniform(20, 60), "direct_debit", rng.choice(names.TELECOMS)
        )
    elif choice < 0.9:
        account.book(
            _at(day, rng, 2, 6), -rng.uniform(15, 95), "direct_debit", rng.choice(names.INSURERS)
        )
    else:
        account.book(
            _at(day, rng, 2, 6),
            -rng.uniform(10, 55),
            "direct_debit",
            rng.choice(names.OTHER_DEBITS),
        )


def _product_flows(
    c: DemoCustomer,
    holding: DemoHolding,
    current: _Account | None,
    saver: _Account | None,
    year: int,
    month: int,
    usable: Callable[[dt.date, DemoHolding | None], bool],
    stops: DriftStops,
    premium: bool,
    emit: Emit,
    rng: random.Random,
) -> None:
    family, product = holding.family, PRODUCT_BY_ID[holding.product_id]
    customer_id = c.customer_id

    def book(when: dt.datetime, amount: float, kind: str, description: str) -> None:
        emit(customer_id, product.product_id, when, round(amount, 2), kind, description)

    emit_day = _day(year, month, 30 if family in ("loan", "mortgage") else 15)
    paid_out = holding.opened.year == year and holding.opened.month == month
    if (
        family in ("loan", "mortgage")
        and paid_out
        and current
        and usable(holding.opened, current.holding)
    ):
        when = _at(holding.opened, rng)
        current.book(when, holding.principal, "loan_payout", f"Auszahlung {product.name}")
        # the money goes where it was borrowed for
        purpose = {
            "MORTGAGE": "Kaufpreis Notaranderkonto",
            "LOAN-CAR": f"Autohaus {c.city.name} Fahrzeugkauf",
            "LOAN-BUSINESS": "Investition Ausstattung und Maschinen",
        }.get(
            product.product_id,
            rng.choice(("Küchenstudio Rechnung", "Handwerker Renovierung", "Möbelhaus")),
        )
        current.book(when, -holding.principal * rng.uniform(0.85, 1.0), "transfer_out", purpose)
    if product.product_id == "SAV-FIXED":
        _fixed_term(holding, current, saver, year, month, usable, book, rng)
        return
    if not usable(emit_day, holding):
        return
    when = _at(emit_day, rng, 2, 6)
    if family in ("loan", "mortgage"):
        if outstanding(holding, emit_day) > 0:
            number = (year - holding.opened.year) * 12 + month - holding.opened.month
            instalment = annuity(holding.principal, holding.months, holding.rate)
            book(
                when,
                -instalment,
                "loan_repayment",
                f"Rate {number}/{holding.months} {product.name}",
            )
    elif product.product_id == "INV-FUND" and not stops.leaving(emit_day):
        book(when, -holding.monthly, "investment", "Fondssparplan Ausführung")
        holding.principal += holding.monthly
    elif product.product_id == "PENSION" and month in (1, 4, 7, 10):
        book(when, -holding.monthly * 3, "pension_contribution", "Beitrag Altersvorsorgevertrag")
        holding.principal += holding.monthly * 3
    elif product.product_id == "INS-HOME" and month == holding.opened.month:
        book(when, -(product.fee or 0.0), "insurance_premium", "Jahresbeitrag Hausratversicherung")
    elif (
        family == "card"
        and month == holding.opened.month
        and not (product.product_id == "CARD-GOLD" and premium)  # the Gold card comes with Premium
    ):
        book(when, -(product.fee or 0.0), "fee", f"Jahresentgelt {product.name}")


def _fixed_term(
    holding: DemoHolding,
    current: _Account | None,
    saver: _Account | None,
    year: int,
    month: int,
    usable: Callable[[dt.date, DemoHolding | None], bool],
    book: Callable[[dt.datetime, float, str, str], None],
    rng: random.Random,
) -> None:
    """A fixed-term deposit: the money placed, then at maturity interest and pay-out."""
    if (
        holding.opened.year == year
        and holding.opened.month == month
        and usable(holding.opened, holding)
    ):
        book(_at(holding.opened, rng), holding.principal, "deposit", "Anlage Festgeld 12 Monate")
    maturity = add_months(holding.opened, holding.months)
    if (maturity.year, maturity.month) != (year, month) or not usable(maturity, holding):
        return
    # the money goes back to the savings account, or else the current account
    target = saver if saver and usable(maturity, saver.holding) else current
    if target is None or not usable(maturity, target.holding):
        return
    interest = holding.principal * holding.rate
    book(_at(maturity, rng, 3, 5), interest, "interest", "Zinsen Festgeld")
    book(
        _at(maturity, rng, 5, 7),
        -(holding.principal + interest),
        "transfer_out",
        "Auszahlung Festgeld",
    )
    target.book(
        _at(maturity, rng, 7, 8), holding.principal + interest, "transfer_in", "Auszahlung Festgeld"
    )
    holding.closed = maturity


def _month_end(
    c: DemoCustomer,
    current: _Account,
    saver: _Account | None,
    card: _Account | None,
    year: int,
    month: int,
    last: dt.date,
    usable: Callable[[dt.date, DemoHolding | None], bool],
    target: float,
    monthly_net: float,
    stops: DriftStops,
    rng: random.Random,
) -> None:
    """Keep the current account near its usual level, as people and firms do."""
    surplus = current.balance - target
    saving = saver is not None and usable(last, saver.holding) and not stops.leaving(last)
    if surplus > 150 and saver is not None and saving and rng.random() < 0.2:
        amount = round(surplus * rng.uniform(0.3, 0.7), -1)
        when = _at(last, rng)
        current.book(when, -amount, "transfer_out", "Übertrag auf Tagesgeld")
        saver.book(when, amount, "transfer_in", "Übertrag vom Girokonto")
        surplus -= amount
    if surplus > 100 and rng.random() < (0.5 if c.is_person else 0.6):
        day = _day(year, month, _between(rng, 10, 28))
        if usable(day, current.holding):
            spend = min(surplus * rng.uniform(0.6, 1.0), max(300.0, monthly_net * 1.5))
            when = _at(day, rng)
            if not c.is_person:
                payee = rng.choice(
                    (
                        f"Finanzamt {c.city.name} USt-Vorauszahlung",
                        "Lieferantenrechnung",
                        "Privatentnahme Inhaber",
                    )
                )
                current.book(when, -spend, "transfer_out", payee)
            elif card and usable(day, card.holding) and rng.random() < 0.5:
                current.book(when, -spend, "direct_debit", "Kreditkartenabrechnung")
            elif rng.random() < 0.5:
                current.book(
                    when, -min(spend, 1000), "withdrawal", f"Bargeldauszahlung GA {c.city.name}"
                )
            else:
                payee = rng.choice(
                    ("PayPal (Europe) S.a.r.l. et Cie", "Amazon Payments Europe", "Überweisung")
                )
                current.book(when, -spend, "transfer_out", payee)
    floor = max(500.0, monthly_net * 0.5) if c.is_person else max(5000.0, monthly_net)
    if current.balance < -floor and not (c.drift and stops.leaving(last)):
        amount = round(-current.balance + target * rng.uniform(0.2, 0.8), -1)
        when = _at(last, rng)
        if saver is not None and usable(last, saver.holding) and saver.balance > amount:
            saver.book(when, -amount, "transfer_out", "Übertrag auf Girokonto")
            current.book(when, amount, "transfer_in", "Übertrag vom Tagesgeld")
        elif c.is_person:
            current.book(when, amount, "transfer_in", "Übertrag vom eigenen Konto")
        else:
            current.book(when, amount, "transfer_in", "Einlage Gesellschafter")


def _quarter_end(
    c: DemoCustomer,
    current: _Account,
    saver: _Account | None,
    year: int,
    month: int,
    usable: Callable[[dt.date, DemoHolding | None], bool],
    rng: random.Random,
) -> None:
    day = _day(year, month, 31)
    if not usable(day, current.holding):
        return
    fee = (PRODUCT_BY_ID[current.holding.product_id].fee or 0.0) / 4
    young = c.is_person and c.occupation in ("student", "apprentice")
    if fee and not young:
        current.book(_at(day, rng, 2, 4), -fee, "fee", f"Kontoführungsentgelt Q{month // 3}/{year}")
    if current.balance < 0:
        current.book(
            _at(day, rng, 2, 4),
            current.balance * 0.119 / 4,
            "interest",
            "Sollzinsen Dispositionskredit",
        )


def _close_accounts(
    c: DemoCustomer,
    holdings: list[DemoHolding],
    current: _Account | None,
    saver: _Account | None,
    card: _Account | None,
    stops: DriftStops,
    rng: random.Random,
) -> None:
    """Closed accounts are emptied on the day they close: the rest goes to the customer's new bank."""
    for account in (saver, current):
        if account is None or account.holding.closed is None or account.balance == 0:
            continue
        day = account.holding.closed - dt.timedelta(days=1)
        if day < account.holding.opened:
            continue
        if account.balance > 0:
            description = (
                f"Übertrag Restguthaben an {stops.other_bank}"
                if stops.other_bank
                else "Auflösung Restguthaben"
            )
            account.book(_at(day, rng), -account.balance, "transfer_out", description)
        else:
            account.book(
                _at(day, rng), -account.balance, "transfer_in", "Ausgleich Kontosaldo vor Auflösung"
            )
    if card and card.holding.closed is not None:
        card.balance = 0.0


def _closing_balances(
    holdings: list[DemoHolding],
    current: _Account | None,
    saver: _Account | None,
    card: _Account | None,
    as_of: dt.date,
    rng: random.Random,
) -> None:
    for holding in holdings:
        family = holding.family
        if holding.closed is not None:
            holding.balance = 0.0
        elif current and holding is current.holding:
            holding.balance = current.balance
        elif saver and holding is saver.holding:
            holding.balance = saver.balance
        elif card and holding is card.holding:
            # what has been spent on the card since the last statement
            holding.balance = max(0.0, -card.balance) % 2500
        elif family in ("loan", "mortgage"):
            holding.balance = outstanding(holding, as_of)
        elif holding.product_id == "SAV-FIXED":
            holding.balance = holding.principal
        elif family in ("investment", "pension"):
            holding.balance = holding.principal * rng.uniform(0.95, 1.25)
        elif family == "card":
            holding.balance = 0.0
        else:
            holding.balance = None
        if holding.balance is not None:
            holding.balance = round(holding.balance, 2)


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method; fine for the small rates used here)."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
