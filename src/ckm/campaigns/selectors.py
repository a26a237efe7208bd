"""Reads of campaigns. Every selector takes the user and returns only what they may see.

- `campaign_list(user=)`, `campaign_get(user=, campaign_id=)`
- `my_members(user=)`                 a relationship manager's target lists, with reasons and
  the numbers to call; `my_member(user=, member_id=)` one row of them
- `campaign_results(user=, campaign_id=)`  target vs control, lift with its interval, NPV
- `mailing_rows(user=, campaign_id=)`  the e-mail / letter list to export
- `model_generations(user=, product_id=)`  each model generation's lift on later campaigns and
  the time from a response to a model that learned from it
- `customer_campaigns(user=, customer_id=)`  a customer's campaign memberships (the profile)
- `campaigns_home(user=)`             the start page: running and closed campaigns, the gate
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from ckm.analytics.models import ModelVersion
from ckm.campaigns.economics import Lift, lift_interval, npv
from ckm.campaigns.models import Campaign, CampaignMember, UpliftModel
from ckm.campaigns.services.planning import business_case
from ckm.core.errors import NotFound
from ckm.core.permissions import require_perm
from ckm.core.sorting import Sorts
from ckm.customers.models import ContactPoint, Product
from ckm.customers.selectors import customer_get, customer_ids_in_scope, customer_queryset


def campaign_list(*, user: Any, status: str = "") -> QuerySet[Campaign]:
    """Campaigns, newest first, with their member counts."""
    require_perm(user, "campaigns.view_campaign")
    campaigns = Campaign.objects.select_related("product", "segment", "model_version")
    if status in Campaign.Status.values:
        campaigns = campaigns.filter(status=status)
    return campaigns.annotate(
        n_target=Count("members", filter=Q(members__group=CampaignMember.Group.TARGET)),
        n_control=Count("members", filter=Q(members__group=CampaignMember.Group.CONTROL)),
        n_converted=Count(
            "members",
            filter=Q(members__group=CampaignMember.Group.TARGET, members__converted=True),
        ),
    ).order_by("-created_at", "-id")


def campaign_get(*, user: Any, campaign_id: int) -> Campaign:
    require_perm(user, "campaigns.view_campaign")
    campaign = (
        Campaign.objects.select_related(
            "product",
            "segment",
            "model_version",
            "uplift_model",
            "pool",
            "created_by",
            "launched_by",
            "override_by",
        )
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


MEMBER_SORTS = Sorts(
    columns={
        "name": ("customer__sort_key",),
        # down: target before control, best score first (the list's own order)
        "group": ("group", "score"),
        "score": ("score",),
        "assigned": (
            "assigned_to__first_name",
            "assigned_to__last_name",
            "assigned_to__username",
            "pool__name",
        ),
        "outcome": ("outcome_step",),  # open, reached, ... declined, as the buttons run
    },
    default="-group",
)


def campaign_members(
    *, user: Any, campaign_id: int, group: str = "", outcome: str | None = None, sort: str = ""
) -> QuerySet[CampaignMember]:
    """Members of a campaign whose customers the user may see, in the order `sort` asks (a key
    of MEMBER_SORTS); by default target first, best score first."""
    campaign_get(user=user, campaign_id=campaign_id)
    members = CampaignMember.objects.filter(
        campaign_id=campaign_id, customer__in=customer_queryset(user=user)
    ).select_related("customer", "assigned_to", "pool")
    if group in CampaignMember.Group.values:
        members = members.filter(group=group)
    if outcome is not None:
        members = members.filter(outcome=outcome)
    if MEMBER_SORTS.choose(sort).removeprefix("-") == "outcome":
        members = members.annotate(
            outcome_step=Case(
                *[
                    When(outcome=value, then=Value(step))
                    for step, value in enumerate(CampaignMember.Outcome.values)
                ],
                output_field=IntegerField(),
            )
        )
    return members.order_by(*MEMBER_SORTS.order_by(sort))


def my_members(*, user: Any, open_only: bool = True) -> QuerySet[CampaignMember]:
    """The user's target lists: target members of launched call campaigns assigned to them or
    to their team's pool; with open_only=False also what is done, closed campaigns included
    (an outcome may still be recorded there)."""
    require_perm(user, "campaigns.view_campaignmember")
    mine = Q(assigned_to=user)
    if getattr(user, "team_id", None):
        mine |= Q(assigned_to__isnull=True, pool_id=user.team_id)
    statuses = [Campaign.Status.LAUNCHED]
    if not open_only:
        statuses.append(Campaign.Status.CLOSED)
    members = CampaignMember.objects.filter(
        mine,
        group=CampaignMember.Group.TARGET,
        campaign__status__in=statuses,
        campaign__channel=Campaign.Channel.RM_CALL,
        customer__in=customer_queryset(user=user),
    )
    if open_only:
        members = members.filter(
            Q(outcome="")
            | Q(outcome__in=[CampaignMember.Outcome.NOT_REACHED, CampaignMember.Outcome.REACHED])
            | Q(outcome=CampaignMember.Outcome.INTERESTED)
        )
    return (
        members.select_related("campaign", "campaign__product", "customer")
        .prefetch_related(_PHONES)
        .order_by("campaign__ends_on", "campaign_id", "-score", "id")
    )


# the numbers to call, primary first: a call list without them sends the caller to every profile
_PHONES = Prefetch(
    "customer__contact_points",
    queryset=ContactPoint.objects.filter(
        kind__in=[ContactPoint.Kind.PHONE, ContactPoint.Kind.MOBILE]
    ),
    to_attr="phones",
)


def my_member(*, user: Any, member_id: int) -> CampaignMember:
    """One row of the user's target lists (after an outcome), with the numbers to call."""
    require_perm(user, "campaigns.view_campaignmember")
    member = (
        CampaignMember.objects.filter(pk=member_id, customer__in=customer_queryset(user=user))
        .select_related("campaign", "customer")
        .prefetch_related(_PHONES)
        .first()
    )
    if member is None:
        raise NotFound("No such campaign member.")
    return member


def articles_that_help(*, user: Any, campaign: Campaign, limit: int = 3) -> list[Any]:
    """Knowledge articles for a campaign's product (when the knowledge app offers suggestions)."""
    try:
        from ckm.knowledge.selectors import article_suggest
    except ImportError:
        return []
    text = f"{campaign.product.name} {campaign.product.description} {campaign.description}"
    try:
        try:  # a product is not a customer message: show the best matches even when unsure
            result = article_suggest(text=text, user=user, limit=limit, include_abstained=True)
        except TypeError:
            result = article_suggest(text=text, user=user, limit=limit)
    except Exception:  # suggestions help; they are never a reason for the list to fail
        return []
    return list(getattr(result, "suggestions", []) or [])


# --- results ---------------------------------------------------------------------------------------


@dataclass
class GroupCounts:
    n: int = 0
    contacted: int = 0
    responded: int = 0
    converted: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.n if self.n else None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.n if self.n else None


@dataclass
class Breakdown:
    name: str
    target: GroupCounts
    control: GroupCounts
    lift: Lift


@dataclass
class Results:
    campaign: Campaign
    target: GroupCounts
    control: GroupCounts
    lift: Lift
    incremental_conversions: float | None
    planned_npv: float | None
    realised_npv: float | None
    outcomes: dict[str, int]
    by_segment: list[Breakdown] = field(default_factory=list)
    by_rm: list[Breakdown] = field(default_factory=list)


def _count(rows: list[dict[str, Any]]) -> dict[str, GroupCounts]:
    groups = {g: GroupCounts() for g in CampaignMember.Group.values}
    for row in rows:
        counts = groups[row["group"]]
        counts.n += 1
        counts.contacted += row["contacted_at"] is not None
        counts.responded += bool(row["responded"])
        counts.converted += bool(row["converted"])
    return groups


def _breakdown(name: str, rows: list[dict[str, Any]]) -> Breakdown:
    groups = _count(rows)
    target, control = groups["target"], groups["control"]
    return Breakdown(
        name,
        target,
        control,
        lift_interval(target.converted, target.n, control.converted, control.n),
    )


def campaign_results(*, user: Any, campaign_id: int) -> Results:
    """Response and conversion of target vs control, the incremental lift with its 95 %
    interval, realised NPV beside the plan, and the same by segment and relationship manager."""
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in CampaignMember.objects.filter(campaign=campaign).values(
            "group",
            "contacted_at",
            "responded",
            "converted",
            "outcome",
            "segment_names",
            "customer_id",
            "customer__owner__username",
            "customer__owner__first_name",
            "customer__owner__last_name",
        )
    ]
    groups = _count(rows)
    target, control = groups["target"], groups["control"]
    lift = lift_interval(target.converted, target.n, control.converted, control.n)
    incremental = lift.lift * target.n if lift.lift is not None else None
    realised = None
    if campaign.launched_at is not None:
        # without a control group, every conversion counts as won by the campaign
        won = incremental if incremental is not None else float(target.converted)
        contacts = target.contacted if campaign.uses_lists else target.n
        realised = npv(business_case(campaign), contacts=contacts, conversions=won)
    outcomes: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["group"] == "target":
            outcomes[row["outcome"] or "open"] += 1
    by_segment: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_rm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    # customers without an owner were worked by the campaign's pool, when it has one
    unowned = f"{campaign.pool} (pool)" if campaign.pool_id else "(no relationship manager)"
    # the campaign's own figures are everyone's; how each relationship manager did is shown
    # for the customers the user may see (an RM sees their own and their team's)
    scope = customer_ids_in_scope(user)
    visible = None if scope is None else set(scope.values_list("pk", flat=True))
    for row in rows:
        for name in row["segment_names"] or ["(no learned segment)"]:
            by_segment[name].append(row)
        if visible is not None and row["customer_id"] not in visible:
            continue
        owner = (
            f"{row['customer__owner__first_name'] or ''} {row['customer__owner__last_name'] or ''}"
        ).strip() or (row["customer__owner__username"] or unowned)
        by_rm[owner].append(row)
    return Results(
        campaign=campaign,
        target=target,
        control=control,
        lift=lift,
        incremental_conversions=incremental,
        planned_npv=campaign.expected_npv,
        realised_npv=realised,
        outcomes=dict(outcomes),
        by_segment=sorted(
            (_breakdown(k, v) for k, v in by_segment.items()), key=lambda b: -b.target.n
        )[:12],
        by_rm=sorted((_breakdown(k, v) for k, v in by_rm.items()), key=lambda b: -b.target.n)[:20],
    )


def mailing_rows(*, user: Any, campaign_id: int) -> Iterator[list[str]]:
    """The e-mail or letter list of a launched campaign: header, then one row per target."""
    require_perm(user, "campaigns.export_campaign")
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    members = campaign_members(user=user, campaign_id=campaign.pk, group="target")
    emails: dict[int, str] = {}
    ids = list(members.values_list("customer_id", flat=True))
    for start in range(0, len(ids), 5000):
        for customer_id, value in (
            ContactPoint.objects.filter(
                customer_id__in=ids[start : start + 5000], kind=ContactPoint.Kind.EMAIL
            )
            .order_by("customer_id", "-is_primary", "id")
            .values_list("customer_id", "value")
        ):
            emails.setdefault(customer_id, value)
    yield [
        "customer_id",
        "name",
        "email",
        "address",
        "postcode",
        "city",
        "country",
        "campaign",
        "product",
        "member_id",
    ]
    for member in members.iterator(chunk_size=2000):
        c = member.customer
        yield [
            c.external_id,
            c.display_name,
            emails.get(c.pk, ""),
            c.address,
            c.postcode,
            c.city,
            c.country,
            campaign.name,
            campaign.product.external_id,
            str(member.pk),
        ]


def _conversions(prefix: str = "") -> dict[str, Count]:
    """Annotations: members (nt, nc) and conversions (ct, cc) of the target and control groups;
    `prefix` "members__" counts a campaign's members, "" counts member rows grouped by campaign."""
    counted = prefix[:-2] if prefix else "id"

    def count(group: str, converted: bool | None = None) -> Count:
        where: dict[str, Any] = {f"{prefix}group": group}
        if converted:
            where[f"{prefix}converted"] = True
        return Count(counted, filter=Q(**where))

    return {
        "nt": count("target"),
        "ct": count("target", True),
        "nc": count("control"),
        "cc": count("control", True),
    }


@dataclass
class CampaignHome:
    running: list[tuple[Campaign, Lift]]
    closed: list[tuple[Campaign, Lift]]
    drafts: int
    needs_override: list[Campaign]


def campaigns_home(*, user: Any, limit: int = 5) -> CampaignHome:
    """The start page of whoever runs campaigns: the launched ones with conversions in target and
    control so far, the latest closed ones, how many drafts wait, and (for those who may
    override the gate) the campaigns stopped by a negative expected NPV."""
    require_perm(user, "campaigns.add_campaign")

    def with_lift(status: str, order: str) -> list[tuple[Campaign, Lift]]:
        rows = (
            Campaign.objects.filter(status=status)
            .select_related("product")
            .annotate(**_conversions("members__"))
            .order_by(order, "-id")[:limit]
        )
        return [(c, lift_interval(c.ct, c.nt, c.cc, c.nc)) for c in rows]  # type: ignore[attr-defined]

    stopped: list[Campaign] = []
    if user.has_perm("campaigns.override_npv"):
        stopped = list(
            Campaign.objects.filter(
                status__in=[Campaign.Status.DRAFT, Campaign.Status.APPROVED],
                expected_npv__lt=0,
                override_at__isnull=True,
            )
            .select_related("product", "created_by")
            .order_by("-planned_at", "-id")[:limit]
        )
    return CampaignHome(
        running=with_lift(Campaign.Status.LAUNCHED, "ends_on"),
        closed=with_lift(Campaign.Status.CLOSED, "-closed_at"),
        drafts=Campaign.objects.filter(status=Campaign.Status.DRAFT).count(),
        needs_override=stopped,
    )


# --- the loop -----------------------------------------------------------------------------------


@dataclass
class Generation:
    version: ModelVersion
    campaigns: list[tuple[Campaign, Lift]]
    learned: int
    latency_days: float | None  # median days from an outcome recorded to this version
    learned_from: str = ""  # what the version was trained to predict, in words


def model_generations(*, user: Any, product_id: int) -> list[Generation]:
    """Each propensity model generation of a product: the campaigns that used it with their lift
    vs control, how many campaign outcomes it learned from, and the median time from an outcome
    being recorded to this model."""
    require_perm(user, "campaigns.view_campaign")
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    versions = list(
        ModelVersion.objects.filter(slot=f"propensity:{product.external_id}").order_by("-version")
    )
    used: dict[int, list[Campaign]] = defaultdict(list)
    for campaign in Campaign.objects.filter(model_version__in=versions).exclude(
        status=Campaign.Status.DRAFT
    ):
        used[campaign.model_version_id or 0].append(campaign)
    counts: dict[int, dict[str, Any]] = {
        row["campaign_id"]: dict(row)
        for row in CampaignMember.objects.filter(
            campaign_id__in=[c.pk for cs in used.values() for c in cs]
        )
        .values("campaign_id")
        .annotate(**_conversions())
    }
    learned: dict[int, list[dt.datetime]] = defaultdict(list)
    for version_id, at in CampaignMember.objects.filter(
        learned_by__in=versions, label_at__isnull=False
    ).values_list("learned_by_id", "outcome_at"):
        if at is not None:
            learned[version_id].append(at)
    out = []
    for version in versions:
        campaign_lifts = []
        for campaign in used.get(version.pk, []):
            row = counts.get(campaign.pk, {"nt": 0, "ct": 0, "nc": 0, "cc": 0})
            campaign_lifts.append(
                (campaign, lift_interval(row["ct"], row["nt"], row["cc"], row["nc"]))
            )
        delays = [
            (version.created_at - at).total_seconds() / 86400
            for at in learned.get(version.pk, [])
            if version.created_at >= at
        ]
        out.append(
            Generation(
                version=version,
                campaigns=campaign_lifts,
                learned=len(learned.get(version.pk, [])),
                latency_days=round(statistics.median(delays), 2) if delays else None,
                learned_from=(
                    # a generation retrained on the responses learns the `took_<product>` label
                    f"campaign outcomes: took a {product.name} or declined"
                    if version.target.startswith("took_")
                    else str((version.params or {}).get("target") or version.target)
                ),
            )
        )
    return out


def uplift_models(*, user: Any, product_id: int | None = None) -> QuerySet[UpliftModel]:
    require_perm(user, "campaigns.view_campaign")
    models = UpliftModel.objects.select_related("product")
    if product_id:
        models = models.filter(product_id=product_id)
    return models.order_by("product__name", "-version")


def campaign_products(*, user: Any) -> list[Product]:
    """Products that have had a campaign (the loop page's choice)."""
    require_perm(user, "campaigns.view_campaign")
    ids = Campaign.objects.values_list("product_id", flat=True).distinct()
    return list(Product.objects.filter(pk__in=ids).order_by("name"))


def customer_campaigns(*, user: Any, customer_id: int) -> list[CampaignMember]:
    """The campaigns a customer is (or was) in, newest first (the profile panel)."""
    require_perm(user, "campaigns.view_campaignmember")
    customer = customer_get(user=user, customer_id=customer_id)
    return list(
        CampaignMember.objects.filter(customer=customer)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .select_related("campaign", "campaign__product", "assigned_to")
        .order_by("-campaign__launched_at")[:10]
    )


def customer_campaign_panel(*, user: Any, customer: Any) -> dict[str, Any] | None:
    """The profile's campaign panel: the customer's memberships (None when there are none or
    the user's role does not work campaign lists)."""
    if not user.has_perm("campaigns.view_campaignmember"):
        return None
    memberships = customer_campaigns(user=user, customer_id=customer.pk)
    if not memberships:
        return None
    open_here = any(
        m.assigned_to_id == user.pk
        and m.outcome in ("", CampaignMember.Outcome.REACHED, CampaignMember.Outcome.NOT_REACHED)
        and m.campaign.status == Campaign.Status.LAUNCHED
        for m in memberships
    )
    return {"memberships": memberships, "open_here": open_here}
