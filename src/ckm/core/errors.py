"""Domain errors raised by services; views and the API turn them into messages and 4xx answers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

__all__ = ["ConflictError", "DomainError", "NotFound", "PermissionDenied", "ValidationError"]


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
