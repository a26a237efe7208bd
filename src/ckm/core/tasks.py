"""Background tasks of the core app: thin wrappers over services."""

from __future__ import annotations

from django_tasks import task

from ckm.core.services import import_run


@task()
def import_package_task(*, run_id: int) -> str:
    """Load an import run's package (queued by import_start)."""
    run = import_run(run_id=run_id)
    return run.status
