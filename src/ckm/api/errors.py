"""One mapping from domain errors to HTTP answers: 4xx with field errors, never a 500."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
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


def _summary(errors: dict[str, list[str]]) -> str:
    return "Invalid input: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers on the API."""

    def answer(
        request: HttpRequest, status: int, detail: str, errors: dict[str, Any] | None = None
    ) -> HttpResponse:
        body: dict[str, Any] = {"detail": detail}
        if errors:
            body["errors"] = errors
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
        return answer(request, 409, "The change conflicts with existing data (a duplicate id?).")
