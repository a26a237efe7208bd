"""Background tasks of the customers app: thin wrappers over services, enqueued after commit."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def duplicates_find_task(*, job_id: int) -> dict[str, Any] | None:
    """Find customers recorded twice (queued by duplicates_find_start)."""
    from ckm.customers.services.identity import duplicates_find_job

    return duplicates_find_job(job_id=job_id)
