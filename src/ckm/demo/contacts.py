"""The contact history of a demo customer: what they asked, on which channel, who answered, what
came of it, and which contacts became cases. Customers drifting away complain and ask about
closing before they leave; relationship managers review, congratulate and take notes."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ckm.core.models import Role
from ckm.demo import texts
from ckm.demo.corpora import ExternalTexts
from ckm.demo.holdings import CAMPAIGN_WINDOW, campaign_date
from ckm.demo.intents import INTENTS, Intent, Weights
from ckm.demo.ledger import LedgerResult, poisson
from ckm.demo.organisation import (
    BACK_OFFICE,
    BANK_NAME,
    CONTACT_CENTRES,
    ONLINE,
    STAFF,
    staff_in_office,
)
from ckm.demo.outreach import (
    ANNUAL_REVIEW,
    BIRTHDAY,
    CALLBACK,
    OFFERS,
    PRICE_NOTICE,
    RETENTION,
    RM_NOTES,
    SERVICE_MESSAGES,
    SURVEY,
    Outreach,
)
from ckm.demo.population import DemoCustomer
from ckm.demo.slots import slot_makers

PRICE_CHANGE_DAYS_BEFORE = 300
IDEA_OPEN_DAYS = 42  # an idea older than this has been handed over to product development
DRIFT_INTENTS = tuple(i for i in INTENTS if i.drift > 0)
_AGENTS = {code: staff_in_office(code, Role.AGENT) for code in CONTACT_CENTRES}


@dataclass
class ContactRow:
    interaction_id: str
    customer_id: str
    occurred_at: dt.datetime
    channel: str
    direction: str
    office: str
    subject: str
    text: str
    outcome: str
    agent: str


@dataclass
class CaseRow:
    case_id: str
    customer_id: str
    kind: str
    product_id: str
    opened_at: dt.datetime
    text: str
    category: str
    resolution: str
    channel: str
    office: str
    closed_at: dt.datetime | None
    status: str
    intent: str


class ContactIds:
    """Sequential interaction and case ids shared by all customers of a package."""

    def __init__(self) -> None:
        self.interactions = 0
        self.cases = 0

    def interaction(self) -> str:
        self.interactions += 1
        return f"INT{self.interactions:08d}"

    def case(self) -> str:
        self.cases += 1
        return f"CASE{self.cases:06d}"


def _pick(rng: random.Random, weights: Weights) -> str:
    return rng.choices([k for k, _ in weights], [w for _, w in weights])[0]


class ContactHistory:
    """Builds the contacts and cases of one customer."""

    def __init__(
        self,
        customer: DemoCustomer,
        ledger: LedgerResult,
        rng: random.Random,
        as_of: dt.date,
        ids: ContactIds,
        external: ExternalTexts | None = None,
    ) -> None:
        self.c = customer
        self.ledger = ledger
        self.rng = rng
        self.as_of = as_of
        self.ids = ids
        self.external = external
        self.contacts: list[ContactRow] = []
        self.cases: list[CaseRow] = []
        self.start = max(customer.since, as_of - dt.timedelta(days=730))
        drift = customer.drift
        self.end = (
            (drift.closes_main + dt.timedelta(days=5)) if drift and drift.closes_main else as_of
        )
        self.end = min(self.end, as_of)
        self.price_change = as_of - dt.timedelta(days=PRICE_CHANGE_DAYS_BEFORE)

    # -- when and who -------------------------------------------------------------------------

    def _moment(self, channel: str, first: dt.date, last: dt.date) -> dt.datetime:
        rng = self.rng
        span = max(0, (last - first).days)
        day = first + dt.timedelta(days=rng.randint(0, span))
        closed = (
            5
            if channel in ("branch", "letter", "note", "field")
            else 6
            if channel == "phone"
            else 7
        )
        if day.weekday() >= closed:  # the branch, the post room or the phone lines are closed
            earlier = day - dt.timedelta(days=day.weekday() - closed + 1)
            day = earlier if earlier >= first else day + dt.timedelta(days=7 - day.weekday())
        hours = {
            "branch": (9, 18),
            "letter": (9, 16),
            "note": (9, 19),
            "field": (10, 17),
            "phone": (8, 20),
            "chat": (7, 23),
            "sms": (8, 20),
        }.get(channel, (6, 24))
        moment = dt.datetime.combine(
            day, dt.time(rng.randint(hours[0], hours[1] - 1), rng.randint(0, 59))
        )
        return min(moment, dt.datetime.combine(self.as_of - dt.timedelta(days=1), dt.time(23, 59)))

    def _handler(self, channel: str, who: str = "agent") -> tuple[str, str]:
        """(office, agent username) for a contact on this channel."""
        rng = self.rng
        home = self.c.office if self.c.office != ONLINE else self.c.city.branch
        if who == "rm" or channel in ("branch", "note", "field"):
            owner = self.c.owner
            if owner:
                office = next((s.office for s in STAFF if s.username == owner), home)
                return (office if channel != "branch" else home), owner
            local = staff_in_office(home, Role.RELATIONSHIP_MANAGER)
            return home, rng.choice(local) if local else ""
        if who == "system" or channel in ("web", "sms"):
            return (BACK_OFFICE if channel == "letter" else ONLINE), ""
        if channel == "letter":
            return BACK_OFFICE, ""
        centre = CONTACT_CENTRES[0] if rng.random() < 0.55 else CONTACT_CENTRES[1]
        return centre, rng.choice(_AGENTS[centre])

    def _channel(self, weights: Weights) -> str:
        c, rng = self.c, self.rng
        age = c.age(self.as_of)
        adjusted = []
        for channel, weight in weights:
            if channel == "email" and not c.email:
                weight = 0.0
            if channel in ("chat", "web") and not c.online_banking:
                weight *= 0.1
            if channel in ("phone", "branch", "letter") and age > 68:
                weight *= 1.8
            adjusted.append((channel, weight))
        if sum(w for _, w in adjusted) <= 0:
            return "phone"
        return _pick(rng, tuple(adjusted))

    # -- inbound --------------------------------------------------------------------------------

    def _eligible(
        self, day: dt.date, pool: tuple[Intent, ...], drifting: bool
    ) -> tuple[list[Intent], list[float]]:
        families = self.ledger.families(day)
        kind = "person" if self.c.is_person else "organisation"
        chosen, weights = [], []
        for intent in pool:
            if intent.audience not in ("any", kind):
                continue
            if intent.requires and not families.intersection(intent.requires):
                continue
            if intent.family == "card" and not families.intersection(("card", "current_account")):
                continue
            weight = intent.weight + (intent.drift * 1.5 if drifting else 0.0)
            if intent.code == "fees_questioned" and day >= self.price_change:
                weight *= 2.0
            chosen.append(intent)
            weights.append(weight)
        return chosen, weights

    def inbound(
        self,
        day_from: dt.date,
        day_to: dt.date,
        *,
        drifting: bool = False,
        intent: Intent | None = None,
    ) -> None:
        """One contact the customer starts, on a day between day_from and day_to."""
        rng = self.rng
        if intent is None:
            probe = day_from + dt.timedelta(days=rng.randint(0, max(0, (day_to - day_from).days)))
            pool, weights = self._eligible(probe, DRIFT_INTENTS if drifting else INTENTS, drifting)
            if not pool:
                return
            intent = rng.choices(pool, weights)[0]
            day_from = day_to = probe
        channel = self._channel(intent.channels)
        when = self._moment(channel, day_from, day_to)
        slots = texts.SlotBag(slot_makers(self.c, self.ledger, rng, when, intent.family))
        if channel in ("phone", "branch", "field") and rng.random() < 0.6:
            subject = intent.category.split(" / ")[-1]  # agents pick the reason from the taxonomy
        else:
            subject = texts.render(rng.choice(intent.subjects), rng, slots)
        text = self._inbound_text(intent, channel, slots)
        outcome = _pick(rng, intent.outcomes)
        office, agent = self._handler(channel)
        row = self._add(when, channel, "inbound", office, subject, text, outcome, agent)
        self._maybe_case(intent, row)
        if (
            outcome == "follow_up"
            and channel in ("phone", "email", "chat", "web")
            and rng.random() < 0.5
        ):
            follow = when + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 4))
            if follow.date() < self.as_of:
                self.outreach(CALLBACK, follow.date(), follow.date(), topic=subject.lower())
        if intent.code in ("card_lost", "card_blocked", "card_not_arrived") and rng.random() < 0.5:
            self.service_message(when.date() + dt.timedelta(days=1), text_index=0)
        if self.c.email and rng.random() < 0.12:
            self.outreach(
                SURVEY, when.date() + dt.timedelta(days=1), when.date() + dt.timedelta(days=3)
            )

    def _inbound_text(self, intent: Intent, channel: str, slots: texts.SlotBag) -> str:
        rng, c = self.rng, self.c
        if channel in ("phone", "branch", "field"):
            return texts.note(texts.render(rng.choice(intent.notes), rng, slots), rng)
        body, roughness = "", 0.12 if c.age(self.as_of) < 40 else 0.06
        external = self.external
        if external is not None:
            queries = external.queries.get(intent.code)
            narratives = external.narratives.get(intent.code)
            if narratives and channel in ("email", "letter") and rng.random() < 0.5:
                body = rng.choice(narratives)
            elif queries and channel in ("chat", "web", "email") and rng.random() < 0.5:
                body = rng.choice(queries)
        if body:
            roughness = 0.0  # real messages keep their own spelling
        else:
            body = texts.render(rng.choice(intent.messages), rng, slots)
        first, last = (c.first_name, c.last_name) if c.is_person else ("", c.name)
        return texts.message(
            rng=rng,
            channel=channel,
            body=body,
            slots=slots,
            first_name=first,
            last_name=last,
            roughness=roughness,
        )

    def _maybe_case(self, intent: Intent, row: ContactRow) -> None:
        rng = self.rng
        chance = {"complaint": 0.5, "idea": 0.85}.get(intent.kind, 0.08)
        if row.outcome in ("escalated", "follow_up"):
            chance *= 1.6
        if rng.random() >= chance:
            return
        days_open = rng.expovariate(1 / (8 if intent.kind == "complaint" else 5))
        closed_at = row.occurred_at + dt.timedelta(days=days_open, hours=rng.randint(1, 8))
        is_closed = closed_at.date() < self.as_of and (intent.kind != "idea" or rng.random() < 0.3)
        if intent.kind == "idea" and (self.as_of - row.occurred_at.date()).days > IDEA_OPEN_DAYS:
            # an idea stays open while it is looked at, then is thanked for and handed over to
            # product development (the insight board keeps it): the desk holds no old ideas
            is_closed = True
            closed_at = row.occurred_at + dt.timedelta(days=min(days_open * 4, IDEA_OPEN_DAYS))
        day = row.occurred_at.date()
        product = self.ledger.product_for(intent.family, day) if intent.family else ""
        if not product:
            product = self.ledger.product_for("current_account", day)
        slots = texts.SlotBag(slot_makers(self.c, self.ledger, rng, row.occurred_at, intent.family))
        self.cases.append(
            CaseRow(
                case_id=self.ids.case(),
                customer_id=self.c.customer_id,
                kind=intent.kind,
                product_id=product,
                opened_at=row.occurred_at,
                text=row.text,
                category=intent.category,
                resolution=texts.render(rng.choice(intent.resolutions), rng, slots)
                if is_closed
                else "",
                channel=row.channel,
                office=row.office,
                closed_at=closed_at if is_closed else None,
                status="closed" if is_closed else rng.choice(("open", "in_progress")),
                intent=intent.code,
            )
        )

    # -- outbound and internal --------------------------------------------------------------------

    def outreach(
        self,
        kind: Outreach,
        day_from: dt.date,
        day_to: dt.date,
        *,
        topic: str = "",
        outcome: str = "",
    ) -> None:
        """A contact the bank starts (or a note it keeps)."""
        rng = self.rng
        day_to = min(day_to, self.as_of - dt.timedelta(days=1))
        if day_to < day_from:
            return
        channel = (
            self._channel(kind.channels) if kind.direction == "outbound" else kind.channels[0][0]
        )
        if channel == "email" and not self.c.email:
            channel = "letter"
        when = self._moment(channel, day_from, day_to)
        makers = slot_makers(self.c, self.ledger, rng, when)
        if topic:
            makers["topic"] = lambda: topic
        slots = texts.SlotBag(makers)
        outcome, template = kind.pick(rng, outcome)
        subject = texts.render(rng.choice(kind.subjects), rng, slots)
        body = texts.render(template, rng, slots)
        office, agent = self._handler(channel, kind.who)
        if body.startswith("Dear customer"):
            body = (
                body.replace("Dear customer", f"Dear {self._salutation()}", 1)
                + f"\n\nKind regards\nYour {BANK_NAME} team"
            )
        self._add(when, channel, kind.direction, office, subject, body, outcome, agent)

    def service_message(self, day: dt.date, *, text_index: int | None = None) -> None:
        """An automatic SMS or e-mail from the bank."""
        if day >= self.as_of:
            return
        rng = self.rng
        channel = "sms" if (self.c.phone and rng.random() < 0.7) or not self.c.email else "email"
        when = self._moment(channel, day, day)
        slots = texts.SlotBag(slot_makers(self.c, self.ledger, rng, when))
        index = (
            text_index if text_index is not None else rng.randrange(1, len(SERVICE_MESSAGES.texts))
        )
        subject = texts.render(
            SERVICE_MESSAGES.subjects[min(index, len(SERVICE_MESSAGES.subjects) - 1)], rng, slots
        )
        body = texts.render(SERVICE_MESSAGES.texts[index][1], rng, slots)
        self._add(when, channel, "outbound", ONLINE, subject, body, "information", "")

    def _salutation(self) -> str:
        if not self.c.is_person:
            return "Sir or Madam"
        return f"{'Mr' if self.c.gender == 'm' else 'Ms'} {self.c.last_name}"

    def _add(
        self,
        when: dt.datetime,
        channel: str,
        direction: str,
        office: str,
        subject: str,
        text: str,
        outcome: str,
        agent: str,
    ) -> ContactRow:
        row = ContactRow(
            self.ids.interaction(),
            self.c.customer_id,
            when,
            channel,
            direction,
            office,
            subject[:255],
            text,
            outcome,
            agent,
        )
        self.contacts.append(row)
        return row

    # -- the whole history ----------------------------------------------------------------------------

    def build(self) -> None:
        """Everything that happened between the customer and the bank in the last two years."""
        c, rng, as_of = self.c, self.rng, self.as_of
        if self.start >= self.end:
            return
        rate = (3.0 if c.is_person else 5.0) * (1.2 if c.online_banking else 1.0)
        rate *= (self.end - self.start).days / 730
        for _ in range(poisson(rng, rate)):
            self.inbound(self.start, self.end - dt.timedelta(days=1))
        self._drift_contacts()
        if c.online_banking:
            for _ in range(poisson(rng, 0.8)):
                self.service_message(
                    self.start + dt.timedelta(days=rng.randint(0, (self.end - self.start).days))
                )
        if (
            self.ledger.product_for("current_account", self.price_change) == "CA-CLASSIC"
            and rng.random() < 0.6
        ):
            notice = self.price_change - dt.timedelta(days=60)
            if notice >= self.start:
                self.outreach(PRICE_NOTICE, notice, notice + dt.timedelta(days=3))
        if c.campaign_target:
            day = campaign_date(as_of)
            self.outreach(
                OFFERS["gold_card"],
                day,
                day + dt.timedelta(days=2),
                outcome="sale" if c.campaign_response else "information",
            )
        families = self.ledger.families(as_of - dt.timedelta(days=1))
        if c.is_person and "card" not in families and rng.random() < 0.15:
            self.outreach(OFFERS["credit_card"], self.start, self.end)
        if c.is_person and "insurance" not in families and rng.random() < 0.08:
            self.outreach(OFFERS["insurance"], self.start, self.end)
        if c.owner:
            self._relationship_contacts(families)

    def _drift_contacts(self) -> None:
        drift = self.c.drift
        if drift is None:
            return
        rng = self.rng
        last = (drift.closes_main or self.as_of) - dt.timedelta(days=2)
        for _ in range(rng.randint(2, 4)):
            self.inbound(drift.start - dt.timedelta(days=20), last, drifting=True)
        closure = next(i for i in INTENTS if i.code == "account_closure")
        if drift.closes_main:
            self.inbound(
                drift.closes_main - dt.timedelta(days=40),
                drift.closes_main - dt.timedelta(days=3),
                intent=closure,
            )
        elif rng.random() < 0.4:
            self.inbound(
                drift.start + dt.timedelta(days=30),
                self.as_of - dt.timedelta(days=1),
                intent=closure,
            )
        if self.c.owner or rng.random() < 0.4:
            self.outreach(RETENTION, drift.start + dt.timedelta(days=25), last)

    def _relationship_contacts(self, families: set[str]) -> None:
        c, rng = self.c, self.rng
        year = self.start.year
        while dt.date(year, 1, 1) < self.end:
            review_from = max(self.start, dt.date(year, 1, 15))
            review_to = min(self.end, dt.date(year, 11, 30))
            if review_from < review_to and rng.random() < 0.85:
                self.outreach(ANNUAL_REVIEW, review_from, review_to)
            if c.dob:
                try:
                    birthday = c.dob.replace(year=year)
                except ValueError:
                    birthday = dt.date(year, 3, 1)
                if self.start <= birthday < self.end and rng.random() < 0.8:
                    self.outreach(BIRTHDAY, birthday, birthday)
            year += 1
        for _ in range(poisson(rng, 1.3)):
            self.outreach(RM_NOTES, self.start, self.end)
        if c.is_person and "investment" not in families and c.wealth > 40000 and rng.random() < 0.5:
            self.outreach(OFFERS["fund_plan"], self.start, self.end)


def campaign_window_end(as_of: dt.date) -> dt.date:
    """The day responses to the past campaign are counted up to."""
    return campaign_date(as_of) + dt.timedelta(days=CAMPAIGN_WINDOW)
