"""The closed loop: campaign outcomes become training labels, one action (or the schedule)
retrains the product's propensity model with them, and the next campaign uses the new version.

A converted or declined target member becomes a `took_<product id>` label (1 or 0) dated on the
day the campaign's scores describe - so the model learns from the features the campaign saw,
never from the conversion itself. The analytics training service uses those labels as its
examples for the product (see ckm.analytics.services.training). A retrained version is promoted
when it ranks better than chance (AUC >= 0.55): it answers a different, better question - who
buys when we call - than the version learned from holdings, so the two AUCs are not compared.

Every member remembers when its label was written and the first model version that learned
from it: the registry's "time from response to model"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ckm.analytics.learning import TrainingError
from ckm.analytics.models import ModelVersion
from ckm.campaigns.models import Campaign, CampaignMember
from ckm.core.audit import audit_record
from ckm.core.errors import DomainError, NotFound
from ckm.core.jobs import job_create, job_enqueue, job_fail, job_finish, job_start
from ckm.core.models import AuditEntry, Job
from ckm.core.permissions import require_perm
from ckm.customers.models import Label, Product

MIN_AUC = 0.55
MIN_LABELS = 60


def label_name(product: Product) -> str:
    return f"took_{product.external_id}".lower()[:60]


def _label_day(member: CampaignMember) -> dt.date:
    plan = member.campaign.plan or {}
    if plan.get("as_of"):
        return dt.date.fromisoformat(plan["as_of"])
    launched = member.campaign.launched_at
    # the local day: a launch at 00:30 in Berlin is still the day before in UTC
    return timezone.localdate(launched) if launched else timezone.localdate()


def label_write(member: CampaignMember) -> Label:
    """The member's outcome as a training label (1 converted, 0 otherwise); idempotent."""
    campaign = member.campaign
    value = 1 if member.converted else 0
    label, _ = Label.objects.update_or_create(
        external_id=f"campaign-{campaign.pk}-{member.customer_id}",
        defaults={
            "customer_id": member.customer_id,
            "name": label_name(campaign.product),
            "value": str(value),
            "value_number": float(value),
            "as_of": _label_day(member),
        },
    )
    CampaignMember.objects.filter(pk=member.pk).update(label_at=timezone.now(), learned_by=None)
    member.label_at = timezone.now()
    member.learned_by = None
    return label


def labels_pending(*, product_id: int) -> int:
    """Outcomes of a product's campaigns that no model has learned from yet."""
    return CampaignMember.objects.filter(
        campaign__product_id=product_id, label_at__isnull=False, learned_by__isnull=True
    ).count()


def model_retrain_from_responses(*, actor: Any, product_id: int) -> ModelVersion:
    """Retrain the product's propensity model on the campaign labels; promote it when it ranks
    better than chance; mark the outcomes it learned from."""
    from ckm.analytics.services.scoring import model_promote, model_score
    from ckm.analytics.services.training import model_train

    if actor is not None:
        require_perm(actor, "campaigns.retrain_from_responses")
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    name = label_name(product)
    n_labels = Label.objects.filter(name=name).count()
    if n_labels < MIN_LABELS:
        raise DomainError(
            f"{n_labels} campaign outcomes for {product.name} so far: at least {MIN_LABELS} "
            "are needed to learn from."
        )
    started_at = timezone.now()
    try:
        version = model_train(
            actor=None,
            kind=ModelVersion.Kind.PROPENSITY,
            product_id=product.pk,
            label=name,
            horizon_days=0,
            folds=3,
            auto_promote=False,
            score=False,
        )
    except TrainingError as exc:
        raise DomainError(f"Training failed: {exc}") from exc
    # the training above records its own version (also a failed one); the promotion, the
    # outcomes it learned and the entry are one change; scoring runs after it, in batches
    promoted = False
    with transaction.atomic():
        if version.status == ModelVersion.Status.CANDIDATE and (version.auc or 0) >= MIN_AUC:
            version = model_promote(actor=None, version_id=version.pk, score=False)
            promoted = True
        learned = CampaignMember.objects.filter(
            campaign__product_id=product.pk,
            label_at__isnull=False,
            label_at__lte=started_at,
            learned_by__isnull=True,
        ).update(learned_by=version)
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=version,
            summary=(
                f"retrained on {n_labels} campaign outcomes ({learned} new): {version.message}; "
                f"{version.get_status_display().lower()}"
            ),
        )
    if promoted and version.current_run_id is None:
        model_score(actor=None, version_id=version.pk)
        version.refresh_from_db()
    return version


def retrain_start(*, actor: Any, product_id: int) -> Job:
    """Queue the retraining as a background task (the Campaigns page's one action)."""
    from ckm.campaigns.tasks import retrain_task

    require_perm(actor, "campaigns.retrain_from_responses")
    if not Product.objects.filter(pk=product_id).exists():
        raise NotFound("No such product.")
    with transaction.atomic():
        job = job_create(
            kind="campaigns.retrain", label="Retrain on campaign responses", user=actor, total=1
        )

        job_enqueue(job, retrain_task, job_id=job.pk, product_id=product_id)
    return job


def retrain_job(*, job_id: int, product_id: int) -> int:
    """What the retrain task runs."""
    job_start(job_id=job_id)  # the log names the person who asked for it (the job's context)
    try:
        version = model_retrain_from_responses(actor=None, product_id=product_id)
    except Exception as exc:
        job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise
    job_finish(job_id=job_id, result={"version": version.pk}, message=version.message)
    return version.pk


def loop_schedule_run(*, now: dt.datetime | None = None) -> list[int]:
    """The schedule: retrain each product whose campaigns have at least
    CKM_CAMPAIGNS_RETRAIN_MIN_NEW (20) outcomes no model has learned from yet."""
    threshold = int(getattr(settings, "CKM_CAMPAIGNS_RETRAIN_MIN_NEW", 20))
    retrained = []
    products = set(
        Campaign.objects.filter(
            status__in=[Campaign.Status.LAUNCHED, Campaign.Status.CLOSED]
        ).values_list("product_id", flat=True)
    )
    for product_id in sorted(products):
        if labels_pending(product_id=product_id) >= threshold:
            try:
                retrained.append(model_retrain_from_responses(actor=None, product_id=product_id).pk)
            except DomainError:
                continue
    return retrained
