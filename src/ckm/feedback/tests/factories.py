"""Factories of the feedback tests: cases (of the service app) with texts on a few themes."""

from __future__ import annotations

import datetime as dt
import random

import factory
from django.utils import timezone

from ckm.service.models import Case

THEMES: dict[str, list[str]] = {
    "card": [
        "I lost my debit card {when}, please block it and send a new one",
        "My credit card was stolen {when} at the station, block the card please",
        "Card missing since {when}. Can you cancel the card and issue a replacement?",
        "Someone stole my wallet {when} with my bank card inside, please block it",
    ],
    "app": [
        "I cannot log in to the mobile banking app since the update {when}",
        "The banking app crashes at login after the latest update {when}",
        "Login to the app fails with an error since {when}, the new app version is broken",
        "After updating the app {when} I can no longer sign in to online banking",
    ],
    "fees": [
        "Why was I charged an account fee of 4.99 {when}? Nobody told me about the fee",
        "I object to the new monthly account fee charged {when}, please refund it",
        "Unexpected fee on my statement {when}, I want the charge refunded",
        "The bank raised the account maintenance fee {when} without telling me",
    ],
    "mortgage": [
        "My mortgage fixed rate ends next year, what follow-up financing rate can you offer?",
        "I want to discuss the interest rate for renewing my mortgage {when}",
        "Please send me an offer for the mortgage rate after the fixed period ends",
        "What would the new mortgage interest rate be if I extend the loan {when}?",
    ],
}
WHENS = ["yesterday", "last week", "on Monday", "this morning", "on Friday", "two days ago"]


def theme_text(theme: str, rng: random.Random) -> str:
    return rng.choice(THEMES[theme]).format(when=rng.choice(WHENS))


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    kind = "complaint"
    channel = "email"
    subject = ""
    body = factory.Sequence(lambda n: f"Case text {n}")
    status = "received"
    opened_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
