"""Permission checks used by services (the Wagtail habit: check, then execute and audit)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


def require_perm(user: Any, *perms: str) -> None:
    """Raise PermissionDenied unless the user holds every one of the permissions."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("You need to log in.")
    missing = [p for p in perms if not user.has_perm(p)]
    if missing:
        raise PermissionDenied(f"Your role may not do this (needs {', '.join(missing)}).")
