"""interactions.csv of the customer data package."""

from __future__ import annotations

from typing import ClassVar

from ckm.core.imports.bulk import bulk_upsert
from ckm.core.imports.registry import Column, FileLoader, LoadContext, Row
from ckm.customers.loaders import customer_ids, office_id, reference_problems, usernames
from ckm.interactions.models import Channel, Direction, Interaction


class InteractionLoader(FileLoader):
    filename = "interactions.csv"
    order = 50
    key = "interaction_id"
    key_required = False
    content_key = ("customer_id", "occurred_at", "channel", "direction", "subject", "text")
    batch_size = 5000
    columns: ClassVar = [
        Column("interaction_id", max_length=64),
        Column("customer_id", required=True),
        Column("occurred_at", "datetime", required=True),
        Column("channel", required=True, choices=tuple(Channel.values)),
        Column("direction", choices=tuple(Direction.values)),
        Column("office", max_length=32),
        Column("subject", max_length=255),
        Column("text"),
        Column("outcome", max_length=60),
        Column("agent", max_length=150),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        v = row.values
        problems = reference_problems(v, ctx)
        if v["agent"] and v["agent"].lower() not in usernames(ctx):
            problems.append(("agent", f"no user with the username {v['agent']!r}"))
        return problems

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        customers, users = customer_ids(ctx), usernames(ctx)
        return bulk_upsert(
            Interaction,
            [
                {
                    "external_id": row.key,
                    "customer_id": customers[row.values["customer_id"]],
                    "occurred_at": row.values["occurred_at"],
                    "channel": row.values["channel"],
                    "direction": row.values["direction"] or Direction.INBOUND,
                    "office_id": office_id(ctx, row.values["office"])
                    if row.values["office"]
                    else None,
                    "subject": row.values["subject"] or "",
                    "text": row.values["text"] or "",
                    "outcome": row.values["outcome"] or "",
                    "recorded_by_id": users.get((row.values["agent"] or "").lower()),
                }
                for row in rows
            ],
        )
