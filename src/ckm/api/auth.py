"""API authentication: a personal bearer token, or the browser session (with CSRF)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer, django_auth

from ckm.core.auth import token_user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [BearerToken(), django_auth]


def docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API's docs and schema: for a signed-in user, or a client with a valid token (which
    may generate its code from /api/openapi.json); anyone else is sent to sign in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and (user := token_user(key.strip())) is not None:
            request.user = user
            return view(request, *args, **kwargs)
        return login_required(view)(request, *args, **kwargs)

    return wrapper
