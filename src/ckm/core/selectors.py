"""Reads of the core app: the audit log, import runs, jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from ckm.core.audit import audit_readable
from ckm.core.errors import NotFound
from ckm.core.models import AuditEntry, ImportIssue, ImportRun, Job, User
from ckm.core.permissions import require_perm, visible_customer_ids


def audit_list(
    *,
    user: Any,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    customer_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries matching the filters (needs core.view_auditentry). An entry about a
    customer shows only to those who may see the customer: a manager reads their teams'
    customers' — and whatever their own staff did (a contact centre's agents serve every
    customer; their manager answers for what they did), and their own."""
    require_perm(user, "core.view_auditentry")
    entries = AuditEntry.objects.select_related("actor")
    visible = visible_customer_ids(user)
    if visible is not None:
        condition = Q(customer_ref__isnull=True) | Q(actor=user) | Q(actor__team__manager=user)
        for ids in visible:
            condition |= Q(customer_ref__in=ids)
        entries = entries.filter(condition)
    if actor:
        # by the label ("system", a deleted user's name) or the user: what a background job
        # wrote in someone's name ("admin (background job)") is theirs too
        entries = entries.filter(Q(actor_label__iexact=actor) | Q(actor__username__iexact=actor))
    if action:
        entries = entries.filter(action=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if customer_id is not None:
        entries = entries.filter(customer_ref=customer_id)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries.order_by("-at", "-id")


def audit_for_customer(
    *, user: Any, customer_id: int, limit: int = 50, former_ids: Sequence[int] = ()
) -> list[AuditEntry]:
    """The newest audit entries about one customer (and the records merged into it, by their
    former ids), readable (the caller checks access to the record)."""
    return audit_readable(
        AuditEntry.objects.filter(customer_ref__in=[customer_id, *former_ids])
        .select_related("actor")
        .order_by("-at", "-id")[:limit],
        user=user,
    )


def import_run_list(*, user: Any) -> QuerySet[ImportRun]:
    """Import runs, newest first (needs core.view_importrun)."""
    require_perm(user, "core.view_importrun")
    return ImportRun.objects.select_related("created_by", "job").order_by("-created_at")


def import_run_get(*, user: Any, run_id: int) -> ImportRun:
    """One import run (needs core.view_importrun)."""
    require_perm(user, "core.view_importrun")
    run = ImportRun.objects.select_related("created_by", "job").filter(pk=run_id).first()
    if run is None:
        raise NotFound("no such import")
    return run


def import_run_of_job(*, user: Any, job: Job) -> ImportRun | None:
    """The import run a job does, for a user who sees imports (else None)."""
    if not user.has_perm("core.view_importrun"):
        return None
    return ImportRun.objects.select_related("created_by", "job").filter(job=job).first()


def import_issue_list(*, user: Any, run_id: int, file: str = "") -> QuerySet[ImportIssue]:
    """The problems found by an import run, in file and line order."""
    run = import_run_get(user=user, run_id=run_id)
    issues = ImportIssue.objects.filter(run=run)
    if file:
        issues = issues.filter(file=file)
    return issues.order_by("file", "line", "id")


def job_get(*, user: Any, job_id: int) -> Job:
    """A job's progress to whoever may see the page that shows it: the one who started it,
    admins, and for a kind of work, those with a permission of its app (a topic refresh to
    those who read topics, another's duplicate search to those who see the duplicates page);
    imports (core) to those who see the imports page."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound("no such job")
    if job.created_by_id is not None and job.created_by_id == user.pk:
        return job
    if user.has_perm("core.view_job"):
        return job
    app = job.kind.partition(".")[0]
    if app == "core" and user.has_perm("core.view_importrun"):
        return job
    if app not in ("core", "demo") and user.has_module_perms(app):
        return job
    raise NotFound("no such job")


def users_with_role(*, role: str) -> QuerySet[User]:
    return User.objects.filter(role=role, is_active=True).order_by("username")
