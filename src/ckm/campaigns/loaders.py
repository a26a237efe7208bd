"""campaign_responses.csv of the customer data package: outcomes of campaign members (from a
call centre, a mailing house or a web shop), matched to members by campaign and customer id.
The campaign page's responses upload runs the same loader on one file, with the campaign named
in the context's manifest (`campaign_id`) instead of a column."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.utils import timezone

from ckm.campaigns.models import Campaign, CampaignMember
from ckm.core.imports.registry import Column, FileLoader, LoadContext, Row
from ckm.customers.loaders import customer_ids
from ckm.customers.selectors import customer_queryset

# (campaign id, customer id) -> (member id, group, the campaign's first day)
Members = dict[tuple[int, int], tuple[int, str, dt.date]]


def _members(ctx: LoadContext) -> Members:
    cache: Members | None = ctx.cache.get("campaign_members")
    if cache is None:
        rows = CampaignMember.objects.filter(
            campaign__status__in=[Campaign.Status.LAUNCHED, Campaign.Status.CLOSED]
        )
        if ctx.manifest.get("campaign_id"):
            rows = rows.filter(campaign_id=ctx.manifest["campaign_id"])
        if getattr(ctx.user, "is_authenticated", False):
            rows = rows.filter(customer__in=customer_queryset(user=ctx.user))
        first_days = {
            c.pk: c.first_day
            for c in Campaign.objects.filter(pk__in=rows.values("campaign_id").distinct())
        }
        cache = {
            (campaign_id, customer_id): (pk, group, first_days[campaign_id])
            for pk, campaign_id, customer_id, group in rows.values_list(
                "pk", "campaign_id", "customer_id", "group"
            )
        }
        ctx.cache["campaign_members"] = cache
    return cache


def _campaign_id(row: Row, ctx: LoadContext) -> Any:
    return row.values["campaign_id"] or ctx.manifest.get("campaign_id")


class CampaignResponseLoader(FileLoader):
    filename = "campaign_responses.csv"
    order = 90
    key = None
    key_required = False
    columns: ClassVar = [
        # required in a package; the campaign page names its campaign itself
        Column("campaign_id", "integer"),
        Column("customer_id", required=True),
        Column(
            "outcome", required=True, choices=tuple(v for v in CampaignMember.Outcome.values if v)
        ),
        Column("occurred_at", "datetime"),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        named = ctx.manifest.get("campaign_id")
        campaign_id = _campaign_id(row, ctx)
        if campaign_id is None:
            return [("campaign_id", "required value is missing")]
        if named and campaign_id != named:
            return [("campaign_id", f"this file is for campaign {named}")]
        customer = customer_ids(ctx).get(row.values["customer_id"])
        if customer is None:
            return [("customer_id", "no such customer")]
        member = _members(ctx).get((campaign_id, customer))
        if member is None:
            return [("customer_id", "not a member of this launched campaign")]
        pk, group, first_day = member
        problems = []
        lines: dict[int, int] = ctx.cache.setdefault("campaign_response_lines", {})
        if pk in lines:
            problems.append(("customer_id", f"the same member is already on line {lines[pk]}"))
        else:
            lines[pk] = row.line
        outcome = row.values["outcome"]
        if group == CampaignMember.Group.CONTROL and outcome != CampaignMember.Outcome.CONVERTED:
            problems.append(("outcome", "the control group is not contacted: only 'converted'"))
        at = row.values["occurred_at"]
        if at is not None and at > timezone.now():
            problems.append(("occurred_at", "in the future"))
        elif at is not None and timezone.localtime(at).date() < first_day:
            problems.append(("occurred_at", f"before the campaign started ({first_day})"))
        return problems

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        from ckm.campaigns.services.execution import _apply_outcome

        customers = customer_ids(ctx)
        members = _members(ctx)
        ids = [
            members[(_campaign_id(row, ctx), customers[row.values["customer_id"]])][0]
            for row in rows
        ]
        found = CampaignMember.objects.select_related("campaign", "campaign__product").in_bulk(ids)
        for row, pk in zip(rows, ids, strict=True):
            _apply_outcome(
                found[pk],
                outcome=row.values["outcome"],
                source=CampaignMember.Source.IMPORT,
                actor=ctx.user,
                at=row.values["occurred_at"],
            )
        return 0, len(rows)
