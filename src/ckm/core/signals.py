"""Sign-ins and sign-outs go to the audit log however they happen (the CKM login page, the
admin site's, a password reset that logs in): Django's authentication signals, not one view."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ckm.core.audit import audit_record
from ckm.core.models import AuditEntry


@receiver(user_logged_in, dispatch_uid="ckm-audit-login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=AuditEntry.Action.LOGIN, obj=user)


@receiver(user_logged_out, dispatch_uid="ckm-audit-logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        audit_record(actor=user, action=AuditEntry.Action.LOGOUT, obj=user)


@receiver(user_login_failed, dispatch_uid="ckm-audit-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    audit_record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        object_type="core.user",
        object_repr=str(credentials.get("username", ""))[:150],
    )
