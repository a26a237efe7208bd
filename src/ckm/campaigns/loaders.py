"""campaign_responses.csv of the customer data package: outcomes of campaign members (from a
call centre, a mailing house or a web shop), matched to members by campaign and customer id."""

from __future__ import annotations

from typing import ClassVar

from ckm.campaigns.models import Campaign, CampaignMember
from ckm.core.imports.registry import Column, FileLoader, LoadContext, Row
from ckm.customers.loaders import customer_ids


def _members(ctx: LoadContext) -> dict[tuple[int, int], int]:
    cache = ctx.cache.get("campaign_members")
    if cache is None:
        cache = {
            (campaign_id, customer_id): pk
            for pk, campaign_id, customer_id in CampaignMember.objects.filter(
                campaign__status__in=[Campaign.Status.LAUNCHED, Campaign.Status.CLOSED]
            ).values_list("pk", "campaign_id", "customer_id")
        }
        ctx.cache["campaign_members"] = cache
    return cache


class CampaignResponseLoader(FileLoader):
    filename = "campaign_responses.csv"
    order = 90
    key = None
    key_required = False
    columns: ClassVar = [
        Column("campaign_id", "integer", required=True),
        Column("customer_id", required=True),
        Column(
            "outcome", required=True, choices=tuple(v for v in CampaignMember.Outcome.values if v)
        ),
        Column("occurred_at", "datetime"),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        customer = customer_ids(ctx).get(row.values["customer_id"])
        if customer is None:
            return [("customer_id", "no such customer")]
        if (row.values["campaign_id"], customer) not in _members(ctx):
            return [("campaign_id", "the customer is not a member of this launched campaign")]
        return []

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        from ckm.campaigns.services.execution import _apply_outcome

        customers = customer_ids(ctx)
        members = _members(ctx)
        updated = 0
        for row in rows:
            pk = members[(row.values["campaign_id"], customers[row.values["customer_id"]])]
            member = CampaignMember.objects.select_related("campaign", "campaign__product").get(
                pk=pk
            )
            _apply_outcome(
                member,
                outcome=row.values["outcome"],
                source=CampaignMember.Source.IMPORT,
                actor=ctx.user,
                at=row.values["occurred_at"],
            )
            updated += 1
        return 0, updated
