"""Background tasks of campaigns: thin wrappers over services, enqueued after commit."""

from __future__ import annotations

from django_tasks import task


@task()
def retrain_task(*, job_id: int, product_id: int) -> int:
    """Retrain a product's propensity model on campaign responses (queued by retrain_start)."""
    from ckm.campaigns.services.loop import retrain_job

    return retrain_job(job_id=job_id, product_id=product_id)


@task()
def campaigns_after_import_task(*, run_id: int) -> int:
    """Detect conversions of launched campaigns in newly imported holdings and transactions."""
    from ckm.campaigns.services.execution import conversions_detect_all

    return conversions_detect_all(run_id=run_id)


def campaigns_after_import(run_id: int) -> None:
    """After-import hook: queue conversion and response detection once the import has
    committed (only when a campaign is running)."""
    from django.db import transaction

    from ckm.campaigns.models import Campaign

    if Campaign.objects.filter(status=Campaign.Status.LAUNCHED).exists():
        transaction.on_commit(lambda: campaigns_after_import_task.enqueue(run_id=run_id))
