"""Reads of analytics. Every selector takes the user and returns only what they may see.

The public face other apps use (the campaigns app in particular):
- `segment_customers(user=, segment_id=)`   customers of segment S (a queryset)
- `segment_member_rows(user=, segment_id=, sort=)`  the same with value and churn risk, sorted
- `top_by_score(user=, slot=, k=)`          top-k customers by the active model of a slot
- `retention_list(user=)`                   customers on the retention list (open alerts)
- `active_version(slot=)`                   the registry's active version of a slot
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from ckm.analytics.models import (
    Alert,
    AlertRule,
    CustomerValue,
    ModelVersion,
    Score,
    ScoringRun,
    Segment,
    SegmentMember,
    SegmentSnapshot,
)
from ckm.analytics.segments import definition_queryset
from ckm.analytics.services.segments import segment_measures, segment_members
from ckm.core.errors import NotFound, ValidationError
from ckm.core.permissions import require_perm
from ckm.core.sorting import Sorts
from ckm.customers.models import Customer, Holding, MergedRecord, Product
from ckm.customers.selectors import customer_get, customer_queryset

PROFILE_RULE_SEGMENTS = 10


def active_version(*, slot: str) -> ModelVersion | None:
    """The active version of a registry slot ('churn', 'propensity:<product id>', ...)."""
    return (
        ModelVersion.objects.select_related("product", "current_run")
        .filter(slot=slot, status=ModelVersion.Status.ACTIVE)
        .first()
    )


def active_scoring_versions() -> list[ModelVersion]:
    """Active churn and propensity versions that have current scores."""
    return list(
        ModelVersion.objects.filter(
            status=ModelVersion.Status.ACTIVE,
            kind__in=["churn", "propensity"],
            current_run__isnull=False,
        )
        .select_related("product", "current_run")
        .order_by("kind", "slot")
    )


@dataclass
class ScoreView:
    version: ModelVersion
    value: float
    decile: int
    reasons: list[dict[str, Any]]

    @property
    def percent(self) -> str:
        """The score in per cent, with a decimal below 10 % ('0.4', '7.5', '62')."""
        share = self.value * 100
        if 0 < share < 0.05:
            return "< 0.1"
        return f"{share:.0f}" if share >= 10 else f"{share:.1f}"

    @property
    def level(self) -> str:
        return "high" if self.decile >= 9 else "medium" if self.decile >= 6 else "low"

    @property
    def rank(self) -> str:
        """Where the score stands among the customers scored ("higher than 70 % of customers"):
        the level follows the decile, which ranks, while the value may still be small."""
        if self.decile <= 1:
            return "among the lowest 10 % of customers"
        return f"higher than {(self.decile - 1) * 10} % of customers"


def _score_view(version: ModelVersion, score: Score, *, explain: bool = True) -> ScoreView:
    from ckm.analytics.explain import explain_customer, reason_words  # loads the model stack

    reasons = score.reasons
    if not reasons and explain and version.current_run is not None:
        reasons = explain_customer(version, score.customer_id, version.current_run.as_of)
    return ScoreView(
        version=version,
        value=score.value,
        decile=score.decile,
        reasons=reason_words(version, reasons),
    )


@dataclass
class CustomerKnowledge:
    """What the profile shows about a customer's value, risk and propensities, and why."""

    customer: Customer
    value: CustomerValue | None
    churn: ScoreView | None
    propensities: list[ScoreView]
    alerts: list[Alert]
    segments: list[Segment]
    can: dict[str, bool] = field(default_factory=dict)
    # a record merged into this one after the value was computed: its history is not counted yet
    merged_since: MergedRecord | None = None


def customer_knowledge(*, user: Any, customer_id: int) -> CustomerKnowledge:
    """Value, CLV, churn risk, propensities with reasons, open alerts and segments of one customer."""
    require_perm(user, "analytics.view_score")
    customer = customer_get(user=user, customer_id=customer_id)
    can = {
        "value": user.has_perm("analytics.view_customervalue"),
        "alerts": user.has_perm("analytics.view_alert"),
        "change_alert": user.has_perm("analytics.change_alert"),
        "segments": user.has_perm("analytics.view_segment"),
    }
    value = CustomerValue.objects.filter(customer_id=customer.pk).first() if can["value"] else None
    versions = {v.current_run_id: v for v in active_scoring_versions()}
    scores = (
        Score.objects.filter(customer_id=customer.pk, run_id__in=list(versions))
        if versions
        else Score.objects.none()
    )
    churn = None
    propensities = []
    for score in scores:
        version = versions[score.run_id]
        view = _score_view(version, score)
        if version.kind == ModelVersion.Kind.CHURN:
            churn = view
        else:
            propensities.append(view)
    propensities.sort(key=lambda v: -v.value)
    alerts = (
        list(
            Alert.objects.filter(customer_id=customer.pk)
            .exclude(status=Alert.Status.RESOLVED)
            .select_related("rule", "owner")[:10]
        )
        if can["alerts"]
        else []
    )
    segments: list[Segment] = []
    if can["segments"]:
        segments = list(
            Segment.objects.filter(
                is_active=True, kind=Segment.Kind.LEARNED, members__customer_id=customer.pk
            )
        )
        for segment in Segment.objects.filter(is_active=True, kind=Segment.Kind.RULE)[
            :PROFILE_RULE_SEGMENTS
        ]:
            try:
                if definition_queryset(segment.definition).filter(pk=customer.pk).exists():
                    segments.append(segment)
            except ValidationError:
                continue
    # what is shown was computed at: the value's time, else the oldest scoring run shown
    computed = value.computed_at if value is not None else None
    if computed is None and (churn or propensities):
        runs = [v.current_run.finished_at for v in versions.values() if v.current_run]
        computed = min((at for at in runs if at), default=None)
    merged_since = (
        MergedRecord.objects.filter(customer_id=customer.pk, created_at__gt=computed).first()
        if computed is not None
        else None
    )
    return CustomerKnowledge(
        customer=customer,
        merged_since=merged_since,
        value=value,
        churn=churn,
        propensities=propensities[:5],
        alerts=alerts,
        segments=segments,
        can=can,
    )


# --- shortlists -------------------------------------------------------------------------------------


@dataclass
class Prospect:
    customer: Customer
    score: ScoreView
    value: CustomerValue | None
    churn: float | None


def propensity_products() -> list[tuple[Product, ModelVersion]]:
    """Products with an active, scored propensity model."""
    return [
        (v.product, v)
        for v in active_scoring_versions()
        if v.kind == ModelVersion.Kind.PROPENSITY and v.product
    ]


RECENTLY_CLOSED_DAYS = 180
"""A customer who closed the product within this many days is no prospect for it."""


def prospects(
    *, user: Any, product_id: int, owner_id: int | None = None, mine: bool = False, limit: int = 25
) -> tuple[ModelVersion | None, list[Prospect]]:
    """The best prospects for a product among the customers the user may see (the user's own
    when mine), highest propensity first, with reasons, value and churn risk."""
    require_perm(user, "analytics.view_prospects")
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    version = active_version(slot=f"propensity:{product.external_id}")
    if version is None or version.current_run_id is None:
        return version, []
    visible = customer_queryset(user=user)
    if mine:
        visible = visible.filter(owner=user)
    if owner_id:
        visible = visible.filter(owner_id=owner_id)
    # not a prospect: who holds the product now, or gave it up lately (a retention case, not a
    # sale) - the scores describe the day they were computed, holdings change every day
    recent = timezone.localdate() - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    holders = Holding.objects.filter(product=product).filter(
        Q(status=Holding.Status.ACTIVE) | Q(closed__gte=recent)
    )
    visible = visible.exclude(pk__in=holders.values("customer_id"))
    scores = list(
        Score.objects.filter(run_id=version.current_run_id, customer__in=visible)
        .select_related("customer", "customer__owner")
        .order_by("-value", "customer_id")[:limit]
    )
    ids = [s.customer_id for s in scores]
    values = {v.customer_id: v for v in CustomerValue.objects.filter(customer_id__in=ids)}
    churn_version = active_version(slot="churn")
    churn: dict[int, float] = {}
    if churn_version and churn_version.current_run_id:
        churn = dict(
            Score.objects.filter(
                run_id=churn_version.current_run_id, customer_id__in=ids
            ).values_list("customer_id", "value")
        )
    return version, [
        Prospect(
            customer=s.customer,
            score=_score_view(version, s),
            value=values.get(s.customer_id),
            churn=churn.get(s.customer_id),
        )
        for s in scores
    ]


def top_by_score(
    *, user: Any, slot: str, k: int = 100, customers: QuerySet[Customer] | None = None
) -> list[tuple[Customer, Score]]:
    """The k customers with the highest current score of a slot's active model, among those the
    user may see (and within `customers`, e.g. a segment's members)."""
    require_perm(user, "analytics.view_score")
    version = active_version(slot=slot)
    if version is None or version.current_run_id is None:
        return []
    visible = customer_queryset(user=user)
    if customers is not None:
        visible = visible.filter(pk__in=customers.values("pk"))
    scores = (
        Score.objects.filter(run_id=version.current_run_id, customer__in=visible)
        .select_related("customer")
        .order_by("-value", "customer_id")[:k]
    )
    return [(s.customer, s) for s in scores]


# --- retention list -------------------------------------------------------------------------------


def retention_list(
    *, user: Any, status: str = "open", mine: bool = False, rule_id: int | None = None
) -> QuerySet[Alert]:
    """Alerts on customers the user may see, newest first. status: open (new or contacted),
    new, contacted, resolved or all."""
    require_perm(user, "analytics.view_alert")
    alerts = Alert.objects.filter(customer__in=customer_queryset(user=user))
    if status == "open":
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    elif status in Alert.Status.values:
        alerts = alerts.filter(status=status)
    if mine:
        alerts = alerts.filter(owner=user)
    if rule_id:
        alerts = alerts.filter(rule_id=rule_id)
    return alerts.select_related("customer", "rule", "owner", "handled_by").order_by(
        "-raised_at", "-id"
    )


def alert_count_new(user: Any) -> int:
    """New alerts for the user: on their own customers, or (owning none) on those they see."""
    if not user.is_authenticated or not user.has_perm("analytics.view_alert"):
        return 0
    owned = Alert.objects.filter(owner=user, status=Alert.Status.NEW)
    if Customer.objects.filter(owner=user).exists():
        return owned.count()
    return Alert.objects.filter(
        status=Alert.Status.NEW, customer__in=customer_queryset(user=user)
    ).count()


def alert_rule_list(*, user: Any) -> QuerySet[AlertRule]:
    require_perm(user, "analytics.view_alertrule")
    return AlertRule.objects.order_by("-is_active", "name")


# --- registry ---------------------------------------------------------------------------------------


@dataclass
class Slot:
    slot: str
    title: str
    kind: str
    active: ModelVersion | None
    versions: list[ModelVersion]

    @property
    def latest(self) -> ModelVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def candidates(self) -> list[ModelVersion]:
        return [v for v in self.versions if v.status == ModelVersion.Status.CANDIDATE]


def model_slots(*, user: Any, include_benchmarks: bool = False) -> list[Slot]:
    """Every registry slot with its active version and its history (newest first)."""
    require_perm(user, "analytics.view_modelversion")
    versions = ModelVersion.objects.select_related(
        "product", "current_run", "created_by", "job"
    ).order_by("slot", "-version")
    if not include_benchmarks:
        versions = versions.exclude(slot__startswith="bench:")
    grouped: dict[str, list[ModelVersion]] = defaultdict(list)
    for version in versions:
        grouped[version.slot].append(version)
    order = {"churn": 0, "propensity": 1, "clv": 2, "segmentation": 3}
    slots = [
        Slot(
            slot=slot,
            title=items[0].title,
            kind=items[0].kind,
            active=next((v for v in items if v.status == ModelVersion.Status.ACTIVE), None),
            versions=items,
        )
        for slot, items in grouped.items()
    ]
    return sorted(slots, key=lambda s: (order.get(s.kind, 9), s.title))


def model_version_get(*, user: Any, version_id: int) -> ModelVersion:
    require_perm(user, "analytics.view_modelversion")
    version = (
        ModelVersion.objects.select_related("product", "current_run", "created_by", "job")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise NotFound("No such model version.")
    return version


def scoring_runs(*, version: ModelVersion, limit: int = 20) -> list[ScoringRun]:
    return list(version.runs.order_by("-started_at", "-id")[:limit])


def drift_history(*, slot: str, limit: int = 30) -> list[dict[str, Any]]:
    """Score drift of a slot over time: each finished run's mean score and PSI."""
    runs = (
        ScoringRun.objects.filter(model_version__slot=slot, status=ScoringRun.Status.DONE)
        .select_related("model_version")
        .order_by("-finished_at")[:limit]
    )
    return [
        {
            "when": r.finished_at,
            "version": r.model_version.version,
            "mean": r.mean,
            "psi": r.psi,
            "psi_previous": r.psi_previous,
            "n": r.n_scored,
        }
        for r in reversed(list(runs))
    ]


# --- segments ---------------------------------------------------------------------------------------


@dataclass
class SegmentRow:
    segment: Segment
    latest: SegmentSnapshot | None
    history: list[SegmentSnapshot]


def segment_list(*, user: Any, kind: str = "") -> list[SegmentRow]:
    """Active segments with their newest snapshot and their history (two queries)."""
    require_perm(user, "analytics.view_segment")
    segments = (
        Segment.objects.filter(is_active=True).select_related("created_by").order_by("kind", "name")
    )
    if kind:
        segments = segments.filter(kind=kind)
    found = list(segments)
    history: dict[int, list[SegmentSnapshot]] = defaultdict(list)
    for snap in SegmentSnapshot.objects.filter(segment__in=found).order_by("taken_on"):
        history[snap.segment_id].append(snap)
    return [
        SegmentRow(
            segment=s, latest=history[s.pk][-1] if history[s.pk] else None, history=history[s.pk]
        )
        for s in found
    ]


def segment_get(*, user: Any, segment_id: int) -> Segment:
    require_perm(user, "analytics.view_segment")
    segment = (
        Segment.objects.select_related("model_version", "created_by").filter(pk=segment_id).first()
    )
    if segment is None:
        raise NotFound("No such segment.")
    return segment


def segment_customers(*, user: Any, segment_id: int) -> QuerySet[Customer]:
    """The customers of a segment that the user may see (rule segments are evaluated now)."""
    segment = segment_get(user=user, segment_id=segment_id)
    return customer_queryset(user=user).filter(pk__in=segment_members(segment).values("pk"))


SEGMENT_MEMBER_SORTS = Sorts(
    columns={
        "name": ("sort_key",),
        "owner": ("owner__first_name", "owner__last_name", "owner__username"),
        "profit": ("profit",),
        "clv": ("clv",),
        "churn": ("churn",),
    },
    default="name",
)


def segment_member_rows(*, user: Any, segment_id: int, sort: str = "") -> QuerySet[Customer]:
    """The customers of a segment that the user may see, each with profit, CLV and churn risk
    (`profit`, `clv`, `churn`), ordered by `sort` (a key of SEGMENT_MEMBER_SORTS)."""
    churn_version = active_version(slot="churn")
    run_id = churn_version.current_run_id if churn_version else None
    churn: Any = (
        Subquery(Score.objects.filter(run_id=run_id, customer=OuterRef("pk")).values("value")[:1])
        if run_id
        else Value(None, output_field=FloatField())
    )
    return (
        segment_customers(user=user, segment_id=segment_id)
        .select_related("owner")
        .annotate(profit=F("value__profit"), clv=F("value__clv"), churn=churn)
        .order_by(*SEGMENT_MEMBER_SORTS.order_by(sort))
    )


def segment_preview(*, user: Any, definition: dict[str, Any]) -> dict[str, Any]:
    """How many customers (of those the user sees) a definition selects, and their value."""
    require_perm(user, "analytics.view_segment")
    members = definition_queryset(definition, customer_queryset(user=user))
    return segment_measures(members)


# --- reporting by customer ------------------------------------------------------------------------


def customer_report(
    *, user: Any, segment_id: int | None = None, order: str = "-clv", mine: bool = False
) -> tuple[QuerySet[Customer], list[ModelVersion]]:
    """Customers with their value, CLV, churn risk and propensities, one row each: knowledge
    reported by customer, not only by product or representative."""
    require_perm(user, "analytics.view_customervalue")
    customers = customer_queryset(user=user)
    if segment_id:
        customers = segment_customers(user=user, segment_id=segment_id)
    if mine:
        customers = customers.filter(owner=user)
    versions = active_scoring_versions()
    annotations: dict[str, Any] = {
        "profit": F("value__profit"),
        "clv": F("value__clv"),
        "p_alive": F("value__p_alive"),
        "rfm": F("value__rfm"),
    }
    for index, version in enumerate(versions):
        annotations[f"score_{index}"] = Subquery(
            Score.objects.filter(run_id=version.current_run_id, customer=OuterRef("pk")).values(
                "value"
            )[:1]
        )
    customers = customers.annotate(**annotations).select_related("owner")
    orders = {
        "-clv": F("clv").desc(nulls_last=True),
        "-profit": F("profit").desc(nulls_last=True),
        "name": F("sort_key").asc(),
    }
    for index in range(len(versions)):
        orders[f"-score_{index}"] = F(f"score_{index}").desc(nulls_last=True)
    return customers.order_by(orders.get(order, orders["-clv"]), "id"), versions


def value_summary(*, user: Any) -> dict[str, Any]:
    """Totals for the overview: customers valued, total profit and CLV, share on the retention list."""
    require_perm(user, "analytics.view_customervalue")
    from django.db.models import Avg, Count, Max, Sum

    visible = customer_queryset(user=user)
    totals = CustomerValue.objects.filter(customer__in=visible).aggregate(
        n=Count("pk"),
        profit=Sum("profit"),
        clv=Sum("clv"),
        p_alive=Avg("p_alive"),
        as_of=Max("as_of"),
    )
    # customers, not alerts: one customer may have several open (as the segment counts them)
    open_alerts = (
        Alert.objects.filter(customer__in=visible)
        .exclude(status=Alert.Status.RESOLVED)
        .values("customer_id")
        .distinct()
        .count()
    )
    return {**totals, "open_alerts": open_alerts}


def segment_memberships(*, customer_ids: list[int]) -> dict[int, list[str]]:
    """Learned segment names per customer (for lists)."""
    out: dict[int, list[str]] = defaultdict(list)
    rows = SegmentMember.objects.filter(
        customer_id__in=customer_ids, segment__is_active=True
    ).values_list("customer_id", "segment__name")
    for customer_id, name in rows:
        out[customer_id].append(name)
    return out
