"""Reads of the contact history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from ckm.core.permissions import require_perm
from ckm.customers.selectors import customer_get, customer_queryset
from ckm.interactions.models import Interaction


@dataclass(frozen=True)
class InteractionFilters:
    """Filters of the contact history, shared by the timeline, the list page and the API."""

    customer_id: int | None = None
    channel: str = ""
    office_id: int | None = None
    since: dt.datetime | None = None
    before: dt.datetime | None = None


def interaction_list(*, user: Any, filters: InteractionFilters) -> QuerySet[Interaction]:
    """Interactions the user may see, newest first."""
    require_perm(user, "interactions.view_interaction")
    if filters.customer_id is not None:
        customer = customer_get(user=user, customer_id=filters.customer_id)
        interactions = Interaction.objects.filter(customer=customer)
    else:
        interactions = Interaction.objects.filter(customer__in=customer_queryset(user=user))
    if filters.channel:
        interactions = interactions.filter(channel=filters.channel)
    if filters.office_id:
        interactions = interactions.filter(office_id=filters.office_id)
    if filters.since:
        interactions = interactions.filter(occurred_at__gte=filters.since)
    if filters.before:
        interactions = interactions.filter(occurred_at__lt=filters.before)
    return interactions.select_related("office", "recorded_by", "customer").order_by(
        "-occurred_at", "-id"
    )


def channel_counts(*, customer_id: int) -> dict[str, int]:
    """How many interactions a customer had per channel (the caller has checked access)."""
    rows = (
        Interaction.objects.filter(customer_id=customer_id)
        .values("channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["channel"]: row["n"] for row in rows}


def office_choices(*, customer_id: int) -> list[tuple[int, str]]:
    """Offices that served a customer, for the timeline filter."""
    rows = (
        Interaction.objects.filter(customer_id=customer_id, office__isnull=False)
        .values_list("office_id", "office__name")
        .distinct()
        .order_by("office__name")
    )
    return list(rows)


def last_contact(*, customer_id: int) -> Interaction | None:
    return Interaction.objects.filter(customer_id=customer_id).order_by("-occurred_at").first()
