"""Normalised keys for customer search and matching: unaccented, lower-case names, e-mail and
phone keys. One definition, used by the import, the services and the search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_NAME = re.compile(r"[^\w ]")
_DIGITS = re.compile(r"\D")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# German writes ä, ö, ü as ae, oe, ue where umlauts are missing (Joerg for Jörg)
_UMLAUT_DIGRAPH = re.compile(r"([aou])e")


def fold(text: str) -> str:
    """Lower-case, unaccented text with single spaces: 'Jürgen  Müller' -> 'jurgen muller'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("æ", "ae")
    return _SPACES.sub(" ", _NOT_NAME.sub(" ", stripped.lower())).strip()


def name_fold(text: str) -> str:
    """fold() with ae, oe, ue read as ä, ö, ü: 'Jörg', 'Joerg' and 'Jorg' all give 'jorg'
    (ß is already 'ss'). Names are keyed and searched in this form, so each spelling finds the
    others; a typed prefix stays a prefix of the folded name."""
    return _UMLAUT_DIGRAPH.sub(r"\1", fold(text))


def display_name(*, kind: str, first_name: str, last_name: str, name: str) -> str:
    if kind == "organisation":
        return name.strip() or last_name.strip()
    full = f"{first_name.strip()} {last_name.strip()}".strip()
    return full or name.strip()


def name_keys(*, kind: str, first_name: str, last_name: str, name: str) -> tuple[str, str]:
    """(name_key, sort_key): 'anna schmidt' and 'schmidt anna' for persons, the name for others
    (in name_fold form)."""
    if kind == "organisation" or not (first_name or last_name):
        key = name_fold(name or last_name)[:255]
        return key, key
    first, last = name_fold(first_name), name_fold(last_name)
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


# ITU-T E.164 country codes of one and of two digits; all others have three
_COUNTRY_ONE = frozenset("17")
_COUNTRY_TWO = frozenset(
    str(code)
    for code in (
        *(20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49),
        *(51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86),
        *(90, 91, 92, 93, 94, 95, 98),
    )
)


def phone_national(value: str) -> str:
    """The digits after the country code of a number written internationally ("+49 89 7530098",
    "0049 89 …"), else "": such a number also matches one stored without its country code."""
    text = value.strip()
    digits = _DIGITS.sub("", text)
    if not text.startswith("+"):
        if not digits.startswith("00"):
            return ""
        digits = digits[2:]
    code = 1 if digits[:1] in _COUNTRY_ONE else 2 if digits[:2] in _COUNTRY_TWO else 3
    return digits[code:].lstrip("0")


def phone_prefixes(value: str) -> list[str]:
    """Key prefixes for a number as typed: its last digits, and for an international number
    also its national part (a number stored as "089 7530098" is found by "+49 89 7530098")."""
    prefixes = [phone_prefix(value)]
    national = phone_national(value)
    if len(national) >= 6 and national[::-1] != prefixes[0]:
        prefixes.append(national[::-1])
    return prefixes


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value.strip()))


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """Bounds for an index range scan matching keys that start with prefix."""
    return prefix, prefix + "\U0010ffff"
