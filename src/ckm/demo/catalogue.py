"""The demo bank's product catalogue: what a German retail bank sells, with margins and fees."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductSpec:
    product_id: str
    name: str
    family: str
    margin: float | None
    fee: float | None
    segment: str
    description: str


PRODUCTS = (
    ProductSpec(
        "CA-CLASSIC",
        "Classic current account",
        "current_account",
        0.015,
        71.40,
        "retail",
        "Current account with girocard and online banking; EUR 5.95 a month.",
    ),
    ProductSpec(
        "CA-PREMIUM",
        "Premium current account",
        "current_account",
        0.015,
        155.40,
        "retail",
        "Current account with a Gold card, travel insurance and free cash withdrawals "
        "worldwide; EUR 12.95 a month.",
    ),
    ProductSpec(
        "CA-BUSINESS",
        "Business current account",
        "current_account",
        0.012,
        180.00,
        "business",
        "Account for self-employed people and small firms, with up to "
        "three cards and accounting export.",
    ),
    ProductSpec(
        "SAV-INSTANT",
        "Instant-access savings",
        "savings",
        0.010,
        0.0,
        "retail",
        "Savings account (Tagesgeld); money available every day, variable rate.",
    ),
    ProductSpec(
        "SAV-FIXED",
        "Fixed-term deposit (12 months)",
        "savings",
        0.006,
        0.0,
        "retail",
        "Deposit for a fixed term at a fixed rate; from EUR 5,000.",
    ),
    ProductSpec(
        "CARD-CREDIT",
        "Visa credit card",
        "card",
        0.11,
        39.00,
        "retail",
        "Visa credit card with monthly statement and optional instalments.",
    ),
    ProductSpec(
        "CARD-GOLD",
        "Gold card",
        "card",
        0.11,
        99.00,
        "retail",
        "Visa Gold with travel insurance and a higher limit; free with Premium.",
    ),
    ProductSpec(
        "LOAN-PERSONAL",
        "Personal loan",
        "loan",
        0.035,
        0.0,
        "retail",
        "Instalment loan from EUR 2,500 to EUR 60,000, 12 to 84 months.",
    ),
    ProductSpec(
        "LOAN-CAR",
        "Car loan",
        "loan",
        0.025,
        0.0,
        "retail",
        "Loan for new and used cars with a balloon-payment option.",
    ),
    ProductSpec(
        "MORTGAGE",
        "Mortgage (fixed rate)",
        "mortgage",
        0.009,
        0.0,
        "retail",
        "Home loan with a rate fixed for 10 or 15 years; 5 % special repayments a year.",
    ),
    ProductSpec(
        "INV-FUND",
        "Fund savings plan",
        "investment",
        0.012,
        0.0,
        "retail",
        "Monthly savings plan in the bank's mixed and equity funds, from EUR 25.",
    ),
    ProductSpec(
        "PENSION",
        "Private pension plan",
        "pension",
        0.008,
        0.0,
        "retail",
        "State-subsidised private pension (Riester) with guaranteed contributions.",
    ),
    ProductSpec(
        "INS-HOME",
        "Home contents insurance",
        "insurance",
        None,
        96.00,
        "retail",
        "Household contents insurance sold on behalf of a partner insurer.",
    ),
    ProductSpec(
        "LOAN-BUSINESS",
        "Business loan",
        "loan",
        0.03,
        0.0,
        "business",
        "Investment and working-capital loan for small businesses.",
    ),
)
PRODUCT_BY_ID = {p.product_id: p for p in PRODUCTS}
