"""Domain errors raised by services; views and the API turn them into messages and 4xx answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

__all__ = [
    "ConflictError",
    "DomainError",
    "NotFound",
    "PermissionDenied",
    "ValidationError",
    "error_text",
    "errors_text",
]


class DomainError(Exception):
    """A request that cannot be carried out as asked (answered with 400)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError, Http404):
    """The record does not exist or the user may not see it (answered with 404: no leak)."""


class ConflictError(DomainError):
    """The request conflicts with the current state (answered with 409)."""


def indefinite(phrase: str) -> str:
    """'in progress case' -> 'An in progress case' (for messages that name a state)."""
    return ("An " if phrase[:1].lower() in "aeiou" else "A ") + phrase


def errors_text(errors: Mapping[str, Sequence[Any]], form: Any = None) -> str:
    """Errors per field for a page's message: "End date: …; Control share: …" (a form's labels
    where it has them, else the field name in words; errors of the whole form stand alone)."""
    parts = []
    for name, problems in errors.items():
        text = " ".join(map(str, problems))
        field = form.fields.get(name) if form is not None else None
        label = (field.label if field is not None else None) or name.replace("_", " ").capitalize()
        parts.append(text if name in ("__all__", "") else f"{label}: {text}")
    return "; ".join(parts)


def error_text(exc: Exception) -> str:
    """What a refused request tells the person on the page, in words."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return errors_text(exc.message_dict)
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc) or "Your role may not do this."
