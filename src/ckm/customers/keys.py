"""Normalised keys for customer search and matching: unaccented, lower-case names, e-mail and
phone keys. One definition, used by the import, the services and the search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_NAME = re.compile(r"[^\w ]")
_DIGITS = re.compile(r"\D")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def fold(text: str) -> str:
    """Lower-case, unaccented text with single spaces: 'Jürgen  Müller' -> 'jurgen muller'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("æ", "ae")
    return _SPACES.sub(" ", _NOT_NAME.sub(" ", stripped.lower())).strip()


def display_name(*, kind: str, first_name: str, last_name: str, name: str) -> str:
    if kind == "organisation":
        return name.strip() or last_name.strip()
    full = f"{first_name.strip()} {last_name.strip()}".strip()
    return full or name.strip()


def name_keys(*, kind: str, first_name: str, last_name: str, name: str) -> tuple[str, str]:
    """(name_key, sort_key): 'anna schmidt' and 'schmidt anna' for persons, the name for others."""
    if kind == "organisation" or not (first_name or last_name):
        key = fold(name or last_name)[:255]
        return key, key
    first, last = fold(first_name), fold(last_name)
    return f"{first} {last}".strip()[:255], f"{last} {first}".strip()[:255]


def contact_key(kind: str, value: str) -> str:
    """The lookup key of a contact point: lower-case e-mail; a phone number's digits reversed.

    Reversed digits turn "ends with" into "starts with", so "0171 1234567" finds "+49 171 1234567"
    by an index range scan: callers match phone numbers with phone_prefix(), never by equality."""
    if kind == "email":
        return value.strip().lower()
    if kind in ("phone", "mobile"):
        return phone_digits(value)[::-1]
    return fold(value)


def phone_digits(value: str) -> str:
    """The digits of a phone number without the leading zeros of a trunk or international prefix."""
    return _DIGITS.sub("", value).lstrip("0")


def phone_prefix(value: str) -> str:
    """The key prefix that matches every stored number ending in these digits."""
    return phone_digits(value)[::-1]


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value.strip()))


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """Bounds for an index range scan matching keys that start with prefix."""
    return prefix, prefix + "\U0010ffff"
