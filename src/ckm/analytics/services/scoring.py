"""Scoring customers and the registry's state changes (promote, roll back).

A scoring run writes its scores in batches beside the current ones; when every row is written
the version's `current_run` pointer moves to it and the scores of the run before are deleted, so
readers always see one complete run. Scoring is vectorised end to end: features for 50,000
customers at a time, LightGBM predict and TreeSHAP contributions in C++, bulk inserts.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from ckm.analytics.features import build_features, data_as_of, make_keys
from ckm.analytics.learning import deciles, histogram, psi, top_reasons
from ckm.analytics.models import ModelVersion, Score, ScoringRun
from ckm.analytics.services.training import model_load
from ckm.core.audit import audit_record
from ckm.core.errors import ConflictError, DomainError, NotFound
from ckm.core.imports.bulk import bulk_upsert
from ckm.core.jobs import (
    Progress,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_progress,
    job_start,
)
from ckm.core.models import AuditEntry, Job
from ckm.core.permissions import require_perm
from ckm.customers.models import Customer, Holding

SCORE_CHUNK = 50_000
# TreeSHAP costs ~0.5 ms a customer: reasons are stored for everyone in populations up to this
# size, else for the highest scores (the shortlists people act on); the profile computes the
# rest on demand (learning a few rows takes milliseconds).
REASONS_STORED_MAX = 50_000
WRITE_BATCH = 5_000
KEEP_PROMOTED = 2  # versions whose scores are kept for an instant rollback


def scoring_population(version: ModelVersion) -> list[int]:
    """Who a version scores: customers who are not closed; for a propensity model, only those
    who do not hold the product now."""
    customers = Customer.objects.exclude(status=Customer.Status.CLOSED).order_by("id")
    if version.kind == ModelVersion.Kind.PROPENSITY and version.product_id:
        holders = Holding.objects.filter(product_id=version.product_id).exclude(
            status=Holding.Status.CLOSED
        )
        customers = customers.exclude(pk__in=holders.values("customer_id"))
    return list(customers.values_list("id", flat=True).iterator(chunk_size=50_000))


def model_score(
    *,
    actor: Any,
    version_id: int,
    customer_ids: Sequence[int] | None = None,
    as_of: dt.date | None = None,
    reasons: bool = True,
    progress: Progress | None = None,
    job_id: int | None = None,
) -> ScoringRun:
    """Score a population with a version now; the run becomes the version's current scores."""
    if actor is not None:
        require_perm(actor, "analytics.train_modelversion")
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound("No such model version.")
    if version.status in (ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED):
        raise ConflictError(
            f"{version} is {version.get_status_display().lower()}: nothing to score with"
        )
    model = model_load(version)
    step = progress or (lambda done, total, message: None)
    started = time.monotonic()
    cut = as_of or data_as_of()
    ids = np.asarray(
        list(customer_ids) if customer_ids is not None else scoring_population(version),
        dtype=np.int64,
    )
    run = ScoringRun.objects.create(model_version=version, as_of=cut, job_id=job_id)
    exclude = set(version.params.get("exclude", []))
    n = len(ids)
    values = np.zeros(n)
    all_reasons: list[list[list[Any]]] = []
    total_steps = max(n, 1) * 2
    try:
        for start in range(0, n, SCORE_CHUNK):
            chunk = ids[start : start + SCORE_CHUNK]
            step(
                start,
                total_steps,
                f"Scoring customers {start + 1:,}-{start + len(chunk):,} of {n:,}",
            )
            table = build_features(make_keys(chunk, cut), exclude=exclude)
            values[start : start + len(chunk)] = model.proba(table.frame)
            if reasons and n <= REASONS_STORED_MAX:
                contributions, names = model.contributions(table.frame)
                all_reasons.extend(top_reasons(contributions, names, table.frame))
        stored: dict[int, list[list[Any]]] = {}
        if reasons and n <= REASONS_STORED_MAX:
            stored = dict(enumerate(all_reasons))
        elif reasons:
            step(n, total_steps, f"Explaining the top {REASONS_STORED_MAX:,} scores")
            top = np.sort(np.argsort(-values, kind="stable")[:REASONS_STORED_MAX])
            for start in range(0, len(top), SCORE_CHUNK):
                rows = top[start : start + SCORE_CHUNK]
                table = build_features(make_keys(ids[rows], cut), exclude=exclude)
                contributions, names = model.contributions(table.frame)
                stored.update(
                    zip(rows.tolist(), top_reasons(contributions, names, table.frame), strict=True)
                )
        ranks = deciles(values)
        for start in range(0, n, WRITE_BATCH):
            step(
                n + start,
                total_steps,
                f"Saving scores {start + 1:,}-{min(start + WRITE_BATCH, n):,} of {n:,}",
            )
            with transaction.atomic():  # one commit a batch (SQLite would commit every row)
                bulk_upsert(
                    Score,
                    [
                        {
                            "run_id": run.pk,
                            "customer_id": int(ids[i]),
                            "value": round(float(values[i]), 6),
                            "decile": int(ranks[i]),
                            "reasons": stored.get(i, []),
                        }
                        for i in range(start, min(start + WRITE_BATCH, n))
                    ],
                    key=("run_id", "customer_id"),
                )
    except Exception:
        ScoringRun.objects.filter(pk=run.pk).update(
            status=ScoringRun.Status.FAILED, finished_at=timezone.now()
        )
        Score.objects.filter(run=run).delete()
        raise
    previous = version.current_run
    run.histogram = histogram(values) if n else []
    run.mean = round(float(values.mean()), 6) if n else None
    run.psi = psi(model.reference_histogram, run.histogram) if n else None
    run.psi_previous = psi(previous.histogram, run.histogram) if previous and n else None
    run.n_scored = n
    run.status = ScoringRun.Status.DONE
    run.finished_at = timezone.now()
    run.seconds = round(time.monotonic() - started, 2)
    with transaction.atomic():
        run.save()
        ModelVersion.objects.filter(pk=version.pk).update(current_run=run)
        if previous is not None:
            Score.objects.filter(run_id=previous.pk).delete()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=version,
        summary=f"scored {n:,} customers as of {cut} in {run.seconds:.1f} s",
    )
    step(total_steps, total_steps, f"Scored {n:,} customers")
    return run


def model_score_start(*, actor: Any, version_id: int) -> Job:
    """Queue a rescoring of a version as a background task with progress."""
    from ckm.analytics.tasks import score_model_task

    require_perm(actor, "analytics.train_modelversion")
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound("No such model version.")
    if not version.artifact:
        raise ConflictError(f"{version} has no trained model to score with")
    with transaction.atomic():
        job = job_create(
            kind="analytics.score", label=f"Score with {version}", user=actor, total=100
        )
        job_enqueue(job, score_model_task, job_id=job.pk, version_id=version.pk)
    return job


def model_score_job(*, job_id: int, version_id: int) -> ScoringRun:
    """What the scoring task runs."""
    job_start(job_id=job_id)
    try:
        run = model_score(
            actor=None, version_id=version_id, progress=job_progress(job_id), job_id=job_id
        )
    except Exception as exc:
        job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise
    job_finish(
        job_id=job_id,
        result={"run": run.pk, "n": run.n_scored},
        message=f"Scored {run.n_scored:,} customers",
    )
    return run


def model_promote(
    *, actor: Any, version_id: int, score: bool = True, progress: Progress | None = None
) -> ModelVersion:
    """Make a version the active one of its slot (the one before is retired); score with it
    when it has no current scores yet."""
    if actor is not None:
        require_perm(actor, "analytics.promote_modelversion")
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().filter(pk=version_id).first()
        if version is None:
            raise NotFound("No such model version.")
        if version.status == ModelVersion.Status.ACTIVE:
            raise ConflictError(f"{version} is already active")
        if (
            version.status not in (ModelVersion.Status.CANDIDATE, ModelVersion.Status.RETIRED)
            or not version.artifact
        ):
            raise ConflictError(
                f"{version} is {version.get_status_display().lower()} and cannot be promoted"
            )
        now = timezone.now()
        before = ModelVersion.objects.filter(
            slot=version.slot, status=ModelVersion.Status.ACTIVE
        ).first()
        if before is not None:
            ModelVersion.objects.filter(pk=before.pk).update(
                status=ModelVersion.Status.RETIRED, retired_at=now
            )
        version.status = ModelVersion.Status.ACTIVE
        version.promoted_at = now
        version.retired_at = None
        version.save(update_fields=["status", "promoted_at", "retired_at"])
        audit_record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=version,
            before={"active": str(before) if before else None},
            after={"active": str(version)},
            summary="promoted",
        )
        _prune_scores(version.slot)
    if score and version.current_run_id is None:
        model_score(actor=None, version_id=version.pk, progress=progress)
        version.refresh_from_db()
    return version


def model_rollback(*, actor: Any, slot: str) -> ModelVersion:
    """Go back to the version that was active before the current one of a slot."""
    if actor is not None:
        require_perm(actor, "analytics.promote_modelversion")
    with transaction.atomic():
        active = (
            ModelVersion.objects.select_for_update()
            .filter(slot=slot, status=ModelVersion.Status.ACTIVE)
            .first()
        )
        if active is None:
            raise NotFound("No active model in this slot.")
        previous = (
            ModelVersion.objects.filter(
                slot=slot,
                status=ModelVersion.Status.RETIRED,
                promoted_at__isnull=False,
                promoted_at__lt=active.promoted_at or timezone.now(),
            )
            .exclude(artifact="")
            .order_by("-promoted_at")
            .first()
        )
        if previous is None:
            raise ConflictError("There is no earlier version to roll back to.")
        now = timezone.now()
        ModelVersion.objects.filter(pk=active.pk).update(
            status=ModelVersion.Status.RETIRED,
            retired_at=now,
            message=f"rolled back to v{previous.version}",
        )
        previous.status = ModelVersion.Status.ACTIVE
        previous.retired_at = None
        previous.save(update_fields=["status", "retired_at"])
        audit_record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=previous,
            before={"active": str(active)},
            after={"active": str(previous)},
            summary="rolled back",
        )
    if previous.current_run_id is None:
        model_score(actor=None, version_id=previous.pk)
        previous.refresh_from_db()
    return previous


def _prune_scores(slot: str) -> None:
    """Keep scores of the active and the last promoted versions; older retired ones drop theirs
    (a rollback to them rescores)."""
    promoted = list(
        ModelVersion.objects.filter(slot=slot, promoted_at__isnull=False)
        .order_by("-promoted_at")
        .values_list("pk", flat=True)
    )
    stale = ModelVersion.objects.filter(slot=slot, status=ModelVersion.Status.RETIRED).exclude(
        pk__in=promoted[:KEEP_PROMOTED]
    )
    for version in stale.filter(current_run__isnull=False):
        Score.objects.filter(run_id=version.current_run_id).delete()
        ModelVersion.objects.filter(pk=version.pk).update(current_run=None)


@transaction.atomic
def model_version_retire(*, actor: Any, version_id: int) -> ModelVersion:
    """Retire a candidate nobody wants (an active version is replaced by promoting another)."""
    require_perm(actor, "analytics.promote_modelversion")
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound("No such model version.")
    if version.status == ModelVersion.Status.ACTIVE:
        raise DomainError(
            "Promote another version or roll back instead of retiring the active one."
        )
    version.status = ModelVersion.Status.RETIRED
    version.retired_at = timezone.now()
    version.save(update_fields=["status", "retired_at"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=version, summary="retired")
    return version
