"""One mapping from domain errors to HTTP answers: 4xx with field errors, never a 500."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaError

from ckm.core.errors import ConflictError, DomainError, NotFound


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def _schema_field(loc: Any) -> str:
    """The field a request-schema error is about: ("body", "payload", "kind") -> "kind",
    ("query", "owner_id") -> "owner_id", nested fields joined with dots."""
    parts = [str(p) for p in (loc or ())]
    if parts and parts[0] in ("body", "query", "path", "form", "header", "cookie", "file"):
        where, parts = parts[0], parts[1:]
        if where in ("body", "form") and len(parts) > 1:
            parts = parts[1:]  # the operation's parameter name, not a field the client sent
    return ".".join(parts) or "__all__"


def schema_field_errors(problems: list[dict[str, Any]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        message = str(problem.get("msg", "Invalid value."))
        errors.setdefault(_schema_field(problem.get("loc")), []).append(message)
    return errors


# SQLite: "NOT NULL constraint failed: app_table.column"; PostgreSQL: 'null value in column "x"'
_NOT_NULL = re.compile(r"NOT NULL constraint failed: \w+\.(\w+)|null value in column \"(\w+)\"")


def _summary(errors: dict[str, list[str]]) -> str:
    return "Invalid input: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers on the API."""

    def answer(
        request: HttpRequest, status: int, detail: str, errors: dict[str, Any] | None = None
    ) -> HttpResponse:
        # one shape for every refusal: `errors` is there, empty when no field is to blame
        body: dict[str, Any] = {"detail": detail, "errors": errors or {}}
        return api.create_response(request, body, status=status)

    @api.exception_handler(SchemaError)
    def schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
        # the request does not match the operation's schema (a wrong type, a missing or unknown
        # field): 422, in the same shape as a refused value below
        errors = schema_field_errors(exc.errors)
        return answer(request, 422, _summary(errors), errors)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = _field_errors(exc)
        return answer(request, 400, _summary(errors), errors)

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return answer(request, 404, exc.message)

    @api.exception_handler(Http404)
    def http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return answer(request, 404, "Not found.")

    @api.exception_handler(ConflictError)
    def conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        return answer(request, 409, exc.message)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return answer(request, 400, exc.message, {exc.field: [exc.message]} if exc.field else None)

    @api.exception_handler(PermissionDenied)
    def denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return answer(request, 403, str(exc) or "Your role may not do this.")

    @api.exception_handler(IntegrityError)
    def integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        text = str(exc).lower()
        if "unique" in text or "duplicate" in text:
            return answer(
                request, 409, "The change conflicts with existing data (a duplicate id?)."
            )
        # NOT NULL, a missing related record, a check constraint: the request's values are wrong
        column = _NOT_NULL.search(str(exc))
        if column:
            field = column.group(1) or column.group(2)
            errors = {field: ["This field may not be empty (null)."]}
            return answer(request, 400, _summary(errors), errors)
        return answer(request, 400, "Invalid input: a value does not fit the record.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        cause = exc.__cause__
        if exc.status_code == 400 and cause is not None:
            sent = request.content_type or "no Content-Type"
            if sent != "application/json" and not sent.endswith("+json"):
                # a form or text where the operation reads JSON: the media type is to blame
                return answer(request, 415, f"Send the body as application/json, not {sent}.")
            # the body could not be parsed: say why (not JSON, not an object), in every mode
            detail = f"The request body could not be read: {str(cause)[:200]}"
        return answer(request, exc.status_code, detail)

    @api.exception_handler(OverflowError)
    def overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # an id or count beyond 2^63, a date outside the years 1-9999 once in UTC
        return answer(request, 422, "Invalid input: a number or a date is out of range.")

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # the database's own words name tables and columns: a client gets the gist only
        return answer(request, 422, "Invalid input: a value does not fit its field.")

    @api.exception_handler(MultiPartParserError)
    def multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return answer(request, 400, f"The multipart body could not be read: {exc}")
