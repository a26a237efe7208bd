"""API of campaigns: campaigns (create, plan, launch through the NPV gate, close, results),
members and their outcomes, retraining on the responses. Thin: schemas validate, services write,
selectors read."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ckm.analytics.models import Segment
from ckm.campaigns import selectors, services
from ckm.campaigns.models import Campaign, CampaignMember
from ckm.campaigns.services.planning import BUSINESS_CASE_LIMITS
from ckm.core.apikit import In, Pages, fields_named
from ckm.core.errors import NotFound, ValidationError
from ckm.core.http import AuthedRequest
from ckm.core.models import Team
from ckm.core.permissions import require_perm
from ckm.customers.models import Product

router = Router(tags=["campaigns"])

ChannelIn = Literal["rm_call", "email", "letter", "portal_banner"]
OutcomeIn = Literal["reached", "not_reached", "interested", "converted", "declined"]


def _most(name: str) -> float:
    """The largest value the service takes for a field of the business case."""
    return BUSINESS_CASE_LIMITS[name][0]


class CampaignOut(Schema):
    id: int
    name: str
    objective: str
    description: str
    product_id: int
    channel: str
    starts_on: dt.date
    ends_on: dt.date
    audience: str
    segment_id: int | None
    rule: dict[str, Any]
    selection: str
    selection_value: float
    score_source: str
    model_version_id: int | None
    uplift_model_id: int | None
    control_share: float
    stratify: bool
    consent_purpose: str
    check_consent: bool
    frequency_cap: int
    frequency_days: int
    cost_per_contact: float
    fixed_costs: float
    margin_per_month: float
    margin_months: int
    discount_rate: float
    plan: dict[str, Any]
    expected_conversions: float | None
    expected_npv: float | None
    npv_low: float | None
    npv_high: float | None
    status: str
    launched_at: dt.datetime | None
    override_reason: str


class CampaignIn(In):
    name: str = Field(..., min_length=1, max_length=150)
    objective: Literal["cross_sell", "retention", "activation"] = "cross_sell"
    description: str = Field("", max_length=500)
    product_id: int
    channel: ChannelIn = "rm_call"
    starts_on: dt.date
    ends_on: dt.date
    audience: Literal["segment", "rule", "retention", "all"] = "segment"
    segment_id: int | None = None
    rule: dict[str, Any] = Field(default_factory=dict)
    selection: Literal["all", "top_k", "top_pct", "threshold"] = "all"
    selection_value: float = 0
    score_source: Literal["propensity", "uplift", "churn", "none"] = "propensity"
    control_share: float = Field(0.1, ge=0, le=0.5)
    stratify: bool = True
    consent_purpose: str = "marketing"
    check_consent: bool = True
    frequency_cap: int = Field(2, ge=0)
    frequency_days: int = Field(30, ge=0)
    pool_id: int | None = None
    # the business case within the bounds the service holds it to, stated in the schema
    cost_per_contact: float = Field(5.0, ge=0, le=_most("cost_per_contact"))
    fixed_costs: float = Field(0.0, ge=0, le=_most("fixed_costs"))
    margin_per_month: float = Field(10.0, ge=0, le=_most("margin_per_month"))
    margin_months: int = Field(24, ge=0, le=int(_most("margin_months")))
    discount_rate: float = Field(0.08, ge=0, le=_most("discount_rate"))


class LaunchIn(In):
    override_reason: str = Field("", max_length=500)


class OutcomeIn_(In):
    outcome: OutcomeIn
    occurred_at: dt.datetime | None = None


class CustomerOutcomeIn(In):
    customer_id: str = Field(..., description="The customer's id in the package (external id)")
    outcome: OutcomeIn
    occurred_at: dt.datetime | None = None


class CampaignMemberOut(Schema):
    id: int
    campaign_id: int
    customer_id: int
    customer_external_id: str
    group: str
    score: float | None
    score_factors: list[dict[str, Any]]
    assigned_to: str | None
    outcome: str
    outcome_at: dt.datetime | None
    source: str
    responded: bool
    converted: bool
    converted_at: dt.date | None

    @staticmethod
    def resolve_customer_external_id(m: CampaignMember) -> str:
        return m.customer.external_id

    @staticmethod
    def resolve_assigned_to(m: CampaignMember) -> str | None:
        return m.assigned_to.username if m.assigned_to_id and m.assigned_to else None


class GroupOut(Schema):
    n: int
    contacted: int
    responded: int
    converted: int
    response_rate: float | None
    conversion_rate: float | None


class LiftOut(Schema):
    rate_target: float | None
    rate_control: float | None
    lift: float | None
    low: float | None
    high: float | None
    relative: float | None


class BreakdownOut(Schema):
    name: str
    target: GroupOut
    control: GroupOut
    lift: LiftOut


class ResultsOut(Schema):
    campaign_id: int
    target: GroupOut
    control: GroupOut
    lift: LiftOut
    incremental_conversions: float | None
    planned_npv: float | None
    realised_npv: float | None
    outcomes: dict[str, int]
    by_segment: list[BreakdownOut]
    by_rm: list[BreakdownOut]


class RetrainOut(Schema):
    model_version_id: int
    version: int
    status: str
    auc: float | None
    message: str


def _fields(payload: CampaignIn) -> dict[str, Any]:
    data = payload.dict()
    product = Product.objects.filter(pk=data.pop("product_id")).first()
    if product is None:
        raise NotFound("No such product.")
    segment_id = data.pop("segment_id")
    data["segment"] = Segment.objects.filter(pk=segment_id).first() if segment_id else None
    if segment_id and data["segment"] is None:
        raise NotFound("No such segment.")
    pool_id = data.pop("pool_id")
    data["pool"] = Team.objects.filter(pk=pool_id).first() if pool_id else None
    if pool_id and data["pool"] is None:
        raise ValidationError({"pool_id": "No such team."})
    data["product"] = product
    return data


@router.get("/campaigns", response=list[CampaignOut], summary="Campaigns, newest first")
@paginate(Pages)
def campaign_list(request: AuthedRequest, status: str = "") -> Any:
    return selectors.campaign_list(user=request.user, status=status)


@router.post(
    "/campaigns", response={201: CampaignOut}, summary="Create a draft and build its target list"
)
def campaign_create(request: AuthedRequest, payload: CampaignIn) -> Status[Campaign]:
    # the permission before the look-ups: a role that may not create learns nothing of what exists
    require_perm(request.user, "campaigns.add_campaign")
    with fields_named(segment="segment_id", product="product_id", pool="pool_id"):
        campaign = services.campaign_save(actor=request.user, **_fields(payload))
    campaign = services.campaign_plan(actor=request.user, campaign_id=campaign.pk)
    return Status(201, campaign)


@router.get("/campaigns/{int:campaign_id}", response=CampaignOut, summary="One campaign")
def campaign_get(request: AuthedRequest, campaign_id: int) -> Campaign:
    return selectors.campaign_get(user=request.user, campaign_id=campaign_id)


@router.post(
    "/campaigns/{int:campaign_id}/plan",
    response=CampaignOut,
    summary="Rebuild the target list of a draft with the current scores",
)
def campaign_plan(request: AuthedRequest, campaign_id: int) -> Campaign:
    return services.campaign_plan(actor=request.user, campaign_id=campaign_id)


@router.post(
    "/campaigns/{int:campaign_id}/launch",
    response=CampaignOut,
    summary="Launch (409 when the expected NPV is negative and no override reason is given)",
)
def campaign_launch(request: AuthedRequest, campaign_id: int, payload: LaunchIn) -> Campaign:
    return services.campaign_launch(
        actor=request.user, campaign_id=campaign_id, override_reason=payload.override_reason
    )


@router.post("/campaigns/{int:campaign_id}/close", response=CampaignOut, summary="Close")
def campaign_close(request: AuthedRequest, campaign_id: int) -> Campaign:
    return services.campaign_close(actor=request.user, campaign_id=campaign_id)


@router.get(
    "/campaigns/{int:campaign_id}/results",
    response=ResultsOut,
    summary="Target vs control, lift with its 95 % interval, realised vs planned NPV",
)
def campaign_results(request: AuthedRequest, campaign_id: int) -> dict[str, Any]:
    r = selectors.campaign_results(user=request.user, campaign_id=campaign_id)

    def group(g: selectors.GroupCounts) -> dict[str, Any]:
        return {
            "n": g.n,
            "contacted": g.contacted,
            "responded": g.responded,
            "converted": g.converted,
            "response_rate": g.response_rate,
            "conversion_rate": g.conversion_rate,
        }

    def breakdown(b: selectors.Breakdown) -> dict[str, Any]:
        return {
            "name": b.name,
            "target": group(b.target),
            "control": group(b.control),
            "lift": b.lift.__dict__,
        }

    return {
        "campaign_id": campaign_id,
        "target": group(r.target),
        "control": group(r.control),
        "lift": r.lift.__dict__,
        "incremental_conversions": r.incremental_conversions,
        "planned_npv": r.planned_npv,
        "realised_npv": r.realised_npv,
        "outcomes": r.outcomes,
        "by_segment": [breakdown(b) for b in r.by_segment],
        "by_rm": [breakdown(b) for b in r.by_rm],
    }


@router.get(
    "/campaigns/{int:campaign_id}/members",
    response=list[CampaignMemberOut],
    summary="Members the user may see (group: target or control)",
)
@paginate(Pages)
def campaign_members(request: AuthedRequest, campaign_id: int, group: str = "") -> Any:
    return selectors.campaign_members(user=request.user, campaign_id=campaign_id, group=group)


@router.post(
    "/campaigns/{int:campaign_id}/outcomes",
    response=CampaignMemberOut,
    summary="Record a response for the member who is this customer",
)
def campaign_outcome(
    request: AuthedRequest, campaign_id: int, payload: CustomerOutcomeIn
) -> CampaignMember:
    member = services.member_outcome_by_customer(
        actor=request.user,
        campaign_id=campaign_id,
        customer_external_id=payload.customer_id,
        outcome=payload.outcome,
        source=CampaignMember.Source.API,
        occurred_at=payload.occurred_at,
    )
    return CampaignMember.objects.select_related("customer", "assigned_to").get(pk=member.pk)


@router.get(
    "/campaign-members/mine",
    response=list[CampaignMemberOut],
    summary="My open target-list members",
)
@paginate(Pages)
def my_members(request: AuthedRequest) -> Any:
    return selectors.my_members(user=request.user)


@router.post(
    "/campaign-members/{int:member_id}/outcome",
    response=CampaignMemberOut,
    summary="Record the outcome of one member",
)
def member_outcome(request: AuthedRequest, member_id: int, payload: OutcomeIn_) -> CampaignMember:
    member = services.member_outcome_record(
        actor=request.user,
        member_id=member_id,
        outcome=payload.outcome,
        source=CampaignMember.Source.API,
        occurred_at=payload.occurred_at,
    )
    return CampaignMember.objects.select_related("customer", "assigned_to").get(pk=member.pk)


@router.post(
    "/campaigns/products/{int:product_id}/retrain",
    response=RetrainOut,
    summary="Retrain the product's propensity model on the campaign responses now",
)
def retrain(request: AuthedRequest, product_id: int) -> dict[str, Any]:
    version = services.model_retrain_from_responses(actor=request.user, product_id=product_id)
    return {
        "model_version_id": version.pk,
        "version": version.version,
        "status": version.status,
        "auc": version.auc,
        "message": version.message,
    }
