"""What the demo needs from campaigns: one past campaign with a control group whose responses
arrived (so results, the retraining loop and an uplift model work at once), and one planned.

The past campaign's responses are simulated: a member buys with their propensity score without
the call, and the call adds an effect that is larger for better prospects - the kind of
heterogeneous effect an uplift model can find. Buyers get a real holding of the product, so the
conversion detection finds them as it would after an import."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ckm.analytics.features import data_as_of, local_start
from ckm.analytics.models import ModelVersion, Segment
from ckm.campaigns.models import Campaign, CampaignMember
from ckm.campaigns.services.execution import (
    _apply_outcome,
    campaign_close,
    campaign_launch,
    conversions_detect,
)
from ckm.campaigns.services.loop import model_retrain_from_responses
from ckm.campaigns.services.planning import campaign_plan, campaign_save
from ckm.campaigns.services.uplift import uplift_train
from ckm.core.errors import DomainError
from ckm.core.models import Role, Team, User
from ckm.customers.models import CustomerEvent, Holding, Product

log = logging.getLogger(__name__)


def demo_product() -> Product | None:
    """The product with an active, scored propensity model (the demo's campaign product)."""
    version = (
        ModelVersion.objects.filter(
            kind=ModelVersion.Kind.PROPENSITY,
            status=ModelVersion.Status.ACTIVE,
            current_run__isnull=False,
            product__isnull=False,
        )
        .select_related("product")
        .order_by("slot")
        .first()
    )
    return version.product if version else None


@transaction.atomic
def simulate_responses(
    *, campaign: Campaign, seed: int = 7, effect: float = 0.25, start: dt.date | None = None
) -> dict[str, int]:
    """Simulate a launched campaign's outcomes: buyers (target and control) get a holding of the
    product opened during the campaign; target members get an outcome from the list."""
    rng = np.random.default_rng(seed)
    members = list(
        CampaignMember.objects.filter(campaign=campaign)
        .select_related("campaign", "campaign__product", "assigned_to")
        .order_by("id")
    )
    if not members:
        return {"converted": 0}
    # customers without a relationship manager were called by someone of the campaign's pool
    pool = list(User.objects.filter(team=campaign.pool_id, is_active=True).order_by("pk"))
    scores = np.asarray([m.score or 0.0 for m in members], dtype=float)
    ranks = scores.argsort().argsort() / max(len(scores) - 1, 1)
    first = start or campaign.starts_on
    span = max((campaign.ends_on - first).days, 1)
    holdings = []
    converted = 0
    for member, score, rank in zip(members, scores, ranks, strict=True):
        base = min(0.02 + score, 0.6)
        # better prospects respond more to the call; the bottom third hardly at all
        lift = effect * max(rank - 0.33, 0.0) * 1.5
        target = member.group == CampaignMember.Group.TARGET
        buys = rng.random() < base + (lift if target else 0.0)
        if buys:
            converted += 1
            opened = first + dt.timedelta(days=int(rng.integers(1, span)))
            holdings.append(
                Holding(
                    external_id=f"demo-campaign-{campaign.pk}-{member.customer_id}",
                    customer_id=member.customer_id,
                    product=campaign.product,
                    opened=opened,
                    status=Holding.Status.ACTIVE,
                )
            )
        if target and not buys:
            outcome = str(
                rng.choice(
                    [
                        CampaignMember.Outcome.DECLINED,
                        CampaignMember.Outcome.NOT_REACHED,
                        CampaignMember.Outcome.REACHED,
                        CampaignMember.Outcome.INTERESTED,
                    ],
                    p=[0.55, 0.2, 0.15, 0.1],
                )
            )
            moment = local_start(first + dt.timedelta(days=int(rng.integers(1, span))))
            # in working hours, as a call is (the hour from the member: the draws stay as they were)
            moment += dt.timedelta(hours=9 + member.pk % 8, minutes=(member.pk * 7) % 60)
            _apply_outcome(
                member,
                outcome=outcome,
                source=CampaignMember.Source.UI,
                actor=member.assigned_to or (pool[member.pk % len(pool)] if pool else None),
                at=moment,
            )
    Holding.objects.bulk_create(holdings, ignore_conflicts=True)
    conversions_detect(campaign_id=campaign.pk, until=campaign.ends_on)
    # detection stamps its outcomes now; in the demo they were found when the product was
    # opened, during the campaign (else they would follow its close by months)
    detected = CampaignMember.objects.filter(
        campaign=campaign,
        source=CampaignMember.Source.DETECTED,
        converted_at__isnull=False,
        outcome_at__isnull=False,
    )
    for day in set(detected.values_list("converted_at", flat=True)):
        if day is not None:
            detected.filter(converted_at=day).update(
                outcome_at=local_start(day) + dt.timedelta(hours=10)
            )
    return {"converted": converted}


def _backdate(campaign: Campaign, start: dt.date, end: dt.date) -> None:
    """A demo campaign that ran in the past: its dates, and the day its scores describe."""
    plan = dict(campaign.plan)
    plan["as_of"] = start.isoformat()
    # planned, approved (or overridden) the working day before, launched on the first day
    before = local_start(start - dt.timedelta(days=1))
    moments = {"planned_at": before, "approved_at": before, "launched_at": local_start(start)}
    if campaign.override_at is not None:
        moments["override_at"] = before
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_on=start, ends_on=end, plan=plan, **moments
    )
    CampaignMember.objects.filter(campaign=campaign, contacted_at__isnull=False).update(
        contacted_at=local_start(start)
    )
    # the launch put every target member on their customer's timeline: on the day it ran
    CustomerEvent.objects.filter(
        source="campaigns",
        kind__in=["campaign_assigned", "campaign_contact"],
        payload__campaign=campaign.pk,
    ).update(occurred_at=local_start(start))
    campaign.refresh_from_db()


def _demo_pool() -> Team | None:
    """The team that calls customers without a relationship manager: the contact centre with
    the most agents."""
    return (
        Team.objects.filter(members__role=Role.AGENT, members__is_active=True)
        .annotate(n=Count("members"))
        .order_by("-n", "name")
        .first()
    )


def campaigns_seed_demo(*, actor: Any = None) -> dict[str, Any]:
    """Seed campaigns on the demo bank: a past call campaign with a control group, responses and
    conversions, closed; the propensity model retrained on its responses; an uplift model; and a
    planned campaign for a segment that uses the new model version. Needs the analytics seed."""
    product = demo_product()
    if product is None:
        log.warning("demo campaigns not seeded: no product has a scored propensity model")
        return {"campaigns": 0}
    as_of = data_as_of()
    start, end = as_of - dt.timedelta(days=90), as_of - dt.timedelta(days=30)
    report: dict[str, Any] = {"product": product.name}
    pool = _demo_pool()
    past = campaign_save(
        actor=actor,
        name=f"{product.name}: {start:%B} calls",
        objective=Campaign.Objective.CROSS_SELL,
        description=f"Relationship managers call customers likely to take up a {product.name}.",
        product=product,
        channel=Campaign.Channel.RM_CALL,
        starts_on=start,
        # launched as on its first day: a campaign already ended cannot launch, so it ends
        # today until _backdate gives it the dates it ran
        ends_on=max(end, timezone.localdate()),
        audience=Campaign.Audience.ALL,
        selection=Campaign.Selection.ALL,
        selection_value=0,
        score_source=Campaign.ScoreSource.PROPENSITY,
        control_share=0.3,
        frequency_cap=3,
        frequency_days=30,
        pool=pool,
        cost_per_contact=6.0,
        fixed_costs=500.0,
        margin_per_month=8.0,
        margin_months=24,
        discount_rate=0.08,
    )
    past = campaign_plan(actor=actor, campaign_id=past.pk)
    try:
        past = campaign_launch(
            actor=actor,
            campaign_id=past.pk,
            override_reason=""
            if (past.expected_npv or 0) >= 0
            else "A pilot: learn who responds to a call",
        )
    except DomainError as exc:
        log.warning("demo campaign not launched: %s", exc)
        return report
    _backdate(past, start, end)
    report["past"] = simulate_responses(campaign=past, start=start)
    campaign_close(actor=actor, campaign_id=past.pk)
    Campaign.objects.filter(pk=past.pk).update(closed_at=local_start(end + dt.timedelta(days=1)))
    # the campaign happened months ago: its outcomes were recorded then
    CampaignMember.objects.filter(campaign=past, outcome_at__isnull=False).update(
        label_at=local_start(end)
    )
    try:
        version = model_retrain_from_responses(actor=None, product_id=product.pk)
        report["retrained"] = version.message
    except DomainError as exc:
        log.warning("demo retraining not done: %s", exc)
    try:
        report["uplift"] = uplift_train(actor=None, product_id=product.pk).message
    except DomainError as exc:
        log.warning("demo uplift model not trained: %s", exc)
    segment = (
        Segment.objects.filter(is_active=True, kind=Segment.Kind.RULE).order_by("name").first()
    )
    planned = campaign_save(
        actor=actor,
        name=f"{product.name}: calls from {timezone.localdate():%B}",
        objective=Campaign.Objective.CROSS_SELL,
        description=f"The best prospects for a {product.name}, with the retrained model.",
        product=product,
        channel=Campaign.Channel.RM_CALL,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=45),
        audience=Campaign.Audience.SEGMENT if segment else Campaign.Audience.ALL,
        segment=segment,
        selection=Campaign.Selection.TOP_PCT,
        selection_value=50,
        score_source=Campaign.ScoreSource.PROPENSITY,
        control_share=0.2,
        pool=pool,
        cost_per_contact=6.0,
        fixed_costs=200.0,
        margin_per_month=8.0,
        margin_months=24,
    )
    campaign_plan(actor=actor, campaign_id=planned.pk)
    report["campaigns"] = 2
    return report
