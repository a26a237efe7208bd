"""Routing: which queue a case joins (rules on product, office, kind and category) and which
agent of the queue gets it (round robin or least loaded, among members with the skill). A case
with no product known is routed by the product family its issue category nearly always has."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Q

from ckm.core.models import User
from ckm.service.models import OPEN_STATUSES, Case, Queue


def effective_product_id(case: Case) -> int | None:
    """The product the case is about: the agent's choice, else the classifier's confident guess."""
    from ckm.service.services.classify import CONFIDENT

    if case.product_id:
        return case.product_id
    if case.suggested_product_id and (case.suggested_product_confidence or 0) >= CONFIDENT:
        return case.suggested_product_id
    return None


def effective_category(case: Case) -> str:
    from ckm.service.services.classify import CONFIDENT

    if case.category:
        return case.category
    if case.suggested_category and (case.suggested_category_confidence or 0) >= CONFIDENT:
        return case.suggested_category
    return ""


def _matches(queue: Queue, case: Case, family: str, product_id: int | None, category: str) -> bool:
    products = {p.pk for p in queue.products.all()}
    families = {f.lower() for f in queue.product_families or []}
    if (products or families) and not (
        product_id in products or (family and family.lower() in families)
    ):
        return False
    offices = {o.pk for o in queue.offices.all()}
    if offices and case.office_id not in offices:
        return False
    if queue.kinds and case.kind not in queue.kinds:
        return False
    return not (queue.categories and category not in queue.categories)


FAMILY_SHARE = 0.8
"""The share of a category's recent cases that must concern one product family for a case of
that category, with no product known, to be routed as that family."""


def family_of_category(category: str, *, recent: int = 500) -> str:
    """The product family the desk's recent cases of this issue category concern, when nearly all
    concern one ("Cards / Blocked cards and PIN" -> "card"); else ""."""
    families = list(
        Case.objects.filter(category=category, product__isnull=False)
        .order_by("-opened_at")
        .values_list("product__family", flat=True)[:recent]
    )
    if not families:
        return ""
    family, count = Counter(families).most_common(1)[0]
    return family if count >= FAMILY_SHARE * len(families) else ""


def queue_for(case: Case) -> Queue | None:
    """The first active queue (by rank) whose rules match the case, else the default queue."""
    from ckm.customers.models import Product

    product_id = effective_product_id(case)
    family = (
        Product.objects.filter(pk=product_id).values_list("family", flat=True).first() or ""
        if product_id
        else ""
    )
    category = effective_category(case)
    if not family and category:
        family = family_of_category(category)
    queues = list(
        Queue.objects.filter(active=True)
        .prefetch_related("products", "offices")
        .order_by("rank", "name")
    )
    for queue in queues:
        if queue.is_default:
            continue
        if _matches(queue, case, family, product_id, category):
            return queue
    return next((q for q in queues if q.is_default), None)


def assignee_for(queue: Queue, case: Case) -> User | None:
    """The queue member who gets the case, by the queue's strategy; None if nobody can."""
    category = effective_category(case)
    members = [
        m
        for m in queue.memberships.filter(active=True, user__is_active=True).select_related("user")
        if not m.skills or category in m.skills
    ]
    if not members:
        return None
    users = sorted((m.user for m in members), key=lambda u: u.pk)
    if queue.strategy == Queue.Strategy.ROUND_ROBIN:
        last = queue.last_assigned_id
        later = [u for u in users if last is not None and u.pk > last]
        return later[0] if later else users[0]
    loads: dict[Any, int] = dict(
        Case.objects.filter(assignee__in=users, status__in=OPEN_STATUSES)
        .values("assignee")
        .annotate(n=Count("id"))
        .values_list("assignee", "n")
    )
    return min(users, key=lambda u: (loads.get(u.pk, 0), u.pk))


def queue_load(queue: Queue) -> dict[str, int]:
    """Open, unassigned and breached counts of a queue (for the queue overview)."""
    return Case.objects.filter(queue=queue, status__in=OPEN_STATUSES).aggregate(
        open=Count("id"),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
    )
