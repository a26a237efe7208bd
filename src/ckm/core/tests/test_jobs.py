"""Background jobs: queued after commit, and never left waiting when the queue is down."""

from __future__ import annotations

import pytest

from ckm.core.jobs import job_create, job_enqueue, job_waiting
from ckm.core.models import Job

pytestmark = pytest.mark.django_db


class _QueueDown:
    """A task whose queue cannot be reached (Redis stopped, say)."""

    name = "broken"

    def enqueue(self, **kwargs: object) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


class _Queue:
    name = "fine"

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def enqueue(self, **kwargs: object) -> object:
        self.calls.append(kwargs)
        return type("Result", (), {"id": "task-7"})()


def test_a_job_whose_task_cannot_be_queued_fails_with_the_reason(
    django_capture_on_commit_callbacks,
) -> None:
    job = job_create(kind="demo.work", label="Work")
    with django_capture_on_commit_callbacks(execute=True):
        job_enqueue(job, _QueueDown(), job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "Connection refused" in job.message
    # the next request starts new work instead of joining a job nobody will run
    assert job_waiting(kind="demo.work") is None


def test_the_task_is_queued_only_after_commit_and_its_id_kept(
    django_capture_on_commit_callbacks,
) -> None:
    job = job_create(kind="demo.work", label="Work")
    queue = _Queue()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_enqueue(job, queue, job_id=job.pk, extra=1)
    assert queue.calls == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert queue.calls == [{"job_id": job.pk, "extra": 1}]
    job.refresh_from_db()
    assert job.task_id == "task-7" and job.status == Job.Status.QUEUED
