"""API of analytics: customer knowledge (value, CLV, scores and reasons), the model registry,
prospects, segments, the retention list and its rules, value settings. Thin: schemas validate,
services write, selectors read."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ckm.analytics import selectors, services
from ckm.analytics.models import Alert, AlertRule, ModelVersion
from ckm.core.apikit import In, JobOut, Pages, job_answer
from ckm.core.errors import NotFound
from ckm.core.http import AuthedRequest
from ckm.core.models import Job

router = Router(tags=["analytics"])


class ReasonOut(Schema):
    feature: str
    text: str
    verb: str
    direction: str
    effect: float


class ScoreOut(Schema):
    slot: str
    title: str
    model_version: int
    value: float
    decile: int
    reasons: list[ReasonOut]


class ValueOut(Schema):
    as_of: dt.date
    balance: float
    revenue: float
    cost_to_serve: float
    profit: float
    recency_days: int | None
    frequency: int
    monetary: float
    rfm: str
    expected_purchases: float | None
    p_alive: float | None
    clv: float | None
    value_decile: int | None


class AlertOut(Schema):
    id: int
    customer_id: int
    customer: str
    rule: str | None
    reason: str
    details: dict[str, Any]
    status: str
    owner: str | None
    raised_at: dt.datetime
    note: str

    @staticmethod
    def resolve_customer(a: Alert) -> str:
        return a.customer.display_name

    @staticmethod
    def resolve_rule(a: Alert) -> str | None:
        return a.rule.name if a.rule_id and a.rule else None

    @staticmethod
    def resolve_owner(a: Alert) -> str | None:
        return a.owner.username if a.owner_id and a.owner else None


class KnowledgeOut(Schema):
    customer_id: int
    value: ValueOut | None
    churn: ScoreOut | None
    propensities: list[ScoreOut]
    alerts: list[AlertOut]
    segments: list[str]


def _score_out(view: selectors.ScoreView) -> dict[str, Any]:
    return {
        "slot": view.version.slot,
        "title": view.version.title,
        "model_version": view.version.pk,
        "value": view.value,
        "decile": view.decile,
        "reasons": view.reasons,
    }


@router.get(
    "/analytics/customers/{int:customer_id}",
    response=KnowledgeOut,
    summary="A customer's value, CLV, churn risk, propensities and their reasons",
)
def customer_knowledge(request: AuthedRequest, customer_id: int) -> dict[str, Any]:
    k = selectors.customer_knowledge(user=request.user, customer_id=customer_id)
    return {
        "customer_id": k.customer.pk,
        "value": k.value,
        "churn": _score_out(k.churn) if k.churn else None,
        "propensities": [_score_out(p) for p in k.propensities],
        "alerts": k.alerts,
        "segments": [s.name for s in k.segments],
    }


class ModelVersionOut(Schema):
    id: int
    kind: str
    slot: str
    version: int
    title: str
    target: str
    product: str | None
    status: str
    horizon_days: int
    window_start: dt.date | None
    window_end: dt.date | None
    features: list[dict[str, Any]]
    metrics: dict[str, Any]
    n_examples: int
    n_positive: int
    training_seconds: float
    created_at: dt.datetime
    promoted_at: dt.datetime | None
    message: str
    last_scored: dt.datetime | None
    scored: int | None
    psi: float | None

    @staticmethod
    def resolve_product(v: ModelVersion) -> str | None:
        return v.product.external_id if v.product_id and v.product else None

    @staticmethod
    def resolve_last_scored(v: ModelVersion) -> dt.datetime | None:
        return v.current_run.finished_at if v.current_run_id and v.current_run else None

    @staticmethod
    def resolve_scored(v: ModelVersion) -> int | None:
        return v.current_run.n_scored if v.current_run_id and v.current_run else None

    @staticmethod
    def resolve_psi(v: ModelVersion) -> float | None:
        return v.current_run.psi if v.current_run_id and v.current_run else None


class ModelFilterIn(In):
    slot: str = ""
    status: Literal["", "training", "candidate", "active", "retired", "failed"] = ""


@router.get(
    "/analytics/models", response=list[ModelVersionOut], summary="The model registry: every version"
)
def model_list(request: AuthedRequest, filters: Query[ModelFilterIn]) -> list[ModelVersion]:
    versions = [
        v
        for slot in selectors.model_slots(user=request.user, include_benchmarks=True)
        for v in slot.versions
    ]
    if filters.slot:
        versions = [v for v in versions if v.slot == filters.slot]
    if filters.status:
        versions = [v for v in versions if v.status == filters.status]
    return versions


@router.get(
    "/analytics/models/{int:version_id}",
    response=ModelVersionOut,
    summary="One model version with its metrics",
)
def model_get(request: AuthedRequest, version_id: int) -> ModelVersion:
    return selectors.model_version_get(user=request.user, version_id=version_id)


class TrainIn(In):
    kind: Literal["churn", "propensity"]
    product: str = Field("", description="Product id (propensity)")
    label: str = Field("", max_length=60, description="Outcome label; empty: the default target")
    horizon_days: int | None = Field(None, ge=0, le=730)
    auto_promote: bool = False


class ModelJobOut(JobOut):
    model_version: int | None = None


def _job(job: Job | None, version: ModelVersion | None = None) -> dict[str, Any]:
    if job is None:
        raise NotFound("No job.")
    return job_answer(job, model_version=version.pk if version else None)


@router.post(
    "/analytics/models/train",
    response={202: ModelJobOut},
    summary="Train a model version in the background",
)
def model_train(request: AuthedRequest, payload: TrainIn) -> Status[dict[str, Any]]:
    from ckm.customers.models import Product

    product_id = None
    if payload.kind == "propensity":
        product = Product.objects.filter(external_id=payload.product).first()
        if product is None:
            raise ValidationError({"product": "Give the id of an existing product."})
        product_id = product.pk
    version = services.model_train_start(
        actor=request.user,
        kind=payload.kind,
        product_id=product_id,
        label=payload.label,
        horizon_days=payload.horizon_days,
        auto_promote=payload.auto_promote,
    )
    return Status(202, _job(version.job, version))


@router.post(
    "/analytics/models/{int:version_id}/promote",
    response=ModelVersionOut,
    summary="Make a version the active one (scores it if needed)",
)
def model_promote(request: AuthedRequest, version_id: int) -> ModelVersion:
    services.model_promote(actor=request.user, version_id=version_id, score=False)
    version = selectors.model_version_get(user=request.user, version_id=version_id)
    if version.current_run_id is None:
        services.model_score_start(actor=request.user, version_id=version.pk)
    return version


class RollbackIn(In):
    slot: str


@router.post(
    "/analytics/models/rollback",
    response=ModelVersionOut,
    summary="Return a slot to the version active before",
)
def model_rollback(request: AuthedRequest, payload: RollbackIn) -> ModelVersion:
    version = services.model_rollback(actor=request.user, slot=payload.slot)
    return selectors.model_version_get(user=request.user, version_id=version.pk)


@router.post(
    "/analytics/models/{int:version_id}/score",
    response={202: ModelJobOut},
    summary="Rescore customers with a version in the background",
)
def model_score(request: AuthedRequest, version_id: int) -> Status[dict[str, Any]]:
    job = services.model_score_start(actor=request.user, version_id=version_id)
    return Status(202, _job(job))


class ProspectOut(Schema):
    customer_id: int
    customer: str
    owner: str | None
    score: ScoreOut
    clv: float | None
    churn: float | None


class ProspectIn(In):
    product: str = Field(..., description="Product id")
    mine: bool = False
    limit: int = Field(25, ge=1, le=500)


@router.get(
    "/analytics/prospects",
    response=list[ProspectOut],
    summary="Best prospects for a product among your customers, with reasons",
)
def prospects(request: AuthedRequest, params: Query[ProspectIn]) -> list[dict[str, Any]]:
    from ckm.customers.models import Product

    product = Product.objects.filter(external_id=params.product).first()
    if product is None:
        raise NotFound("No such product.")
    _, rows = selectors.prospects(
        user=request.user, product_id=product.pk, mine=params.mine, limit=params.limit
    )
    return [
        {
            "customer_id": p.customer.pk,
            "customer": p.customer.display_name,
            "owner": p.customer.owner.username if p.customer.owner else None,
            "score": _score_out(p.score),
            "clv": p.value.clv if p.value else None,
            "churn": p.churn,
        }
        for p in rows
    ]


class TopIn(In):
    slot: str = Field(..., description="Registry slot: churn, propensity:<product id>")
    k: int = Field(100, ge=1, le=10_000)
    segment: int | None = None


class TopOut(Schema):
    customer_id: int
    external_id: str
    customer: str
    value: float
    decile: int


@router.get(
    "/analytics/scores/top",
    response=list[TopOut],
    summary="Top-k customers by the active model of a slot",
)
def top_scores(request: AuthedRequest, params: Query[TopIn]) -> list[dict[str, Any]]:
    members = (
        selectors.segment_customers(user=request.user, segment_id=params.segment)
        if params.segment
        else None
    )
    rows = selectors.top_by_score(
        user=request.user, slot=params.slot, k=params.k, customers=members
    )
    return [
        {
            "customer_id": c.pk,
            "external_id": c.external_id,
            "customer": c.display_name,
            "value": s.value,
            "decile": s.decile,
        }
        for c, s in rows
    ]


class SegmentOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    definition: dict[str, Any]
    profile: dict[str, Any]
    size: int | None = None
    clv_total: float | None = None
    churn_mean: float | None = None


class ConditionIn(In):
    field: str
    op: str = "eq"
    value: Any = None


class DefinitionIn(In):
    match: Literal["all", "any"] = "all"
    conditions: list[ConditionIn] = Field(..., min_length=1)


class SegmentIn(In):
    name: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=500)
    definition: DefinitionIn


def _segment_out(row: selectors.SegmentRow) -> dict[str, Any]:
    s = row.segment
    return {
        "id": s.pk,
        "name": s.name,
        "kind": s.kind,
        "description": s.description,
        "definition": s.definition,
        "profile": s.profile,
        "size": row.latest.size if row.latest else None,
        "clv_total": row.latest.clv_total if row.latest else None,
        "churn_mean": row.latest.churn_mean if row.latest else None,
    }


@router.get(
    "/analytics/segments",
    response=list[SegmentOut],
    summary="Rule and learned segments with their latest size, value and risk",
)
def segment_list(request: AuthedRequest) -> list[dict[str, Any]]:
    return [_segment_out(r) for r in selectors.segment_list(user=request.user)]


@router.post("/analytics/segments", response={201: SegmentOut}, summary="Save a rule segment")
def segment_create(request: AuthedRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    segment = services.segment_save(
        actor=request.user,
        name=payload.name,
        description=payload.description,
        definition=payload.definition.dict(),
    )
    services.segment_snapshots_take()
    row = next(r for r in selectors.segment_list(user=request.user) if r.segment.pk == segment.pk)
    return Status(201, _segment_out(row))


@router.put(
    "/analytics/segments/{int:segment_id}", response=SegmentOut, summary="Change a rule segment"
)
def segment_update(request: AuthedRequest, segment_id: int, payload: SegmentIn) -> dict[str, Any]:
    services.segment_save(
        actor=request.user,
        segment_id=segment_id,
        name=payload.name,
        description=payload.description,
        definition=payload.definition.dict(),
    )
    row = next(r for r in selectors.segment_list(user=request.user) if r.segment.pk == segment_id)
    return _segment_out(row)


@router.delete(
    "/analytics/segments/{int:segment_id}", response={204: None}, summary="Delete a rule segment"
)
def segment_delete(request: AuthedRequest, segment_id: int) -> Status[None]:
    services.segment_delete(actor=request.user, segment_id=segment_id)
    return Status(204, None)


class MeasuresOut(Schema):
    size: int
    profit_total: float
    clv_total: float
    clv_mean: float | None
    profit_mean: float | None
    churn_mean: float | None


@router.post(
    "/analytics/segments/preview",
    response=MeasuresOut,
    summary="How many customers a definition selects, and their value",
)
def segment_preview(request: AuthedRequest, payload: DefinitionIn) -> dict[str, Any]:
    return selectors.segment_preview(user=request.user, definition=payload.dict())


class SegmentMemberOut(Schema):
    id: int
    external_id: str
    display_name: str


@router.get(
    "/analytics/segments/{int:segment_id}/customers",
    response=list[SegmentMemberOut],
    summary="Customers of a segment you may see",
)
@paginate(Pages)
def segment_customers(request: AuthedRequest, segment_id: int) -> Any:
    return selectors.segment_customers(user=request.user, segment_id=segment_id).order_by(
        "sort_key", "id"
    )


class AlertFilterIn(In):
    status: Literal["open", "new", "contacted", "resolved", "all"] = "open"
    mine: bool = False
    rule: int | None = None


@router.get(
    "/analytics/alerts",
    response=list[AlertOut],
    summary="The retention list: alerts on customers you may see",
)
@paginate(Pages)
def alert_list(request: AuthedRequest, filters: Query[AlertFilterIn]) -> Any:
    return selectors.retention_list(
        user=request.user, status=filters.status, mine=filters.mine, rule_id=filters.rule
    )


class AlertPatch(In):
    status: Literal["new", "contacted", "resolved"]
    note: str = Field("", max_length=500)


@router.patch(
    "/analytics/alerts/{int:alert_id}",
    response=AlertOut,
    summary="Mark a retention alert contacted or resolved",
)
def alert_update(request: AuthedRequest, alert_id: int, payload: AlertPatch) -> Alert:
    alert = services.alert_update(
        actor=request.user, alert_id=alert_id, status=payload.status, note=payload.note
    )
    return selectors.retention_list(user=request.user, status="all").get(pk=alert.pk)


class RuleOut(Schema):
    id: int
    name: str
    kind: str
    params: dict[str, Any]
    is_active: bool
    cooldown_days: int
    last_evaluated_at: dt.datetime | None


class RuleIn(In):
    name: str = Field(..., min_length=1, max_length=120)
    kind: Literal[
        "balance_drop",
        "product_closed",
        "complaint_open",
        "contact_drop",
        "score_threshold",
        "custom",
    ]
    params: dict[str, Any] = {}
    is_active: bool = True
    cooldown_days: int = Field(30, ge=0, le=365)


@router.get("/analytics/alert-rules", response=list[RuleOut], summary="The early-warning rules")
def rule_list(request: AuthedRequest) -> Any:
    return selectors.alert_rule_list(user=request.user)


@router.post(
    "/analytics/alert-rules", response={201: RuleOut}, summary="Create an early-warning rule"
)
def rule_create(request: AuthedRequest, payload: RuleIn) -> Status[AlertRule]:
    return Status(201, services.alert_rule_save(actor=request.user, **payload.dict()))


@router.put(
    "/analytics/alert-rules/{int:rule_id}", response=RuleOut, summary="Change an early-warning rule"
)
def rule_update(request: AuthedRequest, rule_id: int, payload: RuleIn) -> AlertRule:
    return services.alert_rule_save(actor=request.user, rule_id=rule_id, **payload.dict())


@router.post(
    "/analytics/alerts/evaluate",
    response=dict[str, int],
    summary="Evaluate the rules now; returns alerts raised per rule",
)
def alerts_evaluate(request: AuthedRequest) -> dict[str, int]:
    return services.alerts_evaluate(actor=request.user)


class ValueSettingsIO(In):
    interaction_costs: dict[str, float]
    case_costs: dict[str, float]
    transaction_rates: dict[str, float] = {}
    purchase_kinds: list[str] = []
    clv_horizon_weeks: int = Field(52, ge=1, le=520)
    discount_rate: float = Field(0.08, ge=0, lt=1)
    currency: str = Field("EUR", max_length=3)


@router.get(
    "/analytics/value-settings", response=ValueSettingsIO, summary="The rates behind customer value"
)
def value_settings(request: AuthedRequest) -> Any:
    from ckm.core.permissions import require_perm

    require_perm(request.user, "analytics.view_customervalue")
    return services.value_settings_get()


@router.put(
    "/analytics/value-settings",
    response=ValueSettingsIO,
    summary="Change the rates behind customer value",
)
def value_settings_update(request: AuthedRequest, payload: ValueSettingsIO) -> Any:
    return services.value_settings_update(actor=request.user, **payload.dict())


@router.post(
    "/analytics/refresh",
    response={202: ModelJobOut},
    summary="Recompute value, rescore, evaluate rules (background)",
)
def refresh(request: AuthedRequest) -> Status[dict[str, Any]]:
    return Status(202, _job(services.analytics_refresh_start(actor=request.user)))
