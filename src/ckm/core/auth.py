"""Authentication backends: role permissions for the pages and API, tokens for the API."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from ckm.core.models import ApiToken, Role, User
from ckm.core.roles import role_permissions


class RoleBackend(ModelBackend):
    """ModelBackend plus the permissions of the user's role; admins hold every permission."""

    def get_all_permissions(self, user_obj: Any, obj: Model | None = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        perms = set(super().get_all_permissions(user_obj, obj))
        if getattr(user_obj, "role", None) == Role.ADMIN or user_obj.is_superuser:
            # the administrator may do everything (has_perm says so): the list says it too
            if not hasattr(user_obj, "_every_perm_cache"):
                user_obj._every_perm_cache = _every_permission()
            perms |= user_obj._every_perm_cache
        return perms | set(role_permissions(user_obj.role))

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if getattr(user_obj, "role", None) == Role.ADMIN:
            return True
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        """Whether the admin site lists the app: the administrator sees every app, others the
        apps their role grants a permission of."""
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if getattr(user_obj, "role", None) == Role.ADMIN:
            return True
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))


def _every_permission() -> set[str]:
    """Every permission there is: those of the installed models and those any role grants."""
    from django.contrib.auth.models import Permission

    perms = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    for role in Role.values:
        perms |= role_permissions(role)
    return perms


TOKEN_PREFIX = "ckm_"


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_user(key: str, request: HttpRequest | None = None) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(key), revoked=False)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at < now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
