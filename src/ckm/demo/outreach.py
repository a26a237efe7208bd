"""Contacts the demo bank starts itself: reviews, birthday calls, offers, retention calls, service
messages and relationship managers' notes. Same template syntax as :mod:`ckm.demo.intents`.

Each text belongs to an outcome, so "not reached" is never logged as a sale.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ckm.demo.intents import Weights


@dataclass(frozen=True)
class Outreach:
    """One kind of contact the bank initiates, with the words staff or the system use per outcome."""

    code: str
    who: str  # rm, agent or system
    direction: str  # outbound or internal
    channels: Weights
    subjects: tuple[str, ...]
    texts: tuple[tuple[str, str], ...]  # (outcome, template)

    def pick(self, rng: random.Random, outcome: str = "") -> tuple[str, str]:
        """(outcome, template): a text for the given outcome, or any text with its outcome."""
        if outcome:
            fitting = [t for t in self.texts if t[0] == outcome]
            if fitting:
                return rng.choice(fitting)
        return rng.choice(self.texts)


ANNUAL_REVIEW = Outreach(
    "annual_review",
    "rm",
    "outbound",
    (("branch", 0.55), ("phone", 0.4), ("field", 0.05)),
    ("Annual review", "Annual financial check-up", "Portfolio review", "Yearly meeting"),
    (
        (
            "information",
            "Annual review. Income stable, {?new job at {employer}, }savings about {big_amount}. "
            "{Talked about retirement provision.|Checked insurance cover.|No new needs.}",
        ),
        (
            "information",
            "Review with customer: happy overall, {mentioned fees|wants a better savings rate|asked about "
            "property prices in {city}}. Next review in 12 months.",
        ),
        (
            "follow_up",
            "Review: customer plans {a renovation, possible loan of {loan_amount}|to replace the car next year|"
            "to help the children buy a flat}. Offer to follow.",
        ),
        (
            "follow_up",
            "Review. Children's education savings discussed; customer wants figures for a savings plan.",
        ),
        (
            "sale",
            "Review. Customer opened a fund savings plan of {amount} a month after we compared options.",
        ),
        ("sale", "Review. Idle savings of {big_amount} moved to a 12-month fixed-term deposit."),
        ("no_answer", "Tried to arrange the annual review - not reached, invitation sent by post."),
    ),
)
BIRTHDAY = Outreach(
    "birthday",
    "rm",
    "outbound",
    (("phone", 0.6), ("letter", 0.4)),
    ("Birthday wishes", "Happy birthday", "Birthday call"),
    (
        (
            "information",
            "Called to wish happy birthday. {Customer pleased.|Short chat about the family.|"
            "Mentioned an upcoming trip to {country}.}",
        ),
        ("information", "Birthday card sent with a personal note."),
        ("information", "Birthday call - customer touched that we remembered."),
        (
            "follow_up",
            "Birthday call; at the end the customer asked about savings rates - will send figures.",
        ),
        ("no_answer", "Birthday call - not reached, left a voicemail."),
    ),
)
_GOLD = Outreach(
    "offer_gold_card",
    "agent",
    "outbound",
    (("email", 0.55), ("letter", 0.45)),
    ("Upgrade to the Gold card", "Your Gold card invitation", "Travel insured with Gold"),
    (
        (
            "information",
            "Dear customer, travel relaxed: upgrade to the {bank} Gold card with travel insurance and "
            "free withdrawals worldwide. Reply by {month} and the first year is free.",
        ),
        (
            "sale",
            "Dear customer, travel relaxed: upgrade to the {bank} Gold card with travel insurance and "
            "free withdrawals worldwide. Reply by {month} and the first year is free.",
        ),
    ),
)
OFFERS = {
    "credit_card": Outreach(
        "offer_credit_card",
        "agent",
        "outbound",
        (("email", 0.5), ("letter", 0.3), ("phone", 0.2)),
        (
            "Your personal offer: Visa credit card",
            "Pay worldwide with the {bank} Visa card",
            "Credit card offer",
        ),
        (
            (
                "information",
                "Dear customer, as a valued customer you can now get the {bank} Visa card free for the "
                "first year. Apply in the app in two minutes.",
            ),
            (
                "information",
                "Offered the Visa card free in the first year. {Not interested.|Already has a card "
                "elsewhere.|Will think about it.}",
            ),
            (
                "sale",
                "Offered the Visa card free in the first year. Customer interested, application link sent.",
            ),
            ("no_answer", "Credit card offer call - not reached."),
        ),
    ),
    "fund_plan": Outreach(
        "offer_fund_plan",
        "rm",
        "outbound",
        (("phone", 0.5), ("email", 0.3), ("letter", 0.2)),
        ("Make more of your savings", "Fund savings plan from EUR 25", "Investment idea for you"),
        (
            (
                "information",
                "Called about idle savings ({big_amount}); offered a fund savings plan. "
                "{Customer will think about it.|Not interested, prefers safety.}",
            ),
            (
                "follow_up",
                "Called about idle savings ({big_amount}); advice appointment booked at {branch}.",
            ),
            (
                "sale",
                "Called about idle savings; customer started a fund savings plan of {amount} a month.",
            ),
            ("no_answer", "Investment call - not reached, will try again."),
        ),
    ),
    "gold_card": _GOLD,
    "insurance": Outreach(
        "offer_insurance",
        "agent",
        "outbound",
        (("letter", 0.5), ("email", 0.5)),
        ("Protect your home", "Home contents insurance offer"),
        (
            (
                "information",
                "Dear customer, is your home contents cover up to date? Our partner offers {bank} "
                "customers 15 % off the first year.",
            ),
        ),
    ),
}
RETENTION = Outreach(
    "retention_call",
    "rm",
    "outbound",
    (("phone", 0.8), ("branch", 0.2)),
    (
        "Retention call",
        "We'd like to keep you",
        "Follow-up on your complaint",
        "Customer at risk - call",
    ),
    (
        (
            "information",
            "Retention call after complaints. Customer {still unhappy about fees|disappointed by the "
            "service|has already opened an account at {other_bank}}. Offered {a fee waiver for 12 months|a better "
            "savings rate|Premium at the Classic price}. Declined.",
        ),
        (
            "follow_up",
            "Retention call: customer {unhappy about fees|annoyed by waiting times}; will think about "
            "our offer of {a fee waiver for 12 months|a better savings rate}. Call again in two weeks.",
        ),
        (
            "sale",
            "Retention call: customer accepted {a fee waiver for 12 months|a better savings rate|Premium at "
            "the Classic price} and stays for now.",
        ),
        (
            "information",
            "Called about the closure request. Customer moved the salary to {other_bank}; "
            "no chance to keep the account.",
        ),
        (
            "no_answer",
            "Tried to reach customer about the recent large outflows - not reached, voicemail left.",
        ),
    ),
)
SERVICE_MESSAGES = Outreach(
    "service_message",
    "system",
    "outbound",
    (("sms", 0.6), ("email", 0.4)),
    (
        "Your new card is on its way",
        "Appointment reminder",
        "Low balance",
        "Security notice",
        "Statement available",
        "Transfer executed",
    ),
    (
        (
            "information",
            "Your new {bank} card has been dispatched and will arrive in 3-5 working days.",
        ),
        (
            "information",
            "Reminder: your appointment at our {branch} branch is on {weekday} at {10:00|11:30|14:00|16:30}.",
        ),
        (
            "information",
            "Your account balance is below EUR 100. Top up to avoid overdraft interest.",
        ),
        (
            "information",
            "We blocked a suspicious card payment of {amount} at {merchant}. Was it you? Reply YES or NO.",
        ),
        ("information", "Your monthly statement is ready in your online postbox."),
        ("information", "Your instant transfer of {amount} has been executed."),
    ),
)
PRICE_NOTICE = Outreach(
    "price_notice",
    "system",
    "outbound",
    (("letter", 0.6), ("email", 0.4)),
    ("Changes to our price list", "Important: new account fees", "Your account model from {month}"),
    (
        (
            "information",
            "Dear customer, from {month} the monthly fee for your Classic current account changes to "
            "EUR 5.95. If you do not object within two months, the change takes effect. The new price list is enclosed.",
        ),
    ),
)
SURVEY = Outreach(
    "survey",
    "system",
    "outbound",
    (("email", 1.0),),
    ("How did we do?", "Two minutes for your opinion", "Your feedback on your recent contact"),
    (
        (
            "information",
            "Dear customer, how likely are you to recommend {bank} to a friend? Tell us in two minutes - "
            "it helps us improve.",
        ),
    ),
)
CALLBACK = Outreach(
    "callback",
    "agent",
    "outbound",
    (("phone", 1.0),),
    ("Callback", "Call back as promised", "Follow-up call"),
    (
        (
            "resolved",
            "Called back as promised about {topic}. {Matter resolved.|Customer satisfied with the outcome.}",
        ),
        (
            "resolved",
            "Follow-up call re {topic}: {explained the outcome|confirmed the change was made}.",
        ),
        ("follow_up", "Called back about {topic}; still waiting for documents from the customer."),
        ("no_answer", "Callback about {topic} - not reached, will try again tomorrow."),
    ),
)
RM_NOTES = Outreach(
    "rm_note",
    "rm",
    "internal",
    (("note", 1.0),),
    ("Note", "Personal note", "Visit report", "Customer knowledge"),
    (
        (
            "information",
            "Met customer at {branch}. {Daughter starts university in {city} in October.|Son {child} "
            "finished his apprenticeship.|Planning to retire next year.|Partner recovering from surgery.} "
            "{Consider education savings.|Send a get-well card.|Pension review due.}",
        ),
        ("information", "Customer prefers calls {time_pref}; does not like e-mail offers."),
        (
            "information",
            "Customer mentioned {a new job at {employer}|an inheritance expected|plans to buy a flat in "
            "{city}|a divorce - accounts to be split}. Follow up in {month}.",
        ),
        (
            "information",
            "Large incoming transfer of {big_amount} ({bonus|inheritance|sale of a car}). Offer an "
            "investment appointment.",
        ),
        (
            "information",
            "Handover note: customer is loyal but price-sensitive; always mention fee-free options. "
            "Knows {agent} from the contact centre well.",
        ),
    ),
)
