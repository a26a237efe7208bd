"""Reads that compose several apps for the desk pages: the customer timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from ckm.customers.models import Customer, CustomerEvent
from ckm.interactions.models import Interaction, outcome_label
from ckm.interactions.selectors import InteractionFilters, interaction_list

TIMELINE_PAGE = 20


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "interaction" or "event"
    channel: str
    channel_label: str
    direction: str
    subject: str
    text: str
    meta: str
    outcome: str = ""


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_before: dt.datetime | None


def timeline_event_count(*, user: Any, customer: Customer) -> int:
    """The system events on the customer's timeline this user may read (the contacts are
    counted per channel)."""
    return (
        CustomerEvent.objects.filter(customer=customer).exclude(_events_hidden_from(user)).count()
    )


def timeline(
    *,
    user: Any,
    customer: Customer,
    channel: str = "",
    office_id: int | None = None,
    before: dt.datetime | None = None,
    size: int = TIMELINE_PAGE,
) -> TimelinePage:
    """One page of the customer's timeline, newest first: contacts on every channel and office,
    and system events (cases, handovers, consent, campaign contacts). Paged by time cursor, so
    each page costs two index range scans however long the history is."""
    interactions = (
        list(
            interaction_list(
                user=user,
                filters=InteractionFilters(
                    customer_id=customer.pk, channel=channel, office_id=office_id, before=before
                ),
            )
            .select_related(None)
            .select_related("office", "recorded_by")[: size + 1]
        )
        if user.has_perm("interactions.view_interaction")
        else []
    )
    events: list[CustomerEvent] = []
    if not channel and not office_id:
        event_rows = CustomerEvent.objects.filter(customer=customer).exclude(
            _events_hidden_from(user)
        )
        if before:
            event_rows = event_rows.filter(occurred_at__lt=before)
        events = list(
            event_rows.select_related("actor").order_by("-occurred_at", "-id")[: size + 1]
        )
    items = [_from_interaction(i) for i in interactions] + [_from_event(e) for e in events]
    items.sort(key=lambda item: item.at, reverse=True)
    more = len(items) > size
    items = items[:size]
    return TimelinePage(items=items, next_before=items[-1].at if more and items else None)


# the timeline shows another app's events only to those who may read what they are about
EVENT_PERMISSIONS: tuple[tuple[Q, str], ...] = (
    (Q(source="service"), "service.view_case"),
    (Q(source="campaigns"), "campaigns.view_campaignmember"),
    (Q(source="analytics"), "analytics.view_alert"),
    (Q(source="feedback"), "feedback.view_insightcontact"),
    (Q(source="customers", kind__startswith="fact"), "customers.view_personalfact"),
    (Q(source="customers", kind="consent"), "customers.view_consent"),
)


def _events_hidden_from(user: Any) -> Q:
    hidden = Q(pk__in=[])
    for events, permission in EVENT_PERMISSIONS:
        if not user.has_perm(permission):
            hidden |= events
    return hidden


def _from_interaction(interaction: Interaction) -> TimelineItem:
    meta = " · ".join(
        part
        for part in (
            interaction.get_direction_display(),
            interaction.office.name if interaction.office else "",
            f"by {interaction.recorded_by}" if interaction.recorded_by else "",
        )
        if part
    )
    return TimelineItem(
        at=interaction.occurred_at,
        kind="interaction",
        channel=interaction.channel,
        channel_label=interaction.get_channel_display(),
        direction=interaction.direction,
        subject=interaction.subject,
        text=interaction.text,
        meta=meta,
        outcome=outcome_label(interaction.outcome) if interaction.outcome else "",
    )


def _from_event(event: CustomerEvent) -> TimelineItem:
    note = str(event.payload.get("note", "")) if isinstance(event.payload, dict) else ""
    return TimelineItem(
        at=event.occurred_at,
        kind="event",
        channel="event",
        channel_label=event.kind.replace("_", " "),
        direction="internal",
        subject=event.summary,
        text=note,
        meta=f"by {event.actor}" if event.actor else event.source,
    )
