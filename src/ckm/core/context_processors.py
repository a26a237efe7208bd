"""Template context for every page: the navigation of the logged-in user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ckm.core.navigation import navigation_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    return {"nav_sections": navigation_for(user, request.path)}
