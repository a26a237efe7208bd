"""Setting up the service desk: the business calendar, SLA policies, reply templates and queues.
Idempotent, so the demo, a new installation and the tests share one set of defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from ckm.core.models import Team
from ckm.customers.models import Product
from ckm.service.models import (
    BusinessCalendar,
    Queue,
    ReplyTemplate,
    SlaPolicy,
)
from ckm.service.services.desk_settings import (
    CalendarFields,
    MemberFields,
    QueueFields,
    calendar_write,
    queue_write,
)
from ckm.service.sla import DEFAULT_HOURS

DEFAULT_TEMPLATES = [
    (
        "ack-complaint",
        "Complaint received",
        ReplyTemplate.Purpose.ACKNOWLEDGEMENT,
        "complaint",
        "We received your complaint ({reference})",
        "Dear {name},\n\nthank you for telling us about this. Your complaint has the reference "
        "{reference}; we will come back to you within two working days.\n\nKind regards\n"
        "Customer service",
    ),
    (
        "ack-request",
        "Request received",
        ReplyTemplate.Purpose.ACKNOWLEDGEMENT,
        "",
        "We received your message ({reference})",
        'Dear {name},\n\nthank you for your message "{subject}". It has the reference '
        "{reference}; we will answer it as soon as we can.\n\nKind regards\nCustomer service",
    ),
    (
        "answer-resolved",
        "Answer: resolved",
        ReplyTemplate.Purpose.ANSWER,
        "",
        "Your case {reference}",
        "Dear {name},\n\nyour case {reference} is resolved: {resolution}\n\nIf anything is "
        "still wrong, just reply to this message.\n\nKind regards\n{agent}",
    ),
    (
        "satisfaction",
        "How did we do?",
        ReplyTemplate.Purpose.SATISFACTION,
        "",
        "How satisfied are you with how we handled {reference}?",
        "Dear {name},\n\nwe closed your case {reference}. How satisfied are you with how we "
        "handled it, from 1 (not at all) to 5 (very)? Just reply with a number.\n\nThank you\n"
        "Customer service",
    ),
]

# (name, kind, priority, first response, resolution) in business hours; a complaint gets its final
# answer within two weeks (the payment services rules allow 15 business days)
DEFAULT_POLICIES = [
    ("Complaint, urgent", "complaint", "urgent", 1, 8),
    ("Complaint", "complaint", "", 4, 80),
    ("Request, urgent", "request", "urgent", 2, 8),
    ("Request", "request", "", 8, 40),
    ("Idea", "idea", "", 40, 200),
]


@transaction.atomic
def calendar_save(
    *,
    actor: Any,
    name: str,
    hours: dict[str, list[list[str]]] | None = None,
    holidays: Iterable[tuple[dt.date, str]] = (),
    time_zone: str = "",
    is_default: bool = False,
) -> BusinessCalendar:
    """Create or change the calendar of this name (holidays are added to its own), through the
    settings' checks and audit; actor None is the system (defaults, demo)."""
    calendar = BusinessCalendar.objects.filter(name=name).first()
    days = {h.date: h.name for h in calendar.holidays.all()} if calendar is not None else {}
    days.update(holidays)
    fields = CalendarFields(
        name=name,
        time_zone=time_zone or settings.TIME_ZONE,
        hours=hours or DEFAULT_HOURS,
        is_default=is_default,
        holidays=sorted(days.items()),
    )
    return calendar_write(actor=actor, calendar=calendar, fields=fields)


@transaction.atomic
def queue_save(
    *,
    actor: Any,
    name: str,
    members: Sequence[Any] = (),
    products: Sequence[Product] = (),
    product_families: Sequence[str] = (),
    kinds: Sequence[str] = (),
    categories: Sequence[str] = (),
    strategy: str = Queue.Strategy.LEAST_LOADED,
    team: Team | None = None,
    rank: int = 100,
    is_default: bool = False,
    skills: dict[int, list[str]] | None = None,
) -> Queue:
    """Create or change the queue of this name with its routing rules and members (skills per
    member id; no members given leaves them as they are), through the settings' checks and
    audit; actor None is the system (defaults, demo)."""
    fields = QueueFields(
        name=name,
        product_ids=[p.pk for p in products],
        product_families=list(product_families),
        kinds=list(kinds),
        categories=list(categories),
        strategy=strategy,
        team_id=team.pk if team is not None else None,
        rank=rank,
        is_default=is_default,
        members=[MemberFields(user_id=u.pk, skills=(skills or {}).get(u.pk, [])) for u in members]
        or None,
    )
    return queue_write(actor=actor, queue=Queue.objects.filter(name=name).first(), fields=fields)


@transaction.atomic
def service_defaults_ensure(*, actor: Any = None) -> dict[str, int]:
    """The default calendar (Mon-Fri 9-17), SLA policies per kind and priority, reply templates
    and a catch-all queue, where they are missing."""
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        calendar = calendar_save(actor=actor, name="Office hours", is_default=True)
    created = {"policies": 0, "templates": 0, "queues": 0}
    for name, kind, priority, first, resolution in DEFAULT_POLICIES:
        _, made = SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "priority": priority,
                "first_response_hours": first,
                "resolution_hours": resolution,
                "calendar": calendar,
            },
        )
        created["policies"] += made
    for code, name, purpose, kind, subject, body in DEFAULT_TEMPLATES:
        _, made = ReplyTemplate.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "purpose": purpose,
                "kind": kind,
                "subject": subject,
                "body": body,
            },
        )
        created["templates"] += made
    if not Queue.objects.filter(is_default=True).exists():
        Queue.objects.create(name="General", is_default=True, rank=999)
        created["queues"] += 1
    return created
