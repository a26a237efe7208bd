"""Parsing of typed cell values. Each parser raises ValueError with a reason a user understands."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

TYPES = ("string", "category", "integer", "float", "decimal", "bool", "date", "datetime")

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_INT = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
MAX_DECIMAL = decimal.Decimal("1e15")


def parse_string(value: str) -> str:
    return value


def parse_integer(value: str) -> int:
    if not _INT.match(value):
        raise ValueError("not a whole number")
    number = int(value)
    if abs(number) > 2**62:
        raise ValueError("number too large")
    return number


def parse_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("not a number (use a dot for decimals, no thousands separators)") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError("not a finite number")
    return number


def parse_decimal(value: str) -> decimal.Decimal:
    if not _DECIMAL.match(value):
        raise ValueError("not a decimal number (use a dot for decimals, no thousands separators)")
    number = decimal.Decimal(value)
    if abs(number) >= MAX_DECIMAL:
        raise ValueError("amount too large")
    return number.quantize(decimal.Decimal("0.01"))


def parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a yes/no value (use true/false, yes/no or 1/0)")


def parse_date(value: str) -> dt.date:
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date in the form YYYY-MM-DD") from None


def datetime_parser(zone: ZoneInfo) -> Callable[[str], dt.datetime]:
    """A parser for ISO 8601 datetimes; naive values are read in the firm's time zone."""

    def parse_datetime(value: str) -> dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not a date-time (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS])") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        if not 1900 <= moment.year <= 2200:
            raise ValueError("date out of range (1900-2200)")
        return moment

    return parse_datetime


def parser_for(type_name: str, zone: ZoneInfo) -> Callable[[str], Any]:
    """The parser for a type name of the manifest."""
    parsers: dict[str, Callable[[str], Any]] = {
        "string": parse_string,
        "category": parse_string,
        "integer": parse_integer,
        "float": parse_float,
        "decimal": parse_decimal,
        "bool": parse_bool,
        "date": parse_date,
        "datetime": datetime_parser(zone),
    }
    if type_name not in parsers:
        raise ValueError(f"unknown type {type_name!r} (use one of: {', '.join(TYPES)})")
    return parsers[type_name]


def infer_type(values: list[str]) -> str:
    """The narrowest type that every non-empty sample value parses as."""
    sample = [v for v in values if v != ""]
    if not sample:
        return "string"
    for type_name, parse in (
        ("integer", parse_integer),
        ("float", parse_float),
        ("date", parse_date),
        ("bool", parse_bool),
    ):
        try:
            for value in sample:
                parse(value)
        except ValueError:
            continue
        if type_name == "integer" and set(sample) <= {"0", "1"}:
            return "bool"
        return type_name
    distinct = len(set(sample))
    return "category" if distinct <= max(20, len(sample) // 20) else "string"


def to_json(value: Any) -> Any:
    """A parsed value as it is kept in a JSON attribute."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value
