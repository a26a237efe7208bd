"""Generate the demo bank as a customer data package (docs/import-format.md), deterministically
for a seed and an as-of date. No database access: the package is loaded by the real import.

Every customer gets their own random stream (seeded by the run's seed and the customer id), so
one customer's history does not change when a file is added or another customer changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from ckm.demo.articles import ARTICLES
from ckm.demo.catalogue import PRODUCTS
from ckm.demo.contacts import CaseRow, ContactHistory, ContactIds, ContactRow, campaign_window_end
from ckm.demo.corpora import ExternalTexts, external_texts_read
from ckm.demo.duplicates import duplicates_make
from ckm.demo.holdings import (
    DemoHolding,
    HoldingIds,
    campaign_apply,
    campaign_eligible,
    holdings_choose,
)
from ckm.demo.knowledge import KnowledgePlan, knowledge_plan
from ckm.demo.ledger import LedgerResult, transactions_simulate
from ckm.demo.organisation import BANK_NAME
from ckm.demo.population import DemoCustomer, population_build

CUSTOMER_COLUMNS = [
    "customer_id",
    "kind",
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "address",
    "postcode",
    "city",
    "country",
    "date_of_birth",
    "customer_since",
    "status",
    "household_id",
    "owner",
    "team",
    "office",
    "income",
    "occupation",
    "online_banking",
    "risk_class",
    "marketing_segment",
    "last_login",
    "credit_score",
    "industry",
    "employees",
    "annual_revenue",
]
ATTRIBUTE_TYPES = {
    "income": "float",
    "occupation": "category",
    "online_banking": "bool",
    "risk_class": "category",
    "marketing_segment": "category",
    "last_login": "date",
    "credit_score": "integer",
    "industry": "category",
    "employees": "integer",
    "annual_revenue": "float",
}
PRODUCT_COLUMNS = ["product_id", "name", "family", "margin", "fee", "description", "segment"]
HOLDING_COLUMNS = [
    "holding_id",
    "customer_id",
    "product_id",
    "opened",
    "closed",
    "status",
    "balance",
]
TRANSACTION_COLUMNS = [
    "transaction_id",
    "customer_id",
    "product_id",
    "booked_at",
    "amount",
    "kind",
    "description",
]
INTERACTION_COLUMNS = [
    "interaction_id",
    "customer_id",
    "occurred_at",
    "channel",
    "direction",
    "office",
    "subject",
    "text",
    "outcome",
    "agent",
]
CASE_COLUMNS = [
    "case_id",
    "customer_id",
    "kind",
    "product_id",
    "opened_at",
    "text",
    "category",
    "resolution",
    "channel",
    "office",
    "closed_at",
    "status",
]
ARTICLE_COLUMNS = ["article_id", "title", "body", "category", "audience"]
LABEL_COLUMNS = ["label_id", "customer_id", "name", "value", "as_of"]
FILES = {
    "products.csv": PRODUCT_COLUMNS,
    "customers.csv": CUSTOMER_COLUMNS,
    "holdings.csv": HOLDING_COLUMNS,
    "transactions.csv": TRANSACTION_COLUMNS,
    "interactions.csv": INTERACTION_COLUMNS,
    "cases.csv": CASE_COLUMNS,
    "articles.csv": ARTICLE_COLUMNS,
    "labels.csv": LABEL_COLUMNS,
}
CAMPAIGN_TARGET_SHARE = 0.3

GenerateProgress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoConfig:
    """What to generate: how many customers, from which seed, as of which day, into which folder."""

    out: Path
    as_of: dt.date
    customers: int = 4000
    seed: int = 42
    texts: Path | None = None


@dataclass
class PackageResult:
    """The written package, its row counts, and what is added after the import."""

    path: Path
    rows: dict[str, int]
    knowledge: KnowledgePlan
    credits: list[str] = field(default_factory=list)
    drifting: list[str] = field(default_factory=list)
    churned: list[str] = field(default_factory=list)


class _CsvFile:
    """A CSV file written row by row (RFC 4180 quoting, UTF-8), counting its rows."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(columns)
        self.rows = 0

    def write(self, values: list[Any]) -> None:
        self.writer.writerow(["" if v is None else v for v in values])
        self.rows += 1

    def close(self) -> None:
        self.handle.close()


class _Package:
    """All files of the package, open for writing."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {name: _CsvFile(folder / name, columns) for name, columns in FILES.items()}

    def __enter__(self) -> _Package:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for file in self.files.values():
            file.close()

    def __getitem__(self, name: str) -> _CsvFile:
        return self.files[name]

    def counts(self) -> dict[str, int]:
        return {name: file.rows for name, file in self.files.items()}


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _stamp(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def package_generate(config: DemoConfig, progress: GenerateProgress | None = None) -> PackageResult:
    """Write the demo package into config.out and return what was written."""
    as_of = config.as_of
    rng = random.Random(f"{config.seed}:population")
    customers = population_build(count=config.customers, rng=rng, as_of=as_of)
    external = external_texts_read(config.texts) if config.texts else ExternalTexts()
    result = PackageResult(
        path=config.out, rows={}, knowledge=KnowledgePlan(), credits=list(external.credits)
    )
    holding_ids, contact_ids = HoldingIds(), ContactIds()
    with _Package(config.out) as package:
        for product in PRODUCTS:
            package["products.csv"].write(
                [
                    product.product_id,
                    product.name,
                    product.family,
                    product.margin,
                    product.fee,
                    product.description,
                    product.segment,
                ]
            )
        for article in ARTICLES:
            package["articles.csv"].write(
                [
                    article.article_id,
                    article.title,
                    article.body(),
                    article.category,
                    article.audience,
                ]
            )
        transactions = package["transactions.csv"]

        def emit(
            customer_id: str,
            product_id: str,
            booked_at: dt.datetime,
            amount: float,
            kind: str,
            description: str,
        ) -> None:
            transactions.write(
                [
                    f"T{transactions.rows + 1:09d}",
                    customer_id,
                    product_id,
                    _stamp(booked_at),
                    f"{amount:.2f}",
                    kind,
                    description,
                ]
            )

        for number, customer in enumerate(customers, 1):
            own = random.Random(f"{config.seed}:{customer.customer_id}")
            holdings = holdings_choose(customer, own, as_of, holding_ids)
            if (
                campaign_eligible(customer, holdings, as_of)
                and own.random() < CAMPAIGN_TARGET_SHARE
            ):
                customer.campaign_target = True
                customer.campaign_response = own.random() < _response_probability(customer, as_of)
                campaign_apply(customer, holdings, own, as_of, holding_ids)
            ledger = transactions_simulate(customer, holdings, own, as_of, emit)
            history = ContactHistory(customer, ledger, own, as_of, contact_ids, external or None)
            history.build()
            _write_customer(package, customer, ledger, own, as_of)
            _write_holdings(package, holdings)
            _write_contacts(package, history.contacts, history.cases)
            _write_labels(package, customer, as_of, result)
            if progress is not None and (number % 100 == 0 or number == len(customers)):
                progress(number, len(customers), "Generating customers")
        twins = duplicates_make(customers, random.Random(f"{config.seed}:duplicates"))
        for _, twin in twins:
            _write_customer_row(package, twin, status="prospect", last_login=None)
    result.knowledge = knowledge_plan(
        customers=customers, rng=random.Random(f"{config.seed}:knowledge"), as_of=as_of
    )
    _write_manifest(config, external, len(customers))
    result.rows = package.counts()
    return result


def _response_probability(customer: DemoCustomer, as_of: dt.date) -> float:
    """Who answers the Gold card offer: higher incomes, online users, travellers' ages."""
    score = -3.2 + customer.income / 45000 + (0.6 if customer.online_banking else 0.0)
    score += 0.5 if customer.segment in ("affluent", "young_professionals") else 0.0
    score -= 0.6 if customer.age(as_of) > 68 else 0.0
    return 1 / (1 + math.exp(-score))


def _write_customer(
    package: _Package, c: DemoCustomer, ledger: LedgerResult, rng: random.Random, as_of: dt.date
) -> None:
    churned = bool(c.drift and c.drift.closes_main)
    still_open = any(h.closed is None for h in ledger.holdings)
    if not ledger.holdings:
        status = "prospect"
    elif not still_open:
        status = "closed" if churned else "inactive"
    else:
        status = "inactive" if churned else "active"
    last_login = None
    if c.online_banking:
        last = c.drift.closes_main or c.drift.start + dt.timedelta(days=30) if c.drift else as_of
        last_login = last - dt.timedelta(days=int(rng.expovariate(1 / 6)))
    _write_customer_row(package, c, status=status, last_login=last_login)


def _write_customer_row(
    package: _Package, c: DemoCustomer, *, status: str, last_login: dt.date | None
) -> None:
    package["customers.csv"].write(customer_row(c, status=status, last_login=last_login))


def customer_row(c: DemoCustomer, *, status: str, last_login: dt.date | None) -> list[Any]:
    """A customer's line of customers.csv, in CUSTOMER_COLUMNS' order."""
    person = c.is_person
    return [
        c.customer_id,
        c.kind,
        c.first_name,
        c.last_name,
        c.name,
        c.email,
        c.phone,
        c.address,
        c.postcode,
        c.city.name,
        "DE",
        _date(c.dob),
        _date(c.since),
        status,
        c.household_id,
        c.owner,
        c.team,
        c.office,
        f"{c.income:.0f}" if person else "",
        c.occupation,
        "true" if c.online_banking else "false",
        c.risk_class,
        c.segment,
        _date(last_login),
        c.credit_score,
        c.industry,
        "" if person else c.employees,
        "" if person else f"{c.revenue:.0f}",
    ]


def _write_holdings(package: _Package, holdings: list[DemoHolding]) -> None:
    for h in holdings:
        balance = "" if h.balance is None else f"{h.balance:.2f}"
        package["holdings.csv"].write(
            [
                h.holding_id,
                h.customer_id,
                h.product_id,
                _date(h.opened),
                _date(h.closed),
                h.status,
                balance,
            ]
        )


def _write_contacts(package: _Package, contacts: list[ContactRow], cases: list[CaseRow]) -> None:
    for row in sorted(contacts, key=lambda r: r.occurred_at):
        package["interactions.csv"].write(
            [
                row.interaction_id,
                row.customer_id,
                _stamp(row.occurred_at),
                row.channel,
                row.direction,
                row.office,
                row.subject,
                row.text,
                row.outcome,
                row.agent,
            ]
        )
    for case in cases:
        package["cases.csv"].write(
            [
                case.case_id,
                case.customer_id,
                case.kind,
                case.product_id,
                _stamp(case.opened_at),
                case.text,
                case.category,
                case.resolution,
                case.channel,
                case.office,
                _stamp(case.closed_at),
                case.status,
            ]
        )


def _write_labels(
    package: _Package, c: DemoCustomer, as_of: dt.date, result: PackageResult
) -> None:
    if c.drift:
        result.drifting.append(c.customer_id)
    churned = bool(c.drift and c.drift.closes_main)
    if churned:
        result.churned.append(c.customer_id)
    if c.is_person:
        package["labels.csv"].write(
            [
                f"L-churned-{c.customer_id}",
                c.customer_id,
                "churned",
                1 if churned else 0,
                as_of.isoformat(),
            ]
        )
    if c.campaign_target:
        package["labels.csv"].write(
            [
                f"L-responded-{c.customer_id}",
                c.customer_id,
                "responded",
                1 if c.campaign_response else 0,
                campaign_window_end(as_of).isoformat(),
            ]
        )


def _write_manifest(config: DemoConfig, external: ExternalTexts, count: int) -> None:
    manifest: dict[str, Any] = {
        "name": f"{BANK_NAME} demo bank",
        "as_of": config.as_of,
        "encoding": "utf-8",
        "description": (
            f"A German retail bank with {count:,} customers, two contact centres and eight branches, "
            "generated by `ckm demo` (seed "
            f"{config.seed}). cases.csv and articles.csv are for the service and knowledge apps."
        ),
        "columns": {
            "customers": dict(ATTRIBUTE_TYPES),
            "products": {"segment": "category"},
        },
        "generator": {"command": "ckm demo", "seed": config.seed, "customers": count},
    }
    if external.sources:
        manifest["sources"] = external.sources
    with (config.out / "manifest.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(manifest, handle, sort_keys=False, allow_unicode=True, width=100)
