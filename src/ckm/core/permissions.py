"""Permission checks used by services (the Wagtail habit: check, then execute and audit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied


def require_perm(user: Any, *perms: str) -> None:
    """Raise PermissionDenied unless the user holds every one of the permissions."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("You need to log in.")
    missing = [p for p in perms if not user.has_perm(p)]
    if missing:
        raise PermissionDenied(f"Your role may not do this (needs {', '.join(missing)}).")


# record-level access to customers lives in the customers app, which core may not import: the
# app registers how to find the customers a user may see, for core's own pages (the audit log)
_customer_scope: Callable[[Any], Any] | None = None


def register_customer_scope(visible_ids: Callable[[Any], Any]) -> None:
    """`visible_ids(user)`: None when the user sees every customer, else a queryset of the
    primary keys of those they may see, or a list of such querysets (an id in any of them is
    visible: the customers' own ids and the former ids of records merged into them)."""
    global _customer_scope
    _customer_scope = visible_ids


def visible_customer_ids(user: Any) -> Any:
    """The customers this user may see as a list of querysets of primary keys, or None for all."""
    if _customer_scope is None:
        return None
    visible = _customer_scope(user)
    return visible if visible is None or isinstance(visible, list) else [visible]
