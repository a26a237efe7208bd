"""Background tasks of analytics: thin wrappers over services, enqueued after commit."""

from __future__ import annotations

from django_tasks import task

from ckm.analytics.services.scoring import model_score_job
from ckm.analytics.services.training import model_train_job


@task()
def train_model_task(*, job_id: int, version_id: int, auto_promote: bool = False) -> str:
    """Train a registered model version (queued by model_train_start)."""
    return model_train_job(job_id=job_id, version_id=version_id, auto_promote=auto_promote).status


@task()
def score_model_task(*, job_id: int, version_id: int) -> int:
    """Score customers with a version (queued by model_score_start)."""
    return model_score_job(job_id=job_id, version_id=version_id).n_scored


@task()
def analytics_refresh_task(*, job_id: int) -> str:
    """Recompute value and CLV, evaluate alert rules, snapshot segments (queued by the pages)."""
    from ckm.analytics.services.schedule import analytics_refresh_job

    return analytics_refresh_job(job_id=job_id)


@task()
def segments_learn_task(*, job_id: int, k: int = 0) -> int:
    """Learn customer clusters (queued by the Segments page)."""
    from ckm.analytics.services.segments import segments_learn_job

    return segments_learn_job(job_id=job_id, k=k)


@task()
def alerts_after_import_task(*, run_id: int) -> dict[str, int]:
    """Evaluate the early-warning rules on the data an import just loaded."""
    from ckm.analytics.services.alerts import alerts_evaluate

    return alerts_evaluate()


def alerts_after_import(run_id: int) -> None:
    """After-import hook (registered in AnalyticsConfig.ready): queue the rule evaluation."""
    from ckm.analytics.models import AlertRule

    if AlertRule.objects.filter(is_active=True).exists():
        alerts_after_import_task.enqueue(run_id=run_id)
