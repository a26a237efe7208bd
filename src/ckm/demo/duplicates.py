"""Customers the demo bank recorded twice: a branch or the contact centre did not find the
customer and opened a new record, with a typo, a nickname, a new address or another way of
writing the phone number. They give identity resolution something real to find and merge."""

from __future__ import annotations

import dataclasses
import random

from ckm.demo.population import DemoCustomer

SHARE = 0.01
_NICKNAMES = {
    "Katharina": "Katarina",
    "Christina": "Kristina",
    "Stephanie": "Stefanie",
    "Matthias": "Mathias",
    "Philipp": "Phillip",
    "Jürgen": "Juergen",
    "Günther": "Günter",
    "Michael": "Micheal",
    "Alexander": "Alexandr",
}


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard: two letters swapped, an umlaut written out, a letter doubled."""
    for umlaut, written in (("ü", "ue"), ("ö", "oe"), ("ä", "ae"), ("ß", "ss")):
        if umlaut in word and rng.random() < 0.7:
            return word.replace(umlaut, written, 1)
    if len(word) < 4:
        return word + word[-1]
    i = rng.randint(1, len(word) - 3)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[: i + 1] + word[i] + word[i + 1 :]


def _phone_written_otherwise(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("49"):
        return "0" + digits[2:]
    return "+49 " + digits.lstrip("0")


def duplicates_make(
    customers: list[DemoCustomer], rng: random.Random, *, share: float = SHARE
) -> list[tuple[DemoCustomer, DemoCustomer]]:
    """Second records for about `share` of the persons, numbered after the last customer, each
    with the record it copies: (original, twin)."""
    persons = [c for c in customers if c.is_person and c.dob and c.first_name]
    chosen = rng.sample(persons, k=int(len(persons) * share))  # none in a tiny bank
    number = len(customers)
    twins = []
    for original in sorted(chosen, key=lambda c: c.customer_id):
        number += 1
        twin = dataclasses.replace(
            original,
            customer_id=f"C{number:06d}",
            household_id="",
            owner="",  # the branch's team pool, not the relationship manager
            children=[],
            partner_id="",
        )
        ways = rng.sample(("typo", "nickname", "moved", "phone"), k=2 if rng.random() < 0.25 else 1)
        for how in ways:
            _vary(twin, original, how, rng)
        if rng.random() < 0.25:
            twin.dob = None  # the call centre did not ask
        twins.append((original, twin))
    return twins


def _vary(twin: DemoCustomer, original: DemoCustomer, how: str, rng: random.Random) -> None:
    """One way a second record differs from the first."""
    if how == "typo":
        twin.last_name = _typo(original.last_name, rng)
        twin.email = ""
    elif how == "nickname":
        twin.first_name = _NICKNAMES.get(original.first_name) or _typo(original.first_name, rng)
        twin.phone = ""
    elif how == "moved":
        twin.address = f"{rng.choice(original.city.streets)} {rng.randint(1, 160)}"
        twin.postcode = rng.choice(original.city.postcodes)
        twin.phone = ""
    else:
        twin.phone = _phone_written_otherwise(original.phone) if original.phone else ""
        twin.email = ""
        twin.address = ""
        twin.postcode = ""
