"""Request context for the audit log: the client address and a request id for every entry."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ckm.core.errors import ConflictError, DomainError, NotFound


@dataclass(frozen=True)
class AuditContext:
    ip_address: str | None
    request_id: str
    # a background job's requester: writes without an actor are audited in their name
    on_behalf_of: Any = None


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
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not request.path.startswith("/api/")
            and not getattr(response, "streaming", False)
            and b"DEBUG = True" in response.content
        ):
            # a mistyped address in the local demo: the product's page, as in production,
            # instead of Django's list of every URL pattern
            return render(request, "404.html", status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (NotFound, Http404)):
            # the product's own page, also where DEBUG would list every URL pattern: a record
            # out of the user's scope reads exactly like one that does not exist
            return render(request, "404.html", status=404)
        if not isinstance(exception, DomainError):
            return None
        status = 409 if isinstance(exception, ConflictError) else 400
        return render(request, "400.html", {"message": exception.message}, status=status)


_API_STATUS_WORDS = {404: "Not found.", 405: "Method not allowed."}


class ApiJsonErrorsMiddleware:
    """Under /api/ a 404 or 405 that Django answered itself (no such route, an id that is not a
    number, a method the route does not take) is JSON like every other API answer, not HTML."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        words = _API_STATUS_WORDS.get(response.status_code)
        if (
            words
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            answer = JsonResponse({"detail": words, "errors": {}}, status=response.status_code)
            if response.has_header("Allow"):
                answer["Allow"] = response["Allow"]
            return answer
        return response
