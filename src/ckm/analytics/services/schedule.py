"""Keeping the knowledge current: after new data (an import, or a merge of two customer
records), recompute value, rescore, evaluate the alert
rules and snapshot the segments; retrain models that are older than the retraining interval.

`ckm analytics-schedule` runs `analytics_schedule_run` once (cron: `*/15 * * * * ckm
analytics-schedule`) or in a loop (`ckm analytics-schedule --loop 900`, e.g. as a systemd
service beside `ckm worker`). Each step is idempotent, so a missed or doubled run does no harm.
Settings (optional): CKM_ANALYTICS_RETRAIN_DAYS (30), CKM_ANALYTICS_RESCORE_HOURS (24).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ckm.analytics.models import AlertRule, CustomerValue, ModelVersion, ScoringRun, SegmentSnapshot
from ckm.analytics.services.alerts import alerts_evaluate
from ckm.analytics.services.scoring import model_score
from ckm.analytics.services.segments import segment_snapshots_take
from ckm.analytics.services.training import model_train
from ckm.analytics.services.value import value_compute
from ckm.core.jobs import (
    Progress,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_progress,
    job_start,
    job_waiting,
)
from ckm.core.models import ImportRun, Job
from ckm.core.permissions import require_perm
from ckm.customers.models import MergedRecord


def _latest_import() -> dt.datetime | None:
    return ImportRun.objects.filter(status__in=["succeeded", "partial"]).aggregate(
        at=Max("finished_at")
    )["at"]


def _latest_merge() -> dt.datetime | None:
    """A merge joins two customers' histories: the survivor's value and scores are stale."""
    return MergedRecord.objects.aggregate(at=Max("created_at"))["at"]


def analytics_refresh(*, actor: Any = None, progress: Progress | None = None) -> dict[str, Any]:
    """Recompute value and CLV, rescore every active model, evaluate the alert rules and take
    today's segment snapshots (after an import, or from the Models page)."""
    if actor is not None:
        require_perm(actor, "analytics.train_modelversion")
    step = progress or (lambda done, total, message: None)
    versions = list(
        ModelVersion.objects.filter(
            status=ModelVersion.Status.ACTIVE, kind__in=["churn", "propensity"]
        )
    )
    total = 3 + len(versions)
    step(0, total, "Computing value and CLV")
    value = value_compute(actor=None)
    for index, version in enumerate(versions, start=1):
        step(index, total, f"Scoring with {version}")
        model_score(actor=None, version_id=version.pk)
    step(total - 2, total, "Evaluating alert rules")
    alerts = alerts_evaluate(actor=None)
    step(total - 1, total, "Taking segment snapshots")
    snapshots = segment_snapshots_take()
    step(total, total, "Refreshed")
    return {"value": value, "scored": len(versions), "alerts": alerts, "snapshots": snapshots}


def analytics_refresh_start(*, actor: Any) -> Job:
    """Queue a refresh as a background task with progress."""
    from ckm.analytics.tasks import analytics_refresh_task

    require_perm(actor, "analytics.train_modelversion")
    waiting = job_waiting(kind="analytics.refresh")
    if waiting is not None:
        return waiting
    with transaction.atomic():
        job = job_create(
            kind="analytics.refresh",
            label="Refresh value, scores and alerts",
            user=actor,
            total=100,
        )
        job_enqueue(job, analytics_refresh_task, job_id=job.pk)
    return job


def analytics_refresh_job(*, job_id: int) -> str:
    job_start(job_id=job_id)
    try:
        result = analytics_refresh(progress=job_progress(job_id))
    except Exception as exc:
        job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise
    raised = sum(result["alerts"].values())
    message = f"{result['value']['customers']:,} customers valued, {result['scored']} models scored, {raised} alerts raised"
    job_finish(
        job_id=job_id, result={"alerts": raised, "scored": result["scored"]}, message=message
    )
    return message


def analytics_schedule_run(*, now: dt.datetime | None = None, force: bool = False) -> list[str]:
    """One pass of the schedule; returns what it did, in words."""
    now = now or timezone.now()
    done: list[str] = []
    retrain_days = int(getattr(settings, "CKM_ANALYTICS_RETRAIN_DAYS", 30))
    rescore_hours = int(getattr(settings, "CKM_ANALYTICS_RESCORE_HOURS", 24))
    last_value = CustomerValue.objects.aggregate(at=Max("computed_at"))["at"]
    last_change = max(
        (at for at in (_latest_import(), _latest_merge()) if at is not None), default=None
    )
    new_data = last_change is not None and (last_value is None or last_change > last_value)
    last_run = ScoringRun.objects.filter(status=ScoringRun.Status.DONE).aggregate(
        at=Max("finished_at")
    )["at"]
    stale_scores = last_run is None or now - last_run > dt.timedelta(hours=rescore_hours)
    for version in ModelVersion.objects.filter(
        status=ModelVersion.Status.ACTIVE, kind__in=["churn", "propensity"]
    ):
        if force or now - version.created_at > dt.timedelta(days=retrain_days):
            trained = model_train(
                actor=None,
                kind=version.kind,
                product_id=version.product_id,
                label=str(version.params.get("label") or ""),
                horizon_days=version.horizon_days,
                auto_promote=True,
            )
            done.append(
                f"retrained {version.title}: v{trained.version} {trained.get_status_display().lower()} ({trained.message})"
            )
    if force or new_data or stale_scores:
        result = analytics_refresh()
        done.append(
            f"refreshed: {result['value']['customers']:,} customers valued, {result['scored']} models scored,"
            f" alerts {result['alerts']}"
        )
    else:
        raised = alerts_evaluate()
        done.append(f"alerts evaluated: {raised}")
        if not SegmentSnapshot.objects.filter(taken_on=timezone.localdate()).exists():
            done.append(f"{segment_snapshots_take()} segment snapshots taken")
    if not AlertRule.objects.exists():
        done.append("no alert rules yet: create them on the Retention alerts page")
    return done
