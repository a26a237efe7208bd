"""Segments: saving rule segments, learning clusters with readable descriptions, and the daily
snapshots that show each segment's size, value and risk over time."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Avg, QuerySet, Sum
from django.utils import timezone

from ckm.analytics.features import build_features, data_as_of, make_keys
from ckm.analytics.models import (
    CustomerValue,
    ModelVersion,
    Score,
    Segment,
    SegmentMember,
    SegmentSnapshot,
)
from ckm.analytics.segments import definition_queryset, definition_validate
from ckm.core.artifacts import artifact_save
from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import DomainError, NotFound, ValidationError
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
from ckm.customers.models import Customer

CLUSTER_SAMPLE = 200_000
CORE_FEATURES = [
    "age_years",
    "tenure_years",
    "products_held",
    "balance_total",
    "tx_count_90d",
    "inflow_90d",
    "outflow_90d",
    "contacts_90d",
]
AMOUNTS = {"balance_total", "inflow_90d", "outflow_90d", "profit", "clv"}


@transaction.atomic
def segment_save(
    *,
    actor: Any,
    name: str,
    definition: dict[str, Any],
    description: str = "",
    segment_id: int | None = None,
) -> Segment:
    """Create or change a rule segment (a saved dynamic filter)."""
    require_perm(
        actor, "analytics.add_segment" if segment_id is None else "analytics.change_segment"
    )
    if not name.strip():
        raise ValidationError({"name": "Give the segment a name."})
    clean = definition_validate(definition)
    if segment_id is None:
        segment = Segment(
            kind=Segment.Kind.RULE, created_by=actor if actor.is_authenticated else None
        )
        before = None
    else:
        found = Segment.objects.filter(pk=segment_id).first()
        if found is None:
            raise NotFound("No such segment.")
        if found.kind != Segment.Kind.RULE:
            raise DomainError("A learned segment is changed by learning again.")
        segment = found
        before = snapshot(segment, ["name", "description", "definition"])
    segment.name = name.strip()[:120]
    segment.description = description.strip()[:500]
    segment.definition = clean
    segment.full_clean()
    segment.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE if before is None else AuditEntry.Action.UPDATE,
        obj=segment,
        before=before,
        after=snapshot(segment, ["name", "description", "definition"]),
    )
    return segment


@transaction.atomic
def segment_delete(*, actor: Any, segment_id: int) -> None:
    """Delete a rule segment (a learned one is set aside, keeping its history)."""
    require_perm(actor, "analytics.delete_segment")
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise NotFound("No such segment.")
    before = snapshot(segment, ["name", "kind", "description", "definition", "is_active"])
    if segment.kind == Segment.Kind.LEARNED:
        segment.is_active = False
        segment.save(update_fields=["is_active", "updated_at"])
    else:
        segment.delete()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        object_type="analytics.segment",
        object_id=segment_id,
        object_repr=segment.name,
        before=before,  # the definition, so a deleted segment can be rebuilt
    )


def segment_members(segment: Segment) -> QuerySet[Customer]:
    """Every customer of a segment (no access filter: callers apply the user's scope)."""
    if segment.kind == Segment.Kind.LEARNED:
        return Customer.objects.filter(
            pk__in=SegmentMember.objects.filter(segment=segment).values("customer_id")
        )
    return definition_queryset(segment.definition)


def _churn_run() -> int | None:
    return (
        ModelVersion.objects.filter(slot="churn", status=ModelVersion.Status.ACTIVE)
        .values_list("current_run_id", flat=True)
        .first()
    )


def segment_measures(
    members: QuerySet[Customer], *, churn_run: int | None = None
) -> dict[str, Any]:
    """Size, total and mean value, and mean churn risk of a set of customers."""
    values = CustomerValue.objects.filter(customer__in=members).aggregate(
        profit_total=Sum("profit"),
        clv_total=Sum("clv"),
        clv_mean=Avg("clv"),
        profit_mean=Avg("profit"),
    )
    size = members.count()
    churn = None
    run = churn_run if churn_run is not None else _churn_run()
    if run:
        churn = Score.objects.filter(run_id=run, customer__in=members).aggregate(mean=Avg("value"))[
            "mean"
        ]
    return {
        "size": size,
        "profit_total": float(values["profit_total"] or 0),
        "clv_total": float(values["clv_total"] or 0),
        "clv_mean": float(values["clv_mean"]) if values["clv_mean"] is not None else None,
        "profit_mean": float(values["profit_mean"]) if values["profit_mean"] is not None else None,
        "churn_mean": float(churn) if churn is not None else None,
    }


def segment_snapshots_take(*, on: dt.date | None = None) -> int:
    """Record every active segment's size, value and risk for a day (idempotent per day)."""
    day = on or timezone.localdate()
    run = _churn_run()
    count = 0
    for segment in Segment.objects.filter(is_active=True):
        try:
            measures = segment_measures(segment_members(segment), churn_run=run)
        except ValidationError:
            continue  # a rule that refers to a field that no longer exists
        SegmentSnapshot.objects.update_or_create(
            segment=segment,
            taken_on=day,
            defaults={
                "size": measures["size"],
                "profit_total": round(measures["profit_total"], 2),
                "clv_total": round(measures["clv_total"], 2),
                "clv_mean": measures["clv_mean"],
                "churn_mean": measures["churn_mean"],
            },
        )
        count += 1
    return count


# --- learned segments ------------------------------------------------------------------------------


def _cluster_frame(ids: np.ndarray, as_of: dt.date) -> tuple[pd.DataFrame, dict[str, str]]:
    table = build_features(
        make_keys(ids, as_of),
        groups=["customer", "holdings", "balance", "transactions", "contacts"],
    )
    columns = [c for c in CORE_FEATURES if c in table.frame.columns]
    holds = [c for c in table.frame.columns if c.startswith("holds_")]
    frame = table.frame[columns].astype(float).copy()
    labels = {c: table.info[c].label for c in columns}
    for column in holds:
        frame[column] = (table.frame[column].astype(float) > 0).astype(float)
        labels[column] = table.info[column].label.replace(" products held", "")
    values = pd.DataFrame.from_records(
        list(
            CustomerValue.objects.values_list("customer_id", "profit", "clv").iterator(
                chunk_size=50_000
            )
        ),
        columns=["customer_id", "profit", "clv"],
    ).set_index("customer_id")
    if len(values):
        frame["profit"] = values["profit"].reindex(ids).to_numpy(dtype=float)
        frame["clv"] = values["clv"].reindex(ids).to_numpy(dtype=float)
        labels["profit"] = "annual profit"
        labels["clv"] = "lifetime value"
    frame.index = ids
    return frame, labels


def _transform(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        values = out[column].astype(float)
        if column in AMOUNTS or column.endswith("_90d"):
            values = np.sign(values) * np.log1p(np.abs(values))
        out[column] = values.fillna(values.median() if values.notna().any() else 0.0)
    return out


def _trait_text(column: str, label: str, mean: float, overall: float) -> str:
    if column.startswith("holds_"):
        return f"holds {label}: {mean * 100:.0f} % (all customers: {overall * 100:.0f} %)"
    if column in AMOUNTS:
        return f"{label}: {mean:,.0f} on average (all: {overall:,.0f})"
    return f"{label}: {mean:,.1f} on average (all: {overall:,.1f})"


TAGS = {
    "products_held": ("many products", "few products"),
    "balance_total": ("high balances", "low balances"),
    "tx_count_90d": ("very active", "little activity"),
    "inflow_90d": ("high inflows", "low inflows"),
    "outflow_90d": ("high spending", "low spending"),
    "contacts_90d": ("many contacts", "few contacts"),
    "age_years": ("older", "younger"),
    "tenure_years": ("long-standing", "newer customers"),
    "profit": ("profitable", "low profit"),
    "clv": ("high lifetime value", "low lifetime value"),
}


def _trait_tag(column: str, label: str, z: float, share: float | None = None) -> str:
    """A few words for a cluster's name. A product column says "holds savings" only when most of
    the cluster holds one (half or more; else "more with savings", so a member without savings is
    not told that they hold them), and "no savings" only when hardly anyone does (under 5 %;
    otherwise "fewer with savings")."""
    if column.startswith("holds_"):
        if z > 0:
            return f"holds {label}" if share is None or share >= 0.5 else f"more with {label}"
        return f"no {label}" if share is not None and share < 0.05 else f"fewer with {label}"
    high, low = TAGS.get(column, (f"high {label}", f"low {label}"))
    return high if z > 0 else low


def segments_learn(
    *, actor: Any, k: int = 0, as_of: dt.date | None = None, progress: Progress | None = None
) -> ModelVersion:
    """Cluster customers (KMeans on standardised value, product and activity features) and save
    each cluster as a learned segment with its size, value and what sets it apart."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if actor is not None:
        require_perm(actor, "analytics.add_segment")
    step = progress or (lambda done, total, message: None)
    started = time.monotonic()
    cut = as_of or data_as_of()
    ids = np.asarray(
        list(
            Customer.objects.exclude(status=Customer.Status.CLOSED)
            .order_by("id")
            .values_list("id", flat=True)
        ),
        dtype=np.int64,
    )
    if len(ids) < 30:
        raise DomainError("Too few customers to learn segments from (need at least 30).")
    step(0, 5, "Building features")
    frame, labels = _cluster_frame(ids, cut)
    frame = frame.loc[:, frame.nunique(dropna=True) > 1]
    transformed = _transform(frame)
    mean, std = transformed.mean(), transformed.std().replace(0, 1)
    z = ((transformed - mean) / std).to_numpy()
    rng = np.random.default_rng(7)
    sample = rng.choice(len(z), min(len(z), CLUSTER_SAMPLE), replace=False)
    step(1, 5, "Choosing the number of clusters")
    candidates = [k] if k else [3, 4, 5, 6]
    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    probe = sample[: min(len(sample), 5000)]
    for n_clusters in candidates:
        model = KMeans(n_clusters=n_clusters, n_init=3, random_state=7).fit(z[sample])
        models[n_clusters] = model
        scores[n_clusters] = (
            float(silhouette_score(z[probe], model.predict(z[probe])))
            if len(set(model.predict(z[probe]))) > 1
            else -1.0
        )
    chosen = max(scores, key=lambda n: scores[n])
    model = models[chosen]
    assignment = model.predict(z)
    step(2, 5, "Describing the clusters")
    raw = frame.copy()
    overall = raw.mean()
    churn_run = _churn_run()
    churn = {}
    if churn_run:
        churn = dict(Score.objects.filter(run_id=churn_run).values_list("customer_id", "value"))
    clusters: list[dict[str, Any]] = []
    for index in range(chosen):
        mask = assignment == index
        zmean = z[mask].mean(axis=0)
        order = np.argsort(-np.abs(zmean))[:3]
        traits = []
        for j in order:
            column = frame.columns[j]
            label = labels.get(column, column)
            traits.append(
                {
                    "feature": column,
                    "z": round(float(zmean[j]), 2),
                    "text": _trait_text(
                        column, label, float(raw.loc[mask, column].mean()), float(overall[column])
                    ),
                    "tag": _trait_tag(
                        column, label, float(zmean[j]), float(raw.loc[mask, column].mean())
                    ),
                }
            )
        members = ids[mask]
        risk = [churn[c] for c in members.tolist() if c in churn]
        clusters.append(
            {
                "index": index,
                "size": int(mask.sum()),
                "share": round(float(mask.mean()), 4),
                "profit_mean": round(float(raw.loc[mask, "profit"].mean()), 2)
                if "profit" in raw
                else None,
                "clv_mean": round(float(raw.loc[mask, "clv"].mean()), 2) if "clv" in raw else None,
                "churn_mean": round(float(np.mean(risk)), 4) if risk else None,
                "traits": traits,
                "name": ", ".join(t["tag"] for t in traits[:2]).capitalize(),
            }
        )
    step(3, 5, "Saving the segments")
    with transaction.atomic():
        latest = ModelVersion.objects.filter(slot="segments").order_by("-version").first()
        ModelVersion.objects.filter(slot="segments", status=ModelVersion.Status.ACTIVE).update(
            status=ModelVersion.Status.RETIRED, retired_at=timezone.now()
        )
        old = Segment.objects.filter(kind=Segment.Kind.LEARNED, is_active=True)
        SegmentMember.objects.filter(segment__in=old).delete()
        old.update(is_active=False)
        version = ModelVersion.objects.create(
            kind=ModelVersion.Kind.SEGMENTATION,
            slot="segments",
            version=(latest.version + 1) if latest else 1,
            target=f"{chosen} clusters",
            status=ModelVersion.Status.ACTIVE,
            window_end=cut,
            features=[
                {"name": c, "label": labels.get(c, c), "kind": "number", "group": "segments"}
                for c in frame.columns
            ],
            metrics={
                "silhouette": {str(n): round(s, 4) for n, s in scores.items()},
                "k": chosen,
                "inertia": round(float(model.inertia_), 2),
            },
            params={
                "k": k,
                "as_of": cut.isoformat(),
                "mean": mean.round(6).to_dict(),
                "std": std.round(6).to_dict(),
            },
            n_examples=len(ids),
            training_seconds=round(time.monotonic() - started, 2),
            artifact=artifact_save(
                {"kmeans": model, "columns": list(frame.columns), "mean": mean, "std": std},
                kind="analytics",
            ),
            promoted_at=timezone.now(),
            created_by=actor if actor is not None and actor.is_authenticated else None,
            message=f"{chosen} clusters of {len(ids):,} customers (silhouette {scores[chosen]:.2f})",
        )
        for cluster in sorted(clusters, key=lambda c: -(c["clv_mean"] or 0)):
            segment = Segment.objects.create(
                name=f"{cluster['name']}"[:120],
                kind=Segment.Kind.LEARNED,
                description="; ".join(t["text"] for t in cluster["traits"])[:500],
                model_version=version,
                cluster=cluster["index"],
                profile=cluster,
                created_by=version.created_by,
            )
            members = ids[assignment == cluster["index"]]
            SegmentMember.objects.bulk_create(
                [SegmentMember(segment=segment, customer_id=int(c)) for c in members],
                batch_size=5000,
            )
        audit_record(
            actor=actor, action=AuditEntry.Action.CREATE, obj=version, summary=version.message
        )
    step(4, 5, "Taking snapshots")
    segment_snapshots_take()
    step(5, 5, "Learned")
    return version


def segments_learn_start(*, actor: Any, k: int = 0) -> Job:
    """Queue learning segments as a background task with progress."""
    from ckm.analytics.tasks import segments_learn_task

    require_perm(actor, "analytics.add_segment")
    with transaction.atomic():
        job = job_create(
            kind="analytics.segments", label="Learn customer segments", user=actor, total=5
        )
        job_enqueue(job, segments_learn_task, job_id=job.pk, k=k)
    return job


def segments_learn_job(*, job_id: int, k: int = 0) -> int:
    """What the learning task runs."""
    job_start(job_id=job_id)
    try:
        version = segments_learn(actor=None, k=k, progress=job_progress(job_id))
    except Exception as exc:
        job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise
    job_finish(job_id=job_id, result={"version": version.pk}, message=version.message)
    return version.pk
