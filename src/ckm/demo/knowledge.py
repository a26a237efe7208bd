"""What the demo bank knows about its customers beyond the package: the relationship managers'
personal facts, consents per purpose and channel, and when each part of a record was last confirmed.

The plan is computed with the package (same seed, no database) and written after the import by
:func:`ckm.demo.services.demo_knowledge_add`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from ckm.core.models import Role
from ckm.demo import names
from ckm.demo.organisation import STAFF
from ckm.demo.population import DemoCustomer

_AGENTS = [s.username for s in STAFF if s.role == Role.AGENT]
CONSENT_SOURCES = ("account opening", "online banking", "branch", "phone", "campaign reply")


@dataclass(frozen=True)
class FactPlan:
    customer_id: str
    kind: str
    label: str
    value: str = ""
    date: dt.date | None = None
    recurring: bool = False
    confirmed_at: dt.datetime | None = None
    author: str = ""


@dataclass(frozen=True)
class ConsentPlan:
    customer_id: str
    purpose: str
    channel: str
    granted: bool
    recorded_at: dt.datetime
    source: str


@dataclass(frozen=True)
class ConfirmationPlan:
    customer_id: str
    section: str
    confirmed_at: dt.datetime
    confirmed_by: str
    source: str


@dataclass
class KnowledgePlan:
    facts: list[FactPlan] = field(default_factory=list)
    consents: list[ConsentPlan] = field(default_factory=list)
    confirmations: list[ConfirmationPlan] = field(default_factory=list)


def _moment(rng: random.Random, first: dt.date, last: dt.date) -> dt.datetime:
    day = first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))
    return dt.datetime.combine(day, dt.time(rng.randint(8, 18), rng.randint(0, 59)))


def _freshness(rng: random.Random, since: dt.date, as_of: dt.date) -> dt.datetime:
    """A confirmation date: about a third recent, a third this year, a third over a year old."""
    roll = rng.random()
    if roll < 0.33:
        first, last = as_of - dt.timedelta(days=90), as_of - dt.timedelta(days=1)
    elif roll < 0.66:
        first, last = as_of - dt.timedelta(days=365), as_of - dt.timedelta(days=91)
    else:
        first, last = as_of - dt.timedelta(days=5 * 365), as_of - dt.timedelta(days=366)
    return _moment(rng, max(first, since), max(last, since))


def knowledge_plan(
    *, customers: list[DemoCustomer], rng: random.Random, as_of: dt.date
) -> KnowledgePlan:
    """Personal facts for owned customers, consents for most, confirmations of varying freshness."""
    plan = KnowledgePlan()
    by_id = {c.customer_id: c for c in customers}
    for customer in customers:
        facts = _facts(customer, by_id, rng, as_of) if customer.owner else []
        consents = _consents(customer, rng, as_of)
        plan.facts.extend(facts)
        plan.consents.extend(consents)
        plan.confirmations.extend(_confirmations(customer, facts, consents, rng, as_of))
    return plan


def _facts(
    c: DemoCustomer, by_id: dict[str, DemoCustomer], rng: random.Random, as_of: dt.date
) -> list[FactPlan]:
    owner = c.owner
    facts: list[FactPlan] = []

    def fact(
        kind: str, label: str, value: str = "", date: dt.date | None = None, recurring: bool = False
    ) -> None:
        facts.append(
            FactPlan(
                c.customer_id,
                kind,
                label,
                value,
                date,
                recurring,
                _freshness(rng, c.since, as_of),
                owner,
            )
        )

    if not c.is_person:
        boss = f"{rng.choice(('Herr', 'Frau'))} {rng.choice(names.LAST_GERMAN)}"
        fact("family", "Managing director", boss)
        founded = dt.date(as_of.year - rng.randint(3, 40), rng.randint(1, 12), rng.randint(1, 28))
        fact(
            "anniversary",
            "Company founded",
            f"{as_of.year - founded.year} years in business",
            founded,
            True,
        )
        fact(
            "preference",
            "Best time to call",
            rng.choice(
                ("before 10 am, before the shop opens", "after 6 pm", "Mondays, not at month end")
            ),
        )
        return facts
    if c.dob:
        fact("birthday", "Birthday", "", c.dob, True)
    partner = by_id.get(c.partner_id)
    if partner is not None:
        label = (
            "Wife"
            if partner.gender == "f" and c.gender == "m"
            else "Husband"
            if partner.gender == "m" and c.gender == "f"
            else "Partner"
        )
        fact("family", label, partner.first_name)
        if rng.random() < 0.7:
            years = rng.randint(2, max(3, min(45, c.age(as_of) - 22)))
            wedding = dt.date(as_of.year - years, rng.randint(4, 9), rng.randint(1, 28))
            fact("anniversary", "Wedding anniversary", f"married {wedding.year}", wedding, True)
    for child in c.children[:2]:
        son = rng.random() < 0.5
        event = rng.choice(
            (
                f"starts university in {rng.choice(('Leipzig', 'Heidelberg', 'Münster', 'Hamburg', 'Freiburg'))} in October",
                "finished the Abitur this summer",
                "starts an apprenticeship in August",
                "plays football in the local club",
                "is getting married next spring",
                "moved to Munich for work",
            )
        )
        if rng.random() < 0.5:
            fact("life_event", f"{'Son' if son else 'Daughter'} {child}", event)
        else:
            fact("family", "Son" if son else "Daughter", child)
    if rng.random() < 0.6:
        fact(
            "preference",
            "Contact",
            rng.choice(
                (
                    "prefers calls after 5 pm",
                    "prefers e-mail, no calls at work",
                    "likes to come to the branch on Saturdays",
                    "hard of hearing - speak slowly and clearly",
                    "wants statements by post",
                    "no marketing calls, please",
                    "prefers to talk in Turkish if possible",
                    "call on the mobile, never the landline",
                )
            ),
        )
    if rng.random() < 0.45:
        fact("interest", "Hobby", rng.choice(names.HOBBIES))
    if rng.random() < 0.15:
        fact("note", "Pet", rng.choice(names.PETS))
    if c.occupation == "retired" and rng.random() < 0.3:
        fact("life_event", "Retirement", "retired after 40 years at the same firm")
    return facts


_CONSENT_SHAPE = (
    # purpose, channel, P(asked), P(granted | asked)
    ("service", "email", 0.85, 0.95),
    ("service", "sms", 0.6, 0.9),
    ("service", "letter", 0.5, 0.98),
    ("marketing", "email", 0.7, 0.6),
    ("marketing", "phone", 0.55, 0.45),
    ("marketing", "sms", 0.35, 0.4),
    ("marketing", "letter", 0.45, 0.7),
    ("profiling", "portal", 0.6, 0.75),
    ("research", "email", 0.4, 0.55),
    ("product_feedback", "email", 0.25, 0.5),
)


def _consents(c: DemoCustomer, rng: random.Random, as_of: dt.date) -> list[ConsentPlan]:
    if rng.random() > 0.88:
        return []  # never asked
    consents = []
    for purpose, channel, asked, granted in _CONSENT_SHAPE:
        if (channel == "email" and not c.email) or (channel == "sms" and not c.phone):
            continue
        if rng.random() >= asked:
            continue
        recorded = _moment(rng, c.since, as_of - dt.timedelta(days=1))
        yes = rng.random() < granted
        # a customer drifting away often withdraws marketing consent first
        if c.drift and purpose == "marketing" and rng.random() < 0.6:
            yes = False
            recorded = _moment(rng, c.drift.start, as_of - dt.timedelta(days=1))
        consents.append(
            ConsentPlan(c.customer_id, purpose, channel, yes, recorded, rng.choice(CONSENT_SOURCES))
        )
    return consents


def _confirmations(
    c: DemoCustomer,
    facts: list[FactPlan],
    consents: list[ConsentPlan],
    rng: random.Random,
    as_of: dt.date,
) -> list[ConfirmationPlan]:
    by = c.owner or rng.choice(_AGENTS)
    confirmations = []
    if rng.random() < 0.75:
        confirmations.append(
            ConfirmationPlan(
                c.customer_id, "identity", _freshness(rng, c.since, as_of), by, "confirmed"
            )
        )
    if (c.email or c.phone) and rng.random() < 0.7:
        confirmations.append(
            ConfirmationPlan(
                c.customer_id, "contact", _freshness(rng, c.since, as_of), by, "confirmed"
            )
        )
    if facts:
        latest = max(f.confirmed_at for f in facts if f.confirmed_at)
        confirmations.append(ConfirmationPlan(c.customer_id, "personal", latest, by, "edit"))
    if consents:
        latest = max(x.recorded_at for x in consents)
        confirmations.append(ConfirmationPlan(c.customer_id, "consent", latest, by, "edit"))
    if c.owner and rng.random() < 0.8:
        confirmations.append(
            ConfirmationPlan(
                c.customer_id, "holdings", _freshness(rng, c.since, as_of), by, "confirmed"
            )
        )
    return confirmations
