"""Uplift models learned from the campaigns' randomised history: the members of past campaigns
of a product that kept a control group, their features as of the planning day, whether they
converted; the learner in ckm.campaigns.uplift; one registry row per generation."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ckm.analytics.features import build_features, data_as_of, make_keys
from ckm.campaigns.models import Campaign, CampaignMember, UpliftModel
from ckm.campaigns.uplift import GRID, SMALL_GRID, fit_uplift, qini_auc_score, uplift_at_k
from ckm.core.artifacts import artifact_load, artifact_save
from ckm.core.audit import audit_record
from ckm.core.errors import DomainError, NotFound
from ckm.core.models import AuditEntry
from ckm.core.permissions import require_perm
from ckm.customers.models import Product

MIN_MEMBERS = 100


@dataclass
class UpliftArtifact:
    pre: Any  # ckm.analytics.learning.Preprocessor
    model: Any  # ckm.campaigns.uplift.UpliftEnsemble
    exclude: list[str]


def uplift_active(*, product_id: int) -> UpliftModel | None:
    """The product's active uplift model, if one was trained."""
    return (
        UpliftModel.objects.select_related("product")
        .filter(product_id=product_id, status=UpliftModel.Status.ACTIVE)
        .order_by("-version")
        .first()
    )


def randomised_history(product_id: int) -> list[Campaign]:
    """Launched or closed campaigns of a product that kept a random control group."""
    return list(
        Campaign.objects.filter(
            product_id=product_id,
            status__in=[Campaign.Status.LAUNCHED, Campaign.Status.CLOSED],
            control_share__gt=0,
        )
        .filter(members__group=CampaignMember.Group.CONTROL)
        .distinct()
        .order_by("launched_at")
    )


def _as_of(campaign: Campaign) -> dt.date:
    value = (campaign.plan or {}).get("as_of")
    if value:
        return dt.date.fromisoformat(value)
    # the local day, as for every day of the data: 00:30 in Berlin is the day before in UTC
    return timezone.localdate(campaign.launched_at or campaign.created_at)


def _frame(ids: list[int], days: list[dt.date], exclude: set[str]) -> pd.DataFrame:
    return build_features(make_keys(ids, days), exclude=exclude).frame


def uplift_train(*, actor: Any, product_id: int, seed: int = 42) -> UpliftModel:
    """Train the product's uplift model on every randomised campaign of it; it becomes active."""
    from ckm.analytics.learning import Preprocessor

    if actor is not None:
        require_perm(actor, "campaigns.retrain_from_responses")
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    campaigns = randomised_history(product_id)
    if not campaigns:
        raise DomainError(
            "No launched campaign of this product kept a control group: there is no randomised "
            "history to learn the incremental effect from."
        )
    started = time.monotonic()
    rows = list(
        CampaignMember.objects.filter(campaign__in=campaigns)
        .order_by("campaign_id", "customer_id")
        .values_list("campaign_id", "customer_id", "group", "converted")
    )
    if len(rows) < MIN_MEMBERS:
        raise DomainError(f"Only {len(rows)} members in the randomised campaigns: too few.")
    by_campaign = {c.pk: _as_of(c) for c in campaigns}
    ids = [r[1] for r in rows]
    days = [by_campaign[r[0]] for r in rows]
    t = np.asarray([r[2] == CampaignMember.Group.TARGET for r in rows], dtype=int)
    y = np.asarray([bool(r[3]) for r in rows], dtype=int)
    exclude = {f"took_{product.external_id}".lower()}
    frame = _frame(ids, days, exclude)
    pre = Preprocessor.fit(frame)
    x = pre.tree_input(frame)
    try:
        model = fit_uplift(
            x, y, t, grid=GRID if len(rows) >= 5000 else SMALL_GRID, folds=3, seed=seed
        )
    except ValueError as exc:
        raise DomainError(str(exc)) from exc
    # in-sample measures (the CV Qini and uplift@30 per learner are in params): a sanity check,
    # not a test
    fitted = model.predict(x)
    metrics = {
        "qini_auc_in_sample": round(qini_auc_score(y, fitted, t), 4),
        "uplift_at_30_in_sample": round(uplift_at_k(y, fitted, t, 0.3), 4),
        "ate": round(float(y[t == 1].mean() - y[t == 0].mean()), 4) if t.any() else None,
        "cv_qini": {k: v.get("cv_qini") for k, v in model.params.items()},
        "cv_uplift_at_30": {k: v.get("cv_uplift_at_30") for k, v in model.params.items()},
        "seconds": round(time.monotonic() - started, 1),
    }
    artifact = artifact_save(UpliftArtifact(pre, model, sorted(exclude)), kind="campaigns")
    with transaction.atomic():
        latest = UpliftModel.objects.filter(product_id=product_id).aggregate(n=Max("version"))["n"]
        UpliftModel.objects.filter(product_id=product_id, status=UpliftModel.Status.ACTIVE).update(
            status=UpliftModel.Status.RETIRED
        )
        row = UpliftModel.objects.create(
            product=product,
            version=int(latest or 0) + 1,
            status=UpliftModel.Status.ACTIVE,
            campaigns=[c.pk for c in campaigns],
            n_treated=int(t.sum()),
            n_control=int(len(t) - t.sum()),
            metrics=metrics,
            features=pre.names,
            exclude=sorted(exclude),
            artifact=artifact,
            message=(
                f"learned from {len(campaigns)} campaign(s): {int(t.sum())} contacted, "
                f"{int(len(t) - t.sum())} control; observed effect {metrics['ate']}"
            ),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=row, summary=row.message)
    return row


def uplift_scores(
    model: UpliftModel, customer_ids: list[int], as_of: dt.date | None = None
) -> dict[int, float]:
    """The estimated incremental conversion probability of contacting each customer."""
    if not customer_ids:
        return {}
    stored = artifact_load(model.artifact)
    if not isinstance(stored, UpliftArtifact):
        raise DomainError(f"{model}: the artefact is not an uplift model")
    day = as_of or data_as_of()
    out: dict[int, float] = {}
    for start in range(0, len(customer_ids), 50_000):
        chunk = customer_ids[start : start + 50_000]
        frame = _frame(chunk, [day] * len(chunk), set(stored.exclude))
        values = stored.model.predict(stored.pre.tree_input(frame))
        out.update(zip(chunk, (float(v) for v in values), strict=True))
    return out
