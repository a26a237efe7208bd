"""Planning a campaign: audience -> eligible (consent, frequency cap) -> scored -> selected ->
a stratified random control group -> expected conversions and NPV.

`plan_compute` does the arithmetic without writing (the builder's live NPV uses it on an unsaved
campaign); `campaign_plan` writes the members and the plan of a draft campaign."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ckm.analytics.features import data_as_of
from ckm.analytics.models import Alert, ModelVersion, Score
from ckm.analytics.segments import definition_queryset
from ckm.analytics.selectors import active_version
from ckm.analytics.services.segments import segment_members
from ckm.campaigns.economics import BusinessCase, NpvEstimate, npv_estimate
from ckm.campaigns.models import Campaign, CampaignMember, UpliftModel
from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import ConflictError, DomainError, NotFound, ValidationError
from ckm.core.models import AuditEntry
from ckm.core.permissions import require_perm
from ckm.customers.models import Consent, ContactPoint, Customer, Holding
from ckm.customers.selectors import customer_queryset

CONSENT_CHANNEL = {
    Campaign.Channel.RM_CALL: Consent.Channel.PHONE,
    Campaign.Channel.EMAIL: Consent.Channel.EMAIL,
    Campaign.Channel.LETTER: Consent.Channel.LETTER,
    Campaign.Channel.PORTAL_BANNER: Consent.Channel.PORTAL,
}
# the contact points a channel needs: the plan says how many in the audience have none (a call
# list of customers with no number to dial is work nobody can do)
REACH_KINDS = {
    Campaign.Channel.RM_CALL: (ContactPoint.Kind.PHONE, ContactPoint.Kind.MOBILE),
    Campaign.Channel.EMAIL: (ContactPoint.Kind.EMAIL,),
}
# a retention contact keeps about one in five of those who would have left (stated assumption,
# used only when no propensity or uplift score says more)
RETENTION_SAVE_RATE = 0.2
PLAN_FIELDS = ["status", "expected_conversions", "expected_npv", "npv_low", "npv_high"]


@dataclass
class PlannedMember:
    customer_id: int
    group: str
    score: float | None
    probability: float
    stratum: int
    reasons: list[Any] = field(default_factory=list)


@dataclass
class Plan:
    as_of: dt.date
    funnel: dict[str, int]
    members: list[PlannedMember]
    estimate: NpvEstimate
    model_version: ModelVersion | None
    uplift_model: UpliftModel | None
    notes: list[str]

    @property
    def n_target(self) -> int:
        return sum(1 for m in self.members if m.group == CampaignMember.Group.TARGET)

    @property
    def n_control(self) -> int:
        return sum(1 for m in self.members if m.group == CampaignMember.Group.CONTROL)

    def summary(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "funnel": self.funnel,
            "n_target": self.n_target,
            "n_control": self.n_control,
            "estimate": self.estimate.as_dict(),
            "model_version": self.model_version.pk if self.model_version else None,
            "model_version_label": str(self.model_version) if self.model_version else "",
            "uplift_model": self.uplift_model.pk if self.uplift_model else None,
            "notes": self.notes,
        }


def business_case(campaign: Campaign) -> BusinessCase:
    return BusinessCase(
        cost_per_contact=campaign.cost_per_contact,
        fixed_costs=campaign.fixed_costs,
        margin_per_month=campaign.margin_per_month,
        margin_months=campaign.margin_months,
        discount_rate=campaign.discount_rate,
    )


def audience_queryset(campaign: Campaign, *, user: Any) -> QuerySet[Customer]:
    """The customers of the campaign's audience that the user may see (closed ones left out)."""
    visible = customer_queryset(user=user).exclude(status=Customer.Status.CLOSED)
    if campaign.audience == Campaign.Audience.SEGMENT:
        if campaign.segment is None:
            raise ValidationError({"segment": "Choose a segment."})
        return visible.filter(pk__in=segment_members(campaign.segment).values("pk"))
    if campaign.audience == Campaign.Audience.RULE:
        return definition_queryset(campaign.rule or {}, customers=visible)
    if campaign.audience == Campaign.Audience.RETENTION:
        require_perm(user, "analytics.view_alert")
        open_alerts = Alert.objects.exclude(status=Alert.Status.RESOLVED)
        return visible.filter(pk__in=open_alerts.values("customer_id"))
    return visible


def _capped(customer_ids: list[int], campaign: Campaign, now: dt.datetime) -> set[int]:
    """Customers who already had `frequency_cap` campaign contacts in the last N days (a call
    assigned by a running campaign counts as one)."""
    if not campaign.frequency_cap:
        return set()
    since = now - dt.timedelta(days=campaign.frequency_days)
    capped: set[int] = set()
    for start in range(0, len(customer_ids), 5000):
        chunk = customer_ids[start : start + 5000]
        # contacts made, and calls assigned by a running campaign but not made yet
        rows = (
            CampaignMember.objects.filter(
                Q(contacted_at__gte=since)
                | Q(
                    contacted_at__isnull=True,
                    campaign__status=Campaign.Status.LAUNCHED,
                    campaign__launched_at__gte=since,
                ),
                customer_id__in=chunk,
                group=CampaignMember.Group.TARGET,
            )
            .exclude(campaign_id=campaign.pk)
            .values("customer_id")
            .annotate(n=Count("id"))
            .filter(n__gte=campaign.frequency_cap)
        )
        capped.update(r["customer_id"] for r in rows)
    return capped


def _consenting(customer_ids: list[int], campaign: Campaign) -> set[int]:
    channel = CONSENT_CHANNEL[Campaign.Channel(campaign.channel)]
    allowed: set[int] = set()
    for start in range(0, len(customer_ids), 5000):
        allowed.update(
            Consent.objects.filter(
                customer_id__in=customer_ids[start : start + 5000],
                purpose=campaign.consent_purpose,
                channel=channel,
                granted=True,
            ).values_list("customer_id", flat=True)
        )
    return allowed


def _reachable(customer_ids: list[int], campaign: Campaign) -> set[int] | None:
    """Those with a contact point the channel needs (a phone number for a call), or None when
    the channel needs none (a letter goes to the customer's address, a banner to the portal)."""
    kinds = REACH_KINDS.get(Campaign.Channel(campaign.channel))
    if kinds is None:
        return None
    reachable: set[int] = set()
    for start in range(0, len(customer_ids), 5000):
        reachable.update(
            ContactPoint.objects.filter(
                customer_id__in=customer_ids[start : start + 5000], kind__in=kinds
            )
            .exclude(value="")
            .values_list("customer_id", flat=True)
        )
    return reachable


def _scores(version: ModelVersion | None, ids: list[int]) -> dict[int, tuple[float, list[Any]]]:
    if version is None or version.current_run_id is None:
        return {}
    out: dict[int, tuple[float, list[Any]]] = {}
    for start in range(0, len(ids), 5000):
        for customer_id, value, reasons in Score.objects.filter(
            run_id=version.current_run_id, customer_id__in=ids[start : start + 5000]
        ).values_list("customer_id", "value", "reasons"):
            out[customer_id] = (float(value), reasons or [])
    return out


def propensity_version(campaign: Campaign) -> ModelVersion | None:
    """The product's active propensity model (the newest generation the registry promoted)."""
    return active_version(slot=f"propensity:{campaign.product.external_id}")


def _deciles(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return np.asarray([], dtype=int)
    order = np.argsort(-values, kind="mergesort")
    ranks = np.empty(len(values), dtype=int)
    ranks[order] = np.arange(len(values))
    return 10 - (ranks * 10 // len(values))


def _select(campaign: Campaign, ids: list[int], scores: np.ndarray) -> np.ndarray:
    """Indexes (into ids) of the selected customers, best score first. Equal scores (a model of
    a few shallow trees gives many) are ordered at random with the campaign's seed, so a cut
    through a tie does not favour the oldest customers; the same campaign picks the same people."""
    tie_break = np.random.default_rng(campaign.seed).random(len(scores))
    order = np.lexsort((tie_break, -scores))
    value = campaign.selection_value
    if campaign.selection == Campaign.Selection.TOP_K:
        return order[: max(int(value), 0)]
    if campaign.selection == Campaign.Selection.TOP_PCT:
        return order[: round(len(ids) * min(max(value, 0.0), 100.0) / 100)]
    if campaign.selection == Campaign.Selection.THRESHOLD:
        return order[scores[order] >= value]
    return order


def _control_flags(strata: np.ndarray, share: float, seed: int, stratify: bool) -> np.ndarray:
    """True for members drawn into the control group: the share within each stratum (or over
    everyone), rounding decided at random so small strata are not always rounded down."""
    rng = np.random.default_rng(seed)
    flags = np.zeros(len(strata), dtype=bool)
    if share <= 0 or len(strata) == 0:
        return flags
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)] if stratify else []
    if not stratify:
        groups = [np.arange(len(strata))]
    for members in groups:
        exact = share * len(members)
        n = int(exact) + int(rng.random() < exact - int(exact))
        if n:
            flags[rng.choice(members, size=n, replace=False)] = True
    return flags


def plan_compute(campaign: Campaign, *, user: Any, now: dt.datetime | None = None) -> Plan:
    """The plan of a campaign (saved or not) as the user would see it; writes nothing."""
    from ckm.campaigns.services.uplift import uplift_active, uplift_scores

    now = now or timezone.now()
    as_of = data_as_of()
    notes: list[str] = []
    audience = audience_queryset(campaign, user=user)
    funnel = {"audience": audience.count()}
    if campaign.objective != Campaign.Objective.RETENTION:
        # who holds the product already is no prospect for it
        holders = Holding.objects.filter(product_id=campaign.product_id).exclude(
            status=Holding.Status.CLOSED
        )
        audience = audience.exclude(pk__in=holders.values("customer_id"))
    ids = list(audience.order_by("pk").values_list("pk", flat=True))
    funnel["without_the_product"] = len(ids)
    if campaign.check_consent:
        consenting = _consenting(ids, campaign)
        ids = [i for i in ids if i in consenting]
        if funnel["without_the_product"] and not ids:
            channel = CONSENT_CHANNEL[Campaign.Channel(campaign.channel)].label.lower()
            notes.append(
                f"Nobody in the audience has consented to {campaign.consent_purpose} by "
                f"{channel}: record consents on the customers' profiles or import consents.csv, "
                "or pick another channel."
            )
    funnel["with_consent"] = len(ids)
    reachable = _reachable(ids, campaign)
    if reachable is not None:
        # said, not left out: the list is the firm's choice of whom to contact, and a number
        # may be found at the branch or recorded before the call
        unreachable = len(ids) - len(reachable & set(ids))
        if unreachable:
            how = (
                "phone number" if campaign.channel == Campaign.Channel.RM_CALL else "e-mail address"
            )
            notes.append(
                f"{unreachable} of the {len(ids)} customers with consent have no {how} on "
                "record: they stay in the audience and are marked on the lists; record one on "
                "their profiles to reach them."
            )
    capped = _capped(ids, campaign, now)
    ids = [i for i in ids if i not in capped]
    funnel["under_frequency_cap"] = len(ids)

    version = propensity_version(campaign)
    uplift_model = None
    propensity = _scores(version, ids)
    if version is None:
        if (
            campaign.score_source == Campaign.ScoreSource.PROPENSITY
            and campaign.selection != Campaign.Selection.ALL
        ):
            # "the top 20 % by score" without scores would be a random draw
            raise DomainError(
                f"{campaign.product.name} has no propensity model yet, so there is no score to "
                "select by: select everyone in the audience, or train a model under Models.",
                field="selection",
            )
        notes.append(f"{campaign.product.name} has no active propensity model yet.")
    elif (
        campaign.score_source == Campaign.ScoreSource.PROPENSITY
        and not CampaignMember.objects.filter(learned_by=version).exists()
    ):
        base = (version.metrics or {}).get("base_rate")
        notes.append(
            f"Model {version} learned who takes a {campaign.product.name} on their own"
            + (f" (base rate {base:.1%})" if isinstance(base, (int, float)) else "")
            + " and no campaign response yet: a contact usually converts more, so expect the "
            "estimate to be cautious. This campaign's outcomes retrain the model for the next."
        )
    ranking: dict[int, tuple[float, list[Any]]] = {}
    probability: dict[int, float] = {i: v for i, (v, _) in propensity.items()}
    if campaign.score_source == Campaign.ScoreSource.PROPENSITY:
        ranking = propensity
    elif campaign.score_source == Campaign.ScoreSource.UPLIFT:
        uplift_model = uplift_active(product_id=campaign.product_id)
        if uplift_model is None:
            raise DomainError(
                "There is no uplift model for this product yet: run a campaign with a control "
                "group, then train one.",
                field="score_source",
            )
        effects = uplift_scores(uplift_model, ids, as_of)
        ranking = {i: (v, []) for i, v in effects.items()}
        probability = dict(effects)  # the incremental conversions are what the contact earns
        version = None
    elif campaign.score_source == Campaign.ScoreSource.CHURN:
        churn = active_version(slot="churn")
        ranking = _scores(churn, ids)
        if not propensity:
            probability = {i: v * RETENTION_SAVE_RATE for i, (v, _) in ranking.items()}
            notes.append(
                f"Expected saves assume a contact keeps {RETENTION_SAVE_RATE:.0%} of those at risk."
            )
        version = churn if churn else version
    if ranking:
        missing = sum(1 for i in ids if i not in ranking)
        if missing:
            notes.append(f"{missing:,} customers have no score and rank last.")
    values = np.asarray([ranking.get(i, (0.0, []))[0] for i in ids], dtype=float)
    picked = _select(campaign, ids, values)
    funnel["selected"] = len(picked)
    chosen_ids = [ids[k] for k in picked]
    chosen_values = values[picked]
    strata = _deciles(chosen_values) if ranking else np.ones(len(picked), dtype=int)
    control = _control_flags(
        strata, min(max(campaign.control_share, 0.0), 0.5), campaign.seed, campaign.stratify
    )
    members = [
        PlannedMember(
            customer_id=customer_id,
            group=CampaignMember.Group.CONTROL if control[k] else CampaignMember.Group.TARGET,
            score=float(chosen_values[k]) if ranking else None,
            probability=max(probability.get(customer_id, 0.0), 0.0),
            stratum=int(strata[k]),
            reasons=ranking.get(customer_id, (0.0, []))[1],
        )
        for k, customer_id in enumerate(chosen_ids)
    ]
    estimate = npv_estimate(
        business_case(campaign),
        [m.probability for m in members if m.group == CampaignMember.Group.TARGET],
    )
    unworked = nobody_to_call(
        campaign, [m.customer_id for m in members if m.group == CampaignMember.Group.TARGET]
    )
    if unworked:
        notes.append(unworked)
    return Plan(
        as_of=as_of,
        funnel=funnel,
        members=members,
        estimate=estimate,
        model_version=version,
        uplift_model=uplift_model,
        notes=notes,
    )


def nobody_to_call(campaign: Campaign, customer_ids: list[int]) -> str:
    """Why a call campaign's list would leave customers uncalled ("" when it would not): a
    customer without an active relationship manager is called by the campaign's pool, and
    without a pool by nobody."""
    if not campaign.uses_lists or campaign.pool_id is not None or not customer_ids:
        return ""
    owned = set(
        Customer.objects.filter(pk__in=customer_ids, owner__is_active=True).values_list(
            "pk", flat=True
        )
    )
    unowned = len(set(customer_ids) - owned)
    if not unowned:
        return ""
    return (
        f"{unowned:,} of the {len(customer_ids):,} customers to call have no relationship "
        "manager: choose a pool (a team) to call them."
    )


# Upper bounds of the business case, far beyond any real campaign yet low enough that a slip of
# the keyboard (a margin of 1e12 a month for 100,000 months) is refused rather than planned on.
BUSINESS_CASE_LIMITS: dict[str, tuple[float, str]] = {
    "cost_per_contact": (1e7, "At most 10,000,000 per contact."),
    "fixed_costs": (1e10, "At most 10,000,000,000 in fixed costs."),
    "margin_per_month": (1e7, "At most 10,000,000 margin a month per conversion."),
    # 50 years: longer than any customer relationship the margin could last
    "margin_months": (600, "At most 600 months (50 years)."),
    # an annual rate as a fraction: 1 is 100 % a year
    "discount_rate": (1.0, "An annual rate between 0 and 1 (0.08 for 8 %)."),
}


def campaign_validate(campaign: Campaign) -> None:
    """Field checks beyond the model's: dates, shares, the audience's source, the business case's
    bounds."""
    errors: dict[str, str] = {}
    if campaign.ends_on and campaign.starts_on and campaign.ends_on < campaign.starts_on:
        errors["ends_on"] = "The campaign ends before it starts."
    if not 0 <= campaign.control_share <= 0.5:
        errors["control_share"] = "Keep between 0 and 50 % as control."
    if campaign.consent_purpose not in Consent.Purpose.values:
        errors["consent_purpose"] = (
            f"Choose a consent purpose: {', '.join(Consent.Purpose.values)}."
        )
    if campaign.audience == Campaign.Audience.SEGMENT and campaign.segment_id is None:
        errors["segment"] = "Choose a segment."
    if campaign.audience == Campaign.Audience.RULE:
        from ckm.analytics.segments import definition_validate

        try:
            campaign.rule = definition_validate(campaign.rule)
        except ValidationError as exc:
            errors["rule"] = " ".join(exc.messages)
    if campaign.selection in (Campaign.Selection.TOP_K, Campaign.Selection.TOP_PCT) and (
        campaign.selection_value <= 0
    ):
        errors["selection_value"] = "Give how many (k) or what share (%) to select."
    if campaign.selection == Campaign.Selection.TOP_PCT and campaign.selection_value > 100:
        errors["selection_value"] = "A share is at most 100 %."
    if campaign.selection == Campaign.Selection.THRESHOLD:
        # scores are probabilities; an uplift is a difference of two, so it may be negative
        lowest = -1.0 if campaign.score_source == Campaign.ScoreSource.UPLIFT else 0.0
        if not lowest <= campaign.selection_value <= 1:
            errors["selection_value"] = (
                f"A score threshold is between {lowest:g} and 1, e.g. 0.3 for a score of 30 %."
            )
    if campaign.selection != Campaign.Selection.ALL and (
        campaign.score_source == Campaign.ScoreSource.NONE
    ):
        errors["score_source"] = "Selecting the best needs a score."
    for name in ("cost_per_contact", "fixed_costs", "margin_per_month", "discount_rate"):
        if getattr(campaign, name) < 0:
            errors[name] = "Cannot be negative."
    for name, (most, message) in BUSINESS_CASE_LIMITS.items():
        if name not in errors and getattr(campaign, name) > most:
            errors[name] = message
    if errors:
        raise ValidationError(errors)


CAMPAIGN_FIELDS = [
    "name",
    "objective",
    "description",
    "product",
    "channel",
    "starts_on",
    "ends_on",
    "audience",
    "segment",
    "rule",
    "selection",
    "selection_value",
    "score_source",
    "control_share",
    "stratify",
    "seed",
    "consent_purpose",
    "check_consent",
    "frequency_cap",
    "frequency_days",
    "pool",
    "cost_per_contact",
    "fixed_costs",
    "margin_per_month",
    "margin_months",
    "discount_rate",
]


@transaction.atomic
def campaign_save(*, actor: Any, campaign_id: int | None = None, **fields: Any) -> Campaign:
    """Create a draft campaign or change one (only drafts change; the plan is then rebuilt)."""
    require_perm(
        actor, "campaigns.add_campaign" if campaign_id is None else "campaigns.change_campaign"
    )
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise ValidationError({k: "Unknown field." for k in sorted(unknown)})
    if campaign_id is None:
        campaign = Campaign(created_by=actor)
        before: dict[str, Any] = {}
    else:
        found = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if found is None:
            raise NotFound("No such campaign.")
        campaign = found
        if not campaign.is_editable:
            raise ConflictError("Only a draft campaign can be changed.")
        before = snapshot(campaign, CAMPAIGN_FIELDS)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign_validate(campaign)
    campaign.full_clean()
    campaign.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE if not before else AuditEntry.Action.UPDATE,
        obj=campaign,
        before=before or None,
        after=snapshot(campaign, CAMPAIGN_FIELDS),
    )
    if before:
        # the old target list no longer describes the campaign
        CampaignMember.objects.filter(campaign=campaign).delete()
        Campaign.objects.filter(pk=campaign.pk).update(
            plan={}, expected_npv=None, expected_conversions=None, npv_low=None, npv_high=None
        )
        campaign.refresh_from_db()
    return campaign


@transaction.atomic
def campaign_plan(*, actor: Any, campaign_id: int) -> Campaign:
    """Build the target list of a draft campaign: members (target and control), their scores
    and reasons, the expected conversions and NPV, and the model version used."""
    from ckm.analytics.explain import reason_words
    from ckm.analytics.selectors import segment_memberships

    require_perm(actor, "campaigns.change_campaign")
    campaign = (
        Campaign.objects.select_for_update()
        .select_related("product")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise NotFound("No such campaign.")
    if not campaign.is_editable:
        raise ConflictError("The target list of a launched or approved campaign is fixed.")
    plan = plan_compute(campaign, user=actor)
    CampaignMember.objects.filter(campaign=campaign).delete()
    segments = segment_memberships(customer_ids=[m.customer_id for m in plan.members])
    version = plan.model_version
    rows = [
        CampaignMember(
            campaign=campaign,
            customer_id=m.customer_id,
            group=m.group,
            score=m.score,
            stratum=m.stratum,
            score_factors=reason_words(version, m.reasons)[:4] if version and m.reasons else [],
            segment_names=segments.get(m.customer_id, [])[:3],
        )
        for m in plan.members
    ]
    CampaignMember.objects.bulk_create(rows, batch_size=2000)
    campaign.plan = plan.summary()
    campaign.model_version = plan.model_version
    campaign.uplift_model = plan.uplift_model
    campaign.expected_conversions = plan.estimate.expected_conversions
    campaign.expected_npv = plan.estimate.npv
    campaign.npv_low = plan.estimate.npv_low
    campaign.npv_high = plan.estimate.npv_high
    campaign.planned_at = timezone.now()
    campaign.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=campaign,
        summary=(
            f"target list built: {plan.n_target} target, {plan.n_control} control, "
            f"expected NPV {plan.estimate.npv:,.0f}"
        ),
    )
    return campaign
