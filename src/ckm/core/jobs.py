"""Background jobs with progress: created by a service, advanced by a task, shown by a page."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.core.middleware import AuditContext, audit_context
from ckm.core.models import Job

logger = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
"""progress(done, total, message): report how far a piece of work has come."""


def job_create(*, kind: str, label: str, user: Any = None, total: int = 0) -> Job:
    """Create a queued job that a task will run."""
    created_by = user if user is not None and user.is_authenticated else None
    return Job.objects.create(kind=kind, label=label[:200], created_by=created_by, total=total)


def job_enqueue(job: Job | None, task: Any, **kwargs: Any) -> None:
    """Queue the task that does a job's work once the current transaction commits (the worker
    must find what the request wrote), and remember the task's id on the job. A queue that cannot
    take the task (Redis down, say) fails the job with the reason, instead of leaving it queued
    for ever, where later requests would join it and wait in vain."""

    def enqueue() -> None:
        try:
            result = task.enqueue(**kwargs)
        except Exception as exc:
            logger.exception("could not queue %s", getattr(task, "name", task))
            if job is not None:
                job_fail(job_id=job.pk, message=f"Could not be queued: {exc}")
            return
        if job is not None:
            Job.objects.filter(pk=job.pk).update(task_id=str(getattr(result, "id", ""))[:64])

    transaction.on_commit(enqueue)


def job_waiting(*, kind: str, label: str | None = None) -> Job | None:
    """A job of this kind that has not started yet: asking again joins it instead of queueing
    the same work twice (it will read the data as they are when it starts)."""
    jobs = Job.objects.filter(kind=kind, status=Job.Status.QUEUED)
    if label is not None:
        jobs = jobs.filter(label=label[:200])
    return jobs.order_by("created_at").first()


# audit contexts set by job_start, reset when the job ends (same thread)
_job_contexts: dict[int, contextvars.Token[AuditContext | None]] = {}


def job_start(*, job_id: int) -> None:
    """Mark the job running; until it ends, what it writes is audited in the name of the person
    who asked for it (marked "background job"), not as "system"."""
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), message="Started"
    )
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    current = audit_context.get()
    _job_contexts[job_id] = audit_context.set(
        AuditContext(
            ip_address=current.ip_address if current else None,
            request_id=current.request_id if current else f"job-{job_id}",
            on_behalf_of=job.created_by if job is not None else None,
        )
    )


def _job_context_end(job_id: int) -> None:
    token = _job_contexts.pop(job_id, None)
    if token is not None:
        # a job that ended in another context than it started leaves nothing to restore
        with contextlib.suppress(ValueError):
            audit_context.reset(token)


def job_finish(*, job_id: int, result: dict[str, Any] | None = None, message: str = "") -> None:
    _job_context_end(job_id)
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        result=result or {},
        message=message[:300] or "Done",
    )


def job_fail(*, job_id: int, message: str) -> None:
    _job_context_end(job_id)
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), message=message[:300]
    )


def job_progress(job_id: int, *, every_seconds: float = 0.5) -> Progress:
    """A progress callback that writes to the job at most every `every_seconds`."""
    last = 0.0

    def report(done: int, total: int, message: str) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < every_seconds and done < total:
            return
        last = now
        Job.objects.filter(pk=job_id).update(done=done, total=total, message=message[:300])

    return report


def progress_chain(*callbacks: Progress | None) -> Progress:
    """One progress callback that feeds several (e.g. the job row and a CLI bar)."""
    active = [cb for cb in callbacks if cb is not None]

    def report(done: int, total: int, message: str) -> None:
        for cb in active:
            cb(done, total, message)

    return report


def no_progress(done: int, total: int, message: str) -> None:
    """A progress callback that ignores progress."""
