"""Training churn and propensity models: the examples (who, as of when, what happened next),
the fit, and the model version in the registry.

Targets, in the order they are looked for:
- a label (customers.Label, loaded from labels.csv): each label row is one example; features are
  cut `horizon_days` before the label's date (default 0: the label records the customer's state
  on its date, as the benchmark files and the demo's `churned` label do; set a horizon when
  labels are dated when the outcome happened, e.g. the day an account was closed);
- propensity for a product without a label: "opened product P in the N days after T", at several
  cut dates T, among customers who did not hold P at T;
- churn without a label: "every product held at T closed within N days".
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max

from ckm.analytics.features import (
    _days_of_dates,
    build_features,
    data_as_of,
    day_number,
    from_day_number,
)
from ckm.analytics.learning import FittedModel, TrainingError, fit
from ckm.analytics.models import ModelVersion
from ckm.core.artifacts import artifact_save
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
    progress_chain,
)
from ckm.core.models import AuditEntry, Job
from ckm.core.permissions import require_perm
from ckm.customers.models import Customer, Holding, Label, Product

POSITIVE_WORDS = {"1", "1.0", "yes", "true", "y", "t", "churned", "responded", "took"}
MAX_EXAMPLES = 400_000
DEFAULT_HORIZON = {"churn": 90, "propensity": 90}


@dataclass
class Examples:
    keys: pd.DataFrame  # customer_id, as_of (day number of the feature cut)
    y: np.ndarray
    target: str  # how the outcome was defined, in words
    window_start: dt.date | None
    window_end: dt.date | None


def slot_for(*, kind: str, product: Product | None = None) -> str:
    """The registry slot of a model: one active version per slot."""
    if kind == ModelVersion.Kind.PROPENSITY:
        if product is None:
            raise DomainError("a propensity model needs a product", field="product")
        return f"propensity:{product.external_id}"
    return str(kind)


def _label_examples(
    name: str, population: Sequence[int] | None, as_of: dt.date, horizon_days: int
) -> Examples | None:
    labels = Label.objects.filter(name=name.lower(), as_of__lte=as_of).order_by()
    rows: list[tuple[Any, ...]] = []
    if population is None:
        rows = list(labels.values_list("customer_id", "as_of", "value", "value_number"))
    else:
        ids = list(population)
        for start in range(0, len(ids), 5000):
            rows.extend(
                labels.filter(customer_id__in=ids[start : start + 5000]).values_list(
                    "customer_id", "as_of", "value", "value_number"
                )
            )
    if not rows:
        return None
    frame = pd.DataFrame.from_records(rows, columns=["customer_id", "as_of", "value", "number"])
    frame = frame.drop_duplicates(["customer_id", "as_of"], keep="last")
    numeric = frame["number"].astype(float)
    words = frame["value"].astype(str).str.strip().str.lower().isin(POSITIVE_WORDS)
    y = np.where(numeric.notna(), numeric.fillna(0) >= 0.5, words).astype(int)
    label_days = _days_of_dates(frame["as_of"]).astype(np.int64)
    keys = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].to_numpy(dtype=np.int64),
            "as_of": label_days - horizon_days,
        }
    )
    return Examples(
        keys=keys,
        y=y,
        target=f"label '{name}'"
        + (f" {horizon_days} days after the features" if horizon_days else ""),
        window_start=from_day_number(int(keys["as_of"].min())),
        window_end=from_day_number(int(keys["as_of"].max())),
    )


def _holding_table(population: Sequence[int] | None) -> pd.DataFrame:
    holdings = Holding.objects.order_by()
    columns = ["customer_id", "product_id", "opened", "closed", "status"]
    if population is None:
        rows = list(holdings.values_list(*columns).iterator(chunk_size=20_000))
    else:
        ids = list(population)
        rows = []
        for start in range(0, len(ids), 5000):
            rows.extend(
                holdings.filter(customer_id__in=ids[start : start + 5000]).values_list(*columns)
            )
    table = pd.DataFrame.from_records(rows, columns=columns)
    table["opened_day"] = _days_of_dates(table["opened"])
    table["closed_day"] = _days_of_dates(table["closed"])
    unknown_close = (table["status"] == "closed") & table["closed_day"].isna()
    table.loc[unknown_close, "closed_day"] = table.loc[unknown_close, "opened_day"]
    return table


def _customer_days(population: Sequence[int] | None) -> pd.DataFrame:
    customers = Customer.objects.order_by()
    if population is not None:
        customers = (
            customers.filter(pk__in=list(population)) if len(population) <= 30_000 else customers
        )
    frame = pd.DataFrame.from_records(
        list(customers.values_list("id", "customer_since").iterator(chunk_size=20_000)),
        columns=["customer_id", "since"],
    )
    if population is not None:
        frame = frame[frame["customer_id"].isin(set(population))]
    frame["since_day"] = _days_of_dates(frame["since"])
    return frame


def _cut_days(as_of: dt.date, horizon_days: int, snapshots: int) -> list[int]:
    end = day_number(as_of)
    return [end - horizon_days * (k + 1) for k in range(max(snapshots, 1))]


def _holding_examples(
    product: Product,
    population: Sequence[int] | None,
    as_of: dt.date,
    horizon_days: int,
    snapshots: int,
) -> Examples:
    holdings = _holding_table(population)
    customers = _customer_days(population)
    own = holdings[holdings["product_id"] == product.pk]
    keys: list[pd.DataFrame] = []
    outcomes: list[np.ndarray] = []
    for cut in _cut_days(as_of, horizon_days, snapshots):
        known = customers[customers["since_day"].isna() | (customers["since_day"] <= cut)]
        held = own[
            (own["opened_day"] <= cut) & (own["closed_day"].isna() | (own["closed_day"] > cut))
        ]
        eligible = known[~known["customer_id"].isin(set(held["customer_id"]))]
        took = own[(own["opened_day"] > cut) & (own["opened_day"] <= cut + horizon_days)]
        y = eligible["customer_id"].isin(set(took["customer_id"])).to_numpy().astype(int)
        keys.append(
            pd.DataFrame(
                {"customer_id": eligible["customer_id"].to_numpy(dtype=np.int64), "as_of": cut}
            )
        )
        outcomes.append(y)
    cuts = _cut_days(as_of, horizon_days, snapshots)
    return Examples(
        keys=pd.concat(keys, ignore_index=True),
        y=np.concatenate(outcomes),
        target=f"opened {product.name} within {horizon_days} days",
        window_start=from_day_number(min(cuts)),
        window_end=from_day_number(max(cuts) + horizon_days),
    )


def _closure_examples(
    population: Sequence[int] | None, as_of: dt.date, horizon_days: int, snapshots: int
) -> Examples:
    holdings = _holding_table(population)
    keys: list[pd.DataFrame] = []
    outcomes: list[np.ndarray] = []
    for cut in _cut_days(as_of, horizon_days, snapshots):
        active = holdings[
            (holdings["opened_day"] <= cut)
            & (holdings["closed_day"].isna() | (holdings["closed_day"] > cut))
        ]
        still = active[active["closed_day"].isna() | (active["closed_day"] > cut + horizon_days)]
        ids = np.asarray(sorted(set(active["customer_id"])), dtype=np.int64)
        y = (~pd.Series(ids).isin(set(still["customer_id"]))).to_numpy().astype(int)
        keys.append(pd.DataFrame({"customer_id": ids, "as_of": cut}))
        outcomes.append(y)
    cuts = _cut_days(as_of, horizon_days, snapshots)
    return Examples(
        keys=pd.concat(keys, ignore_index=True),
        y=np.concatenate(outcomes),
        target=f"closed every product within {horizon_days} days",
        window_start=from_day_number(min(cuts)),
        window_end=from_day_number(max(cuts) + horizon_days),
    )


def training_examples(
    *,
    kind: str,
    product: Product | None,
    label: str,
    population: Sequence[int] | None,
    as_of: dt.date,
    horizon_days: int,
    snapshots: int = 3,
    seed: int = 7,
) -> Examples:
    """The examples a model learns from (see the module docstring for the targets)."""
    examples = None
    if label:
        examples = _label_examples(label, population, as_of, horizon_days)
        if examples is None:
            raise TrainingError(f"no '{label}' labels on or before {as_of}: load labels.csv first")
    elif kind == ModelVersion.Kind.PROPENSITY:
        if product is None:
            raise TrainingError("a propensity model needs a product")
        took = f"took_{product.external_id}".lower()
        examples = (
            _label_examples(took, population, as_of, horizon_days)
            if Label.objects.filter(name=took).exists()
            else None
        )
        if examples is None:
            examples = _holding_examples(product, population, as_of, horizon_days, snapshots)
    else:
        if Label.objects.filter(name="churned").exists():
            examples = _label_examples("churned", population, as_of, horizon_days)
        if examples is None:
            examples = _closure_examples(population, as_of, horizon_days, snapshots)
    if len(examples.y) > MAX_EXAMPLES:
        pick = np.sort(
            np.random.default_rng(seed).choice(len(examples.y), MAX_EXAMPLES, replace=False)
        )
        examples.keys = examples.keys.iloc[pick].reset_index(drop=True)
        examples.y = examples.y[pick]
    return examples


def _label_target(kind: str, product: Product | None, label: str) -> bool:
    """Whether the outcome comes from labels (then, by default, features are taken as of the
    label's date: the label records the customer's state that day)."""
    if label:
        return True
    if kind == ModelVersion.Kind.PROPENSITY and product is not None:
        return Label.objects.filter(name=f"took_{product.external_id}".lower()).exists()
    return kind == ModelVersion.Kind.CHURN and Label.objects.filter(name="churned").exists()


def _next_version(slot: str) -> int:
    latest = ModelVersion.objects.filter(slot=slot).aggregate(n=Max("version"))["n"]
    return int(latest or 0) + 1


@transaction.atomic
def model_version_create(
    *,
    actor: Any,
    kind: str,
    product_id: int | None = None,
    label: str = "",
    horizon_days: int | None = None,
    slot: str = "",
    params: dict[str, Any] | None = None,
    job: Job | None = None,
) -> ModelVersion:
    """Register a model version to train (status 'training'); the training fills it in."""
    if actor is not None:
        require_perm(actor, "analytics.train_modelversion")
    if kind not in (ModelVersion.Kind.CHURN, ModelVersion.Kind.PROPENSITY):
        raise DomainError("train a churn or a propensity model here", field="kind")
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise NotFound("No such product.")
    slot = slot or slot_for(kind=kind, product=product)
    active = ModelVersion.objects.filter(slot=slot, status=ModelVersion.Status.ACTIVE).first()
    if active is not None:
        # a retrain keeps the set-up of the version it would replace unless told otherwise
        label = label or str(active.params.get("label") or "")
        horizon_days = active.horizon_days if horizon_days is None else horizon_days
    if horizon_days is None:
        horizon_days = 0 if _label_target(kind, product, label) else DEFAULT_HORIZON[kind]
    version = ModelVersion(
        kind=kind,
        slot=slot[:100],
        version=_next_version(slot),
        target=(label or (product.external_id if product else "churned"))[:100],
        product=product,
        status=ModelVersion.Status.TRAINING,
        horizon_days=horizon_days,
        params={"label": label, **(params or {})},
        created_by=actor if actor is not None and actor.is_authenticated else None,
        job=job,
    )
    version.full_clean()
    version.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=version,
        summary=f"training {version} queued",
    )
    return version


def model_train_run(
    *,
    version_id: int,
    population: Sequence[int] | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> ModelVersion:
    """Fit a registered version: examples, features, fit, artefact, metrics. A failure is
    recorded on the version (status 'failed') and raised."""
    version = ModelVersion.objects.select_related("product").get(pk=version_id)
    step = progress or (lambda done, total, message: None)
    started = time.monotonic()
    cut = as_of or data_as_of()
    params = dict(version.params)
    try:
        step(0, 100, "Collecting examples")
        examples = training_examples(
            kind=version.kind,
            product=version.product,
            label=str(params.get("label") or ""),
            population=population,
            as_of=cut,
            horizon_days=version.horizon_days,
            snapshots=int(params.get("snapshots", 3)),
        )
        step(10, 100, f"Building features for {len(examples.y):,} examples")
        exclude = {str(params.get("label") or ""), version.target, *params.get("exclude", [])}
        table = build_features(examples.keys, exclude={e for e in exclude if e})

        def fit_progress(done: int, total: int, message: str) -> None:
            step(20 + int(70 * done / max(total, 1)), 100, message)

        model = fit(
            table.frame, examples.y, folds=int(params.get("folds", 5)), progress=fit_progress
        )
    except (TrainingError, ValueError) as exc:
        ModelVersion.objects.filter(pk=version.pk).update(
            status=ModelVersion.Status.FAILED,
            message=str(exc)[:300],
            training_seconds=time.monotonic() - started,
        )
        raise TrainingError(str(exc)) from exc
    step(92, 100, "Saving the model")
    used = set(model.pre.names)
    version.features = [
        table.info[n].as_dict() for n in model.pre.names if n in table.info and n in used
    ]
    version.metrics = model.metrics
    version.params = {
        **params,
        "exclude": sorted(e for e in exclude if e),
        "target": examples.target,
        "as_of": cut.isoformat(),
    }
    version.n_examples = len(examples.y)
    version.n_positive = int(examples.y.sum())
    version.window_start = examples.window_start
    version.window_end = examples.window_end
    version.artifact = artifact_save(model, kind="analytics")
    version.training_seconds = round(time.monotonic() - started, 2)
    version.status = ModelVersion.Status.CANDIDATE
    version.message = (
        f"AUC {model.metrics['auc']:.3f} on {len(examples.y):,} examples ({examples.target})"
    )
    version.save()
    step(100, 100, "Trained")
    return version


def model_train(
    *,
    actor: Any,
    kind: str,
    product_id: int | None = None,
    label: str = "",
    horizon_days: int | None = None,
    population: Sequence[int] | None = None,
    as_of: dt.date | None = None,
    slot: str = "",
    folds: int = 5,
    snapshots: int = 3,
    auto_promote: bool = True,
    score: bool = True,
    progress: Progress | None = None,
) -> ModelVersion:
    """Train a model now (CLI, benchmarks, demo): register, fit, and - when the slot has no
    active version yet, or auto_promote and it ranks at least as well - promote and score."""
    from ckm.analytics.services.scoring import model_promote

    version = model_version_create(
        actor=actor,
        kind=kind,
        product_id=product_id,
        label=label,
        horizon_days=horizon_days,
        slot=slot,
        params={"folds": folds, "snapshots": snapshots},
    )
    steps = progress_chain(progress)
    version = model_train_run(
        version_id=version.pk, population=population, as_of=as_of, progress=steps
    )
    first = not ModelVersion.objects.filter(
        slot=version.slot, status=ModelVersion.Status.ACTIVE
    ).exists()
    if (auto_promote or first) and _beats_active(version):
        version = model_promote(actor=actor, version_id=version.pk, score=score, progress=steps)
    return version


MIN_AUC = 0.55


def _beats_active(version: ModelVersion) -> bool:
    """Whether a new version may replace the active one automatically: it must rank better
    than chance (AUC >= 0.55) and at least as well as the active version (within 0.005)."""
    if (version.auc or 0) < MIN_AUC:
        ModelVersion.objects.filter(pk=version.pk).update(
            message=f"{version.message}; not promoted: AUC {version.auc or 0:.3f} is hardly better than chance"[
                :300
            ]
        )
        version.refresh_from_db(fields=["message"])
        return False
    active = ModelVersion.objects.filter(
        slot=version.slot, status=ModelVersion.Status.ACTIVE
    ).first()
    if active is None:
        return True
    return (version.auc or 0) >= (active.auc or 0) - 0.005


def model_train_start(
    *,
    actor: Any,
    kind: str,
    product_id: int | None = None,
    label: str = "",
    horizon_days: int | None = None,
    auto_promote: bool = False,
) -> ModelVersion:
    """Queue training as a background task with progress (the Models page, the API)."""
    from ckm.analytics.tasks import train_model_task

    if actor is not None:
        require_perm(actor, "analytics.train_modelversion")
    if label and not Label.objects.filter(name=label).exists():
        # refused at once, not as a failed job a minute later
        raise DomainError(f"no outcomes are recorded under the label {label!r}", field="label")
    with transaction.atomic():
        job = job_create(kind="analytics.train", label=f"Train {kind} model", user=actor, total=100)
        version = model_version_create(
            actor=actor,
            kind=kind,
            product_id=product_id,
            label=label,
            horizon_days=horizon_days,
            job=job,
        )
        Job.objects.filter(pk=job.pk).update(label=f"Train {version}"[:200])
        job_enqueue(
            job, train_model_task, job_id=job.pk, version_id=version.pk, auto_promote=auto_promote
        )
    return version


def model_train_job(*, job_id: int, version_id: int, auto_promote: bool = False) -> ModelVersion:
    """What the training task runs: fit with progress on the job, then promote/score if asked."""
    from ckm.analytics.services.scoring import model_promote

    job_start(job_id=job_id)
    report = job_progress(job_id)
    try:
        version = model_train_run(version_id=version_id, progress=report)
        first = not ModelVersion.objects.filter(
            slot=version.slot, status=ModelVersion.Status.ACTIVE
        ).exists()
        if (auto_promote or first) and _beats_active(version):
            version = model_promote(actor=None, version_id=version.pk, score=True, progress=report)
    except Exception as exc:
        job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        ModelVersion.objects.filter(pk=version_id, status=ModelVersion.Status.TRAINING).update(
            status=ModelVersion.Status.FAILED, message=str(exc)[:300]
        )
        raise
    job_finish(
        job_id=job_id,
        result={"version": version.pk, "status": version.status},
        message=version.message,
    )
    return version


def model_load(version: ModelVersion) -> FittedModel:
    """The fitted model of a version (from the artefact store)."""
    from ckm.core.artifacts import artifact_load

    if not version.artifact:
        raise DomainError(f"{version} has no trained model")
    model = artifact_load(version.artifact)
    if not isinstance(model, FittedModel):
        raise DomainError(f"{version}: the artefact is not a scoring model")
    return model
