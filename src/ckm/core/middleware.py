"""Request context for the audit log: the client address and a request id for every entry."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ckm.core.errors import ConflictError, DomainError, NotFound


@dataclass(frozen=True)
class AuditContext:
    ip_address: str | None
    request_id: str


audit_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "audit_context", default=None
)


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit_context.set(
            AuditContext(ip_address=request.META.get("REMOTE_ADDR"), request_id=uuid.uuid4().hex)
        )
        try:
            return self.get_response(request)
        finally:
            audit_context.reset(token)


class DomainErrorMiddleware:
    """A domain error that reaches a page becomes a readable 400/404/409 page, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            # the product's own page, also where DEBUG would list every URL pattern: a record
            # out of the user's scope reads exactly like one that does not exist
            return render(request, "404.html", status=404)
        if not isinstance(exception, DomainError):
            return None
        status = 409 if isinstance(exception, ConflictError) else 400
        return render(request, "400.html", {"message": exception.message}, status=status)
