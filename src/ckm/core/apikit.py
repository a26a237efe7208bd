"""Pieces every app's API shares: bounded page-number pagination, what a PATCH sent, and the
answer to a request that started background work."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ClassVar

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import ValidationError as SchemaError
from ninja.pagination import PageNumberPagination
from pydantic import ConfigDict, ValidationInfo, create_model, field_validator
from pydantic_core import PydanticCustomError

from ckm.core.errors import ValidationError
from ckm.core.models import Job

MAX_PAGE = 1_000_000
MAX_INT = 2**63 - 1  # what a database integer holds
MAX_REAL = 1e15  # an amount, rate or score beyond this is a typing mistake, not a value
YEARS = (1900, 2200)  # dates a customer's business can carry
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _out_of_range(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int) and abs(value) > MAX_INT:
        return f"a number up to {MAX_INT}"
    if isinstance(value, (float, decimal.Decimal)) and not (
        math.isfinite(value) and abs(float(value)) <= MAX_REAL
    ):
        return "a finite number up to 10^15"
    if isinstance(value, (dt.date, dt.datetime)) and not YEARS[0] <= value.year <= YEARS[1]:
        return f"a date between the years {YEARS[0]} and {YEARS[1]}"
    if isinstance(value, (list, tuple, set)):
        return next((p for p in (_out_of_range(v) for v in value) if p), "")
    return ""


def _document(schema: dict[str, Any], cls: Any) -> None:
    """The limits the validators hold, in the docs too: a whole number fits a database integer,
    an amount lies within 10^15 either way; in a PATCH, null only where it clears the field (a
    client following the docs was refused with 422 or 400 where the schema admitted the value)."""
    nullable = getattr(cls, "nullable", None)
    for name, prop in (schema.get("properties") or {}).items():
        _bounded(prop)
        if nullable is not None and name not in nullable and isinstance(prop, dict):
            kinds = prop.get("anyOf")
            if kinds and {"type": "null"} in kinds:
                rest = [k for k in kinds if k != {"type": "null"}]
                del prop["anyOf"]
                if len(rest) == 1:
                    prop.update(rest[0])
                else:
                    prop["anyOf"] = rest
                if prop.get("default", ...) is None:
                    del prop["default"]


def _bounded(node: Any) -> None:
    if not isinstance(node, dict):
        return
    limit = {"integer": MAX_INT, "number": MAX_REAL}.get(node.get("type", ""))
    if limit is not None:
        node.setdefault("maximum", limit)
        node.setdefault("minimum", -limit)
    for sub in node.get("anyOf", []) + node.get("allOf", []) + [node.get("items")]:
        _bounded(sub)


class In(Schema):
    """Base of every request schema. A field the schema does not know is refused (a misspelt
    `emial` would otherwise be dropped without a word); a number must fit a database integer and
    a date must lie between 1900 and 2200, on every database alike (SQLite overflows where
    PostgreSQL would store a year-1 timestamp); a date or time is text, not a number (nor a
    text of digits); true or false is not a number; a time without a UTC offset is local time;
    text may not hold NUL characters."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_values(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic's lax mode would read true/false as 1/0 and a number as a date (0 = 1970)
        if info.field_name is None:
            return value
        kinds = _kinds(cls.model_fields[info.field_name].annotation)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, bool) and not {bool, Any} & kinds:
                raise PydanticCustomError("not_a_bool", "Give a value, not true or false.")
            number = isinstance(item, (int, float)) and not isinstance(item, bool)
            if number and bool in kinds and not kinds & {int, float, Any}:
                # lax mode reads 0 and 1 as false and true: a number is no answer to a yes/no
                raise PydanticCustomError("bool_as_number", "Give true or false, not a number.")
            # lax mode reads a number, or a text of digits as a query parameter always is, as
            # seconds since 1970 (`since=0` is 1970-01-01)
            digits = isinstance(item, str) and _NUMBER.fullmatch(item.strip()) is not None
            if (
                (number or digits)
                and kinds & {dt.date, dt.datetime}
                and not kinds & {int, float, str, Any}
            ):
                raise PydanticCustomError(
                    "date_as_text", "Give a date as text: YYYY-MM-DD, or YYYY-MM-DDTHH:MM+01:00."
                )
            if isinstance(item, str) and "\x00" in item:
                raise PydanticCustomError("nul", "Text may not contain NUL characters.")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _in_range(cls, value: Any) -> Any:
        problem = _out_of_range(value)
        if problem:
            raise PydanticCustomError(
                "out_of_range", "Out of range: give {expected}.", {"expected": problem}
            )
        if isinstance(value, dt.datetime) and timezone.is_naive(value):
            return timezone.make_aware(value)  # local time, as on the pages
        return value


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation admits: `int | None` -> {int, NoneType}, `list[int]` ->
    {list, int}."""
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kinds(args[0])
    found = set() if origin in (typing.Union, types.UnionType) else {origin}
    return found.union(*(_kinds(arg) for arg in args))


class Pages(PageNumberPagination):
    """Page-number pagination with the page bounded: a page beyond any list answers 422 instead
    of an offset the database cannot take; so does a page size above the largest one, which
    would otherwise be cut without a word (a client paging by the size it asked for and stopping
    at the first short page would miss everything after the first page)."""

    class Input(In):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # each list documents its own largest page size (the schema told 1,000,000 where 100
        # is the most a list gives, and a client reading the schema was refused)
        largest = max(self.max_page_size, self.page_size)
        size = Field(ge=1, json_schema_extra={"maximum": largest})  # checked by _get_page_size
        self.Input = create_model(  # type: ignore[misc]
            "Input", __base__=Pages.Input, page_size=(Annotated[int, size] | None, None)
        )

    def _get_page_size(self, requested_page_size: int | None) -> int:
        largest = max(self.max_page_size, self.page_size)  # a list whose own size is larger
        if requested_page_size is None:
            return int(self.page_size)
        if requested_page_size > largest:
            raise SchemaError(
                [
                    {
                        "loc": ("query", "page_size"),
                        "msg": f"At most {largest} items per page.",
                        "type": "less_than_equal",
                    }
                ]
            )
        return requested_page_size


class Patch(In):
    """Base of a PATCH body: a field left out is kept. A null is a value only for the fields
    named in `nullable` (a date of birth, a team); the docs admit it there alone."""

    nullable: ClassVar[frozenset[str]] = frozenset()


def sent_fields(payload: Patch) -> dict[str, Any]:
    """The fields a PATCH sent. A null is a value only for fields that may be empty (a date of
    birth, a team); anywhere else it is refused with a field error that says how to clear the
    field, never passed on to a column that cannot hold it."""
    sent = payload.dict(exclude_unset=True)
    allowed = payload.nullable
    refused = {
        name: ['May not be null: leave the field out to keep it, or send "" to clear a text.']
        for name, value in sent.items()
        if value is None and name not in allowed
    }
    if refused:
        raise ValidationError(refused)
    return sent


class JobOut(Schema):
    """Background work that was started: follow it at progress_url."""

    job_id: int
    status: str
    progress_url: str


def job_answer(job: Job, **extra: Any) -> dict[str, Any]:
    return {
        "job_id": job.pk,
        "status": job.status,
        "progress_url": reverse("core:job_progress", args=[job.pk]),
        **extra,
    }


@contextmanager
def fields_named(**api_names: str) -> Iterator[None]:
    """Report a service's field errors under the names the API's schema uses
    (`fields_named(segment="segment_id")`): a client must recognise the field it sent."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {api_names.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from exc
