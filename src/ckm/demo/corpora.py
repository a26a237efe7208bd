"""Real customer messages read at run time (`ckm demo --texts DIR`), never copied into the repo.

- BANKING77 queries (Casanueva et al. 2020, PolyAI; CC BY 4.0): DIR/banking77/train.csv, columns
  text, category. Short questions, used for chat, web-form and e-mail messages.
- CFPB complaint narratives (US public domain): DIR/cfpb_complaints/*.csv.gz, column
  "Consumer complaint narrative". Long complaints, used for e-mails, letters and complaint cases.

Their categories are mapped to the demo's intents where the meaning is the same; the rest is left out.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BANKING77_CREDIT = (
    "Customer queries from BANKING77 (Casanueva et al., 2020, PolyAI), licensed CC BY 4.0: "
    "https://github.com/PolyAI-LDN/task-specific-datasets"
)
CFPB_CREDIT = (
    "Complaint narratives from the CFPB Consumer Complaint Database (U.S. public domain): "
    "https://www.consumerfinance.gov/data-research/consumer-complaints/"
)

BANKING77_INTENTS = {
    "card_arrival": "card_not_arrived",
    "card_delivery_estimate": "card_not_arrived",
    "activate_my_card": "card_not_arrived",
    "card_about_to_expire": "card_not_arrived",
    "order_physical_card": "card_not_arrived",
    "lost_or_stolen_card": "card_lost",
    "pin_blocked": "card_blocked",
    "change_pin": "card_blocked",
    "declined_card_payment": "card_declined",
    "card_not_working": "card_declined",
    "contactless_not_working": "card_declined",
    "card_acceptance": "card_declined",
    "card_payment_not_recognised": "unrecognised_payment",
    "cash_withdrawal_not_recognised": "unrecognised_payment",
    "direct_debit_payment_not_recognised": "unrecognised_payment",
    "compromised_card": "fraud_suspicion",
    "transaction_charged_twice": "payment_dispute",
    "request_refund": "payment_dispute",
    "Refund_not_showing_up": "payment_dispute",
    "reverted_card_payment?": "payment_dispute",
    "extra_charge_on_statement": "fees_questioned",
    "card_payment_fee_charged": "fees_questioned",
    "transfer_fee_charged": "fees_questioned",
    "cash_withdrawal_charge": "fees_questioned",
    "exchange_charge": "fees_questioned",
    "pending_transfer": "transfer_delayed",
    "transfer_not_received_by_recipient": "transfer_delayed",
    "transfer_timing": "transfer_delayed",
    "balance_not_updated_after_bank_transfer": "transfer_delayed",
    "failed_transfer": "transfer_delayed",
    "declined_transfer": "transfer_delayed",
    "cancel_transfer": "transfer_delayed",
    "edit_personal_details": "address_change",
    "passcode_forgotten": "app_login",
    "lost_or_stolen_phone": "tan_device",
    "terminate_account": "account_closure",
    "card_swallowed": "atm_problem",
    "wrong_amount_of_cash_received": "atm_problem",
    "declined_cash_withdrawal": "atm_problem",
    "balance_not_updated_after_cheque_or_cash_deposit": "atm_problem",
    "verify_my_identity": "account_opening",
    "unable_to_verify_identity": "account_opening",
    "why_verify_identity": "account_opening",
}

# (product prefix, issue) -> intent; an issue of None matches every issue of the product
CFPB_INTENTS: tuple[tuple[str, str | None, str], ...] = (
    ("Checking or savings account", "Closing an account", "account_closure"),
    ("Checking or savings account", "Problem caused by your funds being low", "overdraft"),
    (
        "Checking or savings account",
        "Problem with a lender or other company charging your account",
        "unrecognised_payment",
    ),
    ("Checking or savings account", "Opening an account", "account_opening"),
    ("Checking or savings account", "Managing an account", "complaint_staff"),
    ("Credit card", "Problem with a purchase shown on your statement", "payment_dispute"),
    ("Credit card", "Fees or interest", "fees_questioned"),
    ("Credit card", "Unexpected or other fees", "fees_questioned"),
    ("Credit card", "Closing your account", "account_closure"),
    ("Credit card", "Trouble using your card", "card_declined"),
    ("Mortgage", "Struggling to pay mortgage", "payment_difficulties"),
    ("Mortgage", "Applying for a mortgage or refinancing an existing mortgage", "mortgage_rate"),
    ("Vehicle loan", "Struggling to pay your loan", "payment_difficulties"),
    ("Vehicle loan", "Getting a loan or lease", "loan_application"),
    (
        "Payday loan, title loan, or personal loan",
        "Struggling to pay your loan",
        "payment_difficulties",
    ),
    (
        "Payday loan, title loan, or personal loan",
        "Charged fees or interest you didn't expect",
        "fees_questioned",
    ),
    ("Payday loan, title loan, or personal loan", "Getting the loan", "loan_application"),
    (
        "Payday loan, title loan, or personal loan",
        "Problem with the payoff process at the end of the loan",
        "loan_early_repayment",
    ),
    (
        "Payday loan, title loan, or personal loan",
        "Received a loan you didn't apply for",
        "fraud_suspicion",
    ),
    (
        "Payday loan, title loan, or personal loan",
        "Can't stop withdrawals from your bank account",
        "direct_debit_returned",
    ),
    ("Money transfer", "Fraud or scam", "fraud_suspicion"),
    ("Money transfer", "Other transaction problem", "transfer_delayed"),
)
NARRATIVE_COLUMN = "Consumer complaint narrative"
MAX_NARRATIVE = 2500
_DATE_MASK = re.compile(r"\bXX/XX/(XXXX|\d{2,4})\b")
_MASK = re.compile(r"\bX{2,}(?:[ /-]X{2,})*\b")
_AMOUNT = re.compile(r"\{\$([\d,.]+)\}")
_SPACES = re.compile(r"\s+")


@dataclass
class ExternalTexts:
    """Real messages per demo intent, and how to credit where they came from."""

    queries: dict[str, list[str]] = field(default_factory=dict)
    narratives: dict[str, list[str]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.queries or self.narratives)


def external_texts_read(folder: Path) -> ExternalTexts:
    """Read BANKING77 and CFPB texts under folder (whichever are there) and map them to intents."""
    texts = ExternalTexts()
    banking77 = folder / "banking77" / "train.csv"
    if banking77.is_file():
        with banking77.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                intent = BANKING77_INTENTS.get(row.get("category", ""))
                text = _SPACES.sub(" ", row.get("text", "")).strip()
                if intent and text:
                    texts.queries.setdefault(intent, []).append(text)
        texts.sources.append(
            {
                "name": "BANKING77 (train split)",
                "licence": "CC BY 4.0",
                "citation": "Casanueva, Temčinas, Gerz, Henderson, Vulić (2020). Efficient Intent Detection "
                "with Dual Sentence Encoders. NLP4ConvAI @ ACL 2020.",
                "url": "https://github.com/PolyAI-LDN/task-specific-datasets",
                "used_for": "chat, web-form and e-mail messages of mapped intents",
            }
        )
        texts.credits.append(BANKING77_CREDIT)
    cfpb_files = sorted((folder / "cfpb_complaints").glob("*.csv.gz"))
    for path in cfpb_files:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                narrative = (row.get(NARRATIVE_COLUMN) or "").strip()
                intent = _cfpb_intent(row.get("Product") or "", row.get("Issue") or "")
                if narrative and intent:
                    texts.narratives.setdefault(intent, []).append(_clean_narrative(narrative))
    if cfpb_files:
        texts.sources.append(
            {
                "name": "CFPB Consumer Complaint Database ("
                + ", ".join(p.name for p in cfpb_files)
                + ")",
                "licence": "public domain (U.S. government work)",
                "url": "https://www.consumerfinance.gov/data-research/consumer-complaints/",
                "used_for": "complaint e-mails, letters and case texts of mapped intents",
            }
        )
        texts.credits.append(CFPB_CREDIT)
    for pool in (texts.queries, texts.narratives):
        for intent in pool:
            pool[intent] = sorted(set(pool[intent]))
    return texts


def _cfpb_intent(product: str, issue: str) -> str | None:
    for prefix, wanted_issue, intent in CFPB_INTENTS:
        if product.startswith(prefix) and (wanted_issue is None or issue == wanted_issue):
            return intent
    return None


def _clean_narrative(text: str) -> str:
    """Readable narrative: masked dates and names made neutral, amounts unwrapped, length capped."""
    text = _DATE_MASK.sub("[date]", text)
    text = _MASK.sub("[redacted]", text)
    text = _AMOUNT.sub(r"$\1", text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > MAX_NARRATIVE:
        cut = text.rfind(". ", 0, MAX_NARRATIVE)
        text = text[: cut + 1 if cut > MAX_NARRATIVE // 2 else MAX_NARRATIVE].rstrip() + " [...]"
    return text
