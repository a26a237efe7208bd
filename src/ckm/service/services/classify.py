"""The learned triage: suggest a product and issue category for each new case from the active
classifier; train new versions on the firm's own labelled cases (closed cases, imported history and
agents' corrections); keep the registry of versions with their measured accuracy."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ckm.core.artifacts import artifact_load, artifact_save
from ckm.core.audit import audit_record
from ckm.core.errors import DomainError, NotFound
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
from ckm.customers.models import Holding, Product
from ckm.service.learning import CaseClassifier, CaseExample, Prediction, classifier_fit, evaluate
from ckm.service.models import Case, CaseStatus, ClassifierModel

# a suggestion at least this likely is used for routing until an agent decides
CONFIDENT = 0.6
MIN_EXAMPLES = 20
HOLDOUT_SHARE = 0.2

_cache: dict[str, CaseClassifier] = {}
_cache_lock = threading.Lock()


def use_embeddings() -> bool:
    return bool(getattr(settings, "CKM_SERVICE_EMBEDDINGS", True))


def _embed(texts: Sequence[str]) -> Any:
    from ckm.knowledge.embeddings import embed

    return embed(texts, cache=True)


def active_classifier() -> tuple[ClassifierModel, CaseClassifier] | None:
    """The active registry row and its fitted object (loaded once per process)."""
    row = ClassifierModel.objects.filter(active=True).first()
    if row is None or not row.artifact:
        return None
    with _cache_lock:
        fitted = _cache.get(row.artifact)
        if fitted is None:
            try:
                fitted = artifact_load(row.artifact)
            except (OSError, ValueError):
                return None
            _cache.clear()
            _cache[row.artifact] = fitted
    return row, fitted


def holdings_of(customer_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Product families each customer holds (active holdings), a classifier input."""
    out: dict[int, set[str]] = defaultdict(set)
    for customer_id, family in Holding.objects.filter(
        customer_id__in=[c for c in customer_ids if c], status="active"
    ).values_list("customer_id", "product__family"):
        out[customer_id].add(family)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def case_text(case: Case) -> str:
    return f"{case.subject}\n{case.body}".strip()


def predict_cases(cases: Sequence[Case]) -> tuple[ClassifierModel, list[Prediction]] | None:
    """Predictions of the active classifier for cases (None when there is no active model)."""
    active = active_classifier()
    if active is None:
        return None
    row, fitted = active
    held = holdings_of([c.customer_id for c in cases if c.customer_id])
    examples = [
        CaseExample(
            text=case_text(c),
            channel=c.channel,
            holdings=held.get(c.customer_id or 0, ()),
        )
        for c in cases
    ]
    embed = _embed if fitted.features.use_embeddings else None
    return row, fitted.predict(examples, embed)


def apply_prediction(case: Case, row: ClassifierModel, prediction: Prediction) -> list[str]:
    """Store a prediction on the case (not saved); returns the changed field names."""
    fields = ["classifier_version"]
    case.classifier_version = row.version
    if prediction.product is not None:
        product = Product.objects.filter(external_id=prediction.product.label).first()
        case.suggested_product = product
        case.suggested_product_confidence = prediction.product.confidence if product else None
        fields += ["suggested_product", "suggested_product_confidence"]
    if prediction.category is not None:
        case.suggested_category = prediction.category.label[:120]
        case.suggested_category_confidence = prediction.category.confidence
        fields += ["suggested_category", "suggested_category_confidence"]
    return fields


# --- training ------------------------------------------------------------------------------------


def training_cases(*, until: dt.datetime | None = None) -> Any:
    """Cases whose product or category a person decided: closed or resolved cases, imported
    history and every case an agent corrected."""
    rows = Case.objects.filter(
        Q(status__in=[CaseStatus.RESOLVED, CaseStatus.ANSWERED, CaseStatus.CLOSED])
        | Q(product_corrected=True)
        | Q(category_corrected=True)
    ).filter(Q(product__isnull=False) | ~Q(category=""))
    if until is not None:
        rows = rows.filter(opened_at__lt=until)
    return rows.order_by("opened_at", "pk")


def examples_of(cases: Sequence[dict[str, Any]]) -> list[CaseExample]:
    held = holdings_of([c["customer_id"] for c in cases if c["customer_id"]])
    return [
        CaseExample(
            text=f"{c['subject']}\n{c['body']}".strip(),
            channel=c["channel"],
            holdings=held.get(c["customer_id"] or 0, ()),
            product=c["product__external_id"] or "",
            category=c["category"] or "",
        )
        for c in cases
    ]


def _next_version() -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    version, n = f"cases-{stamp}", 1
    while ClassifierModel.objects.filter(version=version).exists():
        n += 1
        version = f"cases-{stamp}-{n}"
    return version


def classifier_train(
    *,
    actor: Any = None,
    activate: bool = True,
    progress: Progress | None = None,
    job: Job | None = None,
    max_examples: int | None = None,
) -> ClassifierModel:
    """Train a new classifier version: measure it on the latest 20 % of cases by date (trained on
    the earlier 80 %), then refit on every labelled case and store it. It becomes active when
    asked and when it is at least as accurate as the active one on its own holdout."""
    if actor is not None:
        require_perm(actor, "service.train_classifiermodel")
    step = progress or (lambda done, total, message: None)
    row = ClassifierModel.objects.create(
        version=_next_version(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
        job=job,
        params={
            "embeddings": use_embeddings(),
            "holdout_share": HOLDOUT_SHARE,
            "max_examples": max_examples,
        },
    )
    started = time.perf_counter()
    try:
        step(0, 4, "Collecting labelled cases")
        cases = list(
            training_cases().values(
                "subject", "body", "channel", "customer_id", "product__external_id", "category"
            )
        )
        limit = max_examples or int(getattr(settings, "CKM_SERVICE_TRAIN_MAX", 50_000))
        cases = cases[-limit:]  # the most recent ones
        if len(cases) < MIN_EXAMPLES:
            raise DomainError(
                f"Only {len(cases)} labelled cases; at least {MIN_EXAMPLES} are needed to learn."
            )
        examples = examples_of(cases)
        embed = _embed if use_embeddings() else None
        cut = int(len(examples) * (1 - HOLDOUT_SHARE))
        step(1, 4, f"Measuring on the latest {len(examples) - cut} of {len(examples)} cases")
        trial = classifier_fit(examples[:cut], embed=embed, use_embeddings=embed is not None)
        metrics = evaluate(trial, examples[cut:], embed=embed)
        step(2, 4, "Training on every labelled case")
        # the refit on every case keeps the settings the trial chose by cross-validation
        fitted = classifier_fit(
            examples,
            embed=embed,
            use_embeddings=embed is not None,
            choices={target: model.choice for target, model in trial.models.items()},
        )
        step(3, 4, "Storing the model")
        row.artifact = artifact_save(fitted, kind="service-classifier")
        row.metrics = {**metrics, "targets": fitted.targets}
        row.n_examples = len(examples)
        row.training_seconds = round(time.perf_counter() - started, 2)
        row.trained_until = timezone.now()
        row.status = ClassifierModel.Status.READY
        row.message = f"Trained on {len(examples)} cases"
        row.save()
    except Exception as exc:
        row.status = ClassifierModel.Status.FAILED
        row.message = str(getattr(exc, "message", exc))[:300]
        row.training_seconds = round(time.perf_counter() - started, 2)
        row.save()
        raise
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=row,
        summary=f"Case classifier {row.version} trained on {row.n_examples} cases",
        after={"metrics": row.metrics},
    )
    if activate and _at_least_as_good(row):
        classifier_activate(actor=None, version_id=row.pk)
        row.refresh_from_db()
    step(4, 4, "Done")
    return row


def _score(row: ClassifierModel) -> float:
    metrics = row.metrics or {}
    product = (metrics.get("product") or {}).get("accuracy")
    category = (metrics.get("category") or {}).get("accuracy")
    values = [v for v in (product, category) if v is not None]
    return sum(values) / len(values) if values else 0.0


def _at_least_as_good(row: ClassifierModel) -> bool:
    current = ClassifierModel.objects.filter(active=True).first()
    return current is None or _score(row) >= _score(current) - 0.01


@transaction.atomic
def classifier_activate(*, actor: Any, version_id: int) -> ClassifierModel:
    """Make a trained version the one that classifies new cases."""
    if actor is not None:
        require_perm(actor, "service.train_classifiermodel")
    row = ClassifierModel.objects.select_for_update().filter(pk=version_id).first()
    if row is None:
        raise NotFound("No such classifier version.")
    if row.status != ClassifierModel.Status.READY:
        raise DomainError("Only a trained version can be activated.")
    ClassifierModel.objects.filter(active=True).exclude(pk=row.pk).update(active=False)
    row.active = True
    row.activated_at = timezone.now()
    row.save(update_fields=["active", "activated_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=row,
        summary=f"Case classifier {row.version} activated",
    )
    return row


def classifier_train_start(*, actor: Any) -> Job:
    """Queue a training run (the Classifier page's button); the job shows progress."""
    require_perm(actor, "service.train_classifiermodel")
    job = job_create(kind="service.classifier", label="Train the case classifier", user=actor)
    from ckm.service.tasks import classifier_train_task

    job_enqueue(job, classifier_train_task, job_id=job.pk)
    return job


def classifier_train_job(*, job_id: int) -> ClassifierModel | None:
    """Run a queued training job (called by the task)."""
    job = Job.objects.get(pk=job_id)
    job_start(job_id=job_id)
    try:
        row = classifier_train(actor=None, progress=job_progress(job_id), job=job)
    except Exception as exc:
        job_fail(job_id=job_id, message=str(getattr(exc, "message", exc)))
        return None
    job_finish(
        job_id=job_id,
        result={"version": row.version, "metrics": row.metrics, "active": row.active},
        message=f"Trained {row.version}",
    )
    return row


def classifier_retrain_due(*, max_age_days: int | None = None) -> bool:
    """Whether the schedule should retrain: no model yet, or the newest is older than the limit
    and new labelled cases arrived since."""
    days = max_age_days or int(getattr(settings, "CKM_SERVICE_RETRAIN_DAYS", 7))
    latest = ClassifierModel.objects.filter(status=ClassifierModel.Status.READY).first()
    if latest is None:
        return training_cases().count() >= MIN_EXAMPLES
    if latest.created_at > timezone.now() - dt.timedelta(days=days):
        return False
    return training_cases().filter(updated_at__gt=latest.created_at).exists()
