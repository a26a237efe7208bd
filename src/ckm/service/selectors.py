"""Reads of cases, queues and the classifier registry. Every selector takes the user and returns
only what they may see: cases of customers they may see, cases from unknown contacts, and cases
assigned to them or waiting in their queues; managers (service.view_all_cases) see every case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case as Choose
from django.db.models import Count, DateTimeField, F, Q, QuerySet, Value, When
from django.utils import timezone

from ckm.core.errors import NotFound
from ckm.core.permissions import require_perm
from ckm.customers.models import ContactPoint
from ckm.customers.selectors import customer_queryset, customer_search
from ckm.service.models import (
    OPEN_STATUSES,
    BusinessCalendar,
    Case,
    CaseEvent,
    CaseMessage,
    ClassifierModel,
    Queue,
    ReplyTemplate,
    SlaPolicy,
)


def late_q(now: dt.datetime, prefix: str = "") -> Q:
    """Past a deadline not met: the first answer or the resolution (combine with an open status;
    `prefix` "cases__" from a queue)."""
    return Q(
        **{f"{prefix}first_response_at__isnull": True, f"{prefix}first_response_due__lt": now}
    ) | Q(**{f"{prefix}resolved_at__isnull": True, f"{prefix}resolution_due__lt": now})


def case_queryset(*, user: Any) -> QuerySet[Case]:
    """The cases this user may see."""
    require_perm(user, "service.view_case")
    cases = Case.objects.all()
    if user.has_perm("service.view_all_cases"):
        return cases
    visible = Q(customer__isnull=True) | Q(assignee=user) | Q(queue__members=user)
    if user.has_perm("customers.view_customer"):
        visible |= Q(customer__in=customer_queryset(user=user))
    # by id: the join to queue members would repeat a case per member, and a DISTINCT does not
    # stop counts and sums over the rows from adding up the repeats
    return cases.filter(pk__in=Case.objects.filter(visible).values("pk"))


def customers_linkable(*, user: Any, ids: Iterable[int | None]) -> set[int]:
    """Of these customers, those whose profile the user may open. A case is seen by its queue
    and by managers across teams; a link to a customer out of the reader's reach would be a 404,
    so the page names that customer without one."""
    wanted = {i for i in ids if i}
    if not wanted or not user.has_perm("customers.view_customer"):
        return set()
    return set(customer_queryset(user=user).filter(pk__in=wanted).values_list("pk", flat=True))


def case_evidence_check(user: Any, source_id: str) -> Any:
    """The customer of a case the user may see, for evidence that cites it (NotFound else)."""
    from django.core.exceptions import PermissionDenied

    try:
        case = (
            case_queryset(user=user).filter(pk=int(source_id)).select_related("customer").first()
            if source_id.isascii() and source_id.isdigit()
            else None
        )
    except PermissionDenied:
        case = None
    if case is None:
        raise NotFound("No such case.")
    return case.customer


@dataclass(frozen=True)
class CaseReach:
    """How the contact of a case can be reached: the e-mail address our replies go to ("" when
    there is none, and a reply is only recorded on the case) and a phone number to call."""

    email: str
    phone: str


def case_reach(*, case: Case) -> CaseReach:
    """The sender's address and number, else the customer's (the primary one first)."""
    email, phone = case.sender_email, case.sender_phone
    if case.customer_id and not (email and phone):
        points = ContactPoint.objects.filter(
            customer_id=case.customer_id, kind__in=("email", "phone", "mobile")
        ).order_by("-is_primary", "pk")
        for point in points:
            if point.kind == "email":
                email = email or point.value
            else:
                phone = phone or point.value
    return CaseReach(email=email, phone=phone)


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: str = ""  # a status, "open" or ""
    kind: str = ""
    channel: str = ""
    queue_id: int | None = None
    assignee_id: int | None = None
    mine: bool = False
    customer_id: int | None = None
    product_id: int | None = None
    office_id: int | None = None
    category: str = ""
    unknown_contact: bool = False
    unassigned: bool = False
    breached: bool = False
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    order: str = ""  # "due": the next SLA target first (overdue on top); else the newest first


def next_target() -> Choose:
    """When a case's next SLA target falls due: the first answer until it is given, then the
    resolution; none for a case that is no longer open."""
    return Choose(
        When(~Q(status__in=OPEN_STATUSES), then=Value(None)),
        When(
            first_response_at__isnull=True,
            first_response_due__isnull=False,
            then=F("first_response_due"),
        ),
        When(resolved_at__isnull=True, then=F("resolution_due")),
        default=Value(None),
        output_field=DateTimeField(),
    )


def case_list(*, user: Any, filters: CaseFilters) -> QuerySet[Case]:
    """Cases the user may see, filtered; the queue page and the API share it."""
    cases = case_queryset(user=user)
    f = filters
    if f.status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif f.status:
        cases = cases.filter(status=f.status)
    for name in ("kind", "channel", "category"):
        if getattr(f, name):
            cases = cases.filter(**{name: getattr(f, name)})
    for name in ("queue_id", "assignee_id", "customer_id", "product_id", "office_id"):
        if getattr(f, name) is not None:
            cases = cases.filter(**{name: getattr(f, name)})
    if f.mine:
        cases = cases.filter(assignee=user)
    if f.unknown_contact:
        cases = cases.filter(customer__isnull=True)
    if f.unassigned:
        cases = cases.filter(assignee__isnull=True)
    if f.breached:
        now = timezone.now()
        cases = cases.filter(status__in=OPEN_STATUSES).filter(late_q(now))
    if f.opened_from:
        cases = cases.filter(opened_at__date__gte=f.opened_from)
    if f.opened_to:
        cases = cases.filter(opened_at__date__lte=f.opened_to)
    if f.q.strip():
        q = f.q.strip()
        reference = q.upper().removeprefix("C-")
        match = (
            Q(subject__icontains=q)
            | Q(sender_email__iexact=q)
            | Q(sender_name__icontains=q)
            | Q(external_id=q)
            # the customer's name (in either order), e-mail, phone or number, as the search at
            # the top finds them: most cases (imported, logged on a profile) keep no sender
            | Q(customer_id__in=[c.pk for c in customer_search(user=user, q=q, limit=200)])
        )
        if reference.isascii() and reference.isdigit() and len(reference) < 19:
            match |= Q(pk=int(reference))
        cases = cases.filter(match)
    cases = cases.select_related(
        "customer", "queue", "assignee", "product", "suggested_product", "office", "sla_policy"
    )
    if f.order == "due":
        return cases.annotate(next_due=next_target()).order_by(
            F("next_due").asc(nulls_last=True), "opened_at", "id"
        )
    return cases.order_by("-opened_at", "-id")


def case_get(*, user: Any, case_id: int) -> Case:
    """One case the user may see, or NotFound."""
    case = (
        case_queryset(user=user)
        .select_related(
            "customer",
            "queue",
            "assignee",
            "product",
            "suggested_product",
            "office",
            "sla_policy",
            "team",
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("No such case.")
    return case


def case_messages(*, case: Case) -> QuerySet[CaseMessage]:
    return case.messages.select_related("author", "template").order_by("at", "id")


def case_thread(*, case: Case) -> list[CaseMessage]:
    """The case's messages as the case page shows them: a case that came without a message of
    its own (imported from cases.csv, a letter, a branch visit) starts with what the customer
    told us, its body, as the first message (shown, not saved)."""
    messages = list(case_messages(case=case))
    inbound = CaseMessage.Direction.INBOUND
    if case.body and not any(m.direction == inbound for m in messages):
        opening = CaseMessage(
            case=case,
            direction=inbound,
            channel=case.channel,
            at=case.opened_at,
            sender=case.contact_label,
            subject=case.subject,
            body=case.body,
        )
        messages.insert(0, opening)
    return messages


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "id")


def customer_cases(*, user: Any, customer_id: int, limit: int = 10) -> list[Case]:
    """A customer's cases, open ones first (the profile panel)."""
    if not user.has_perm("service.view_case"):
        return []
    rows = (
        case_queryset(user=user)
        .filter(customer_id=customer_id)
        .select_related("queue", "assignee", "sla_policy", "product")
        .order_by("closed_at", "-opened_at")
    )
    return sorted(rows[:limit], key=lambda c: (not c.is_open, -c.opened_at.timestamp()))


@dataclass(frozen=True)
class QueueRow:
    queue: Queue
    open: int
    unassigned: int
    breached: int


def queue_overview(*, user: Any) -> list[QueueRow]:
    """Every active queue with its open, unassigned and breached counts, over the cases the user
    may see (the same scope as the case list beside it; two queries)."""
    require_perm(user, "service.view_case")
    now = timezone.now()
    counts = {
        row["queue_id"]: row
        for row in case_queryset(user=user)
        .filter(status__in=OPEN_STATUSES, queue__isnull=False)
        .values("queue_id")
        .annotate(
            n_open=Count("id"),
            n_unassigned=Count("id", filter=Q(assignee__isnull=True)),
            n_breached=Count("id", filter=late_q(now)),
        )
        .order_by()
    }
    rows = []
    for queue in Queue.objects.filter(active=True).order_by("rank", "name"):
        row: dict[str, Any] = dict(counts.get(queue.pk) or {})
        rows.append(
            QueueRow(
                queue, row.get("n_open", 0), row.get("n_unassigned", 0), row.get("n_breached", 0)
            )
        )
    return rows


def queue_list() -> QuerySet[Queue]:
    return Queue.objects.filter(active=True).order_by("rank", "name")


def template_list(*, purpose: str = "") -> QuerySet[ReplyTemplate]:
    rows = ReplyTemplate.objects.filter(active=True)
    return rows.filter(purpose=purpose) if purpose else rows


def classifier_versions(*, user: Any) -> QuerySet[ClassifierModel]:
    require_perm(user, "service.view_classifiermodel")
    return ClassifierModel.objects.select_related("created_by").order_by("-created_at", "-id")


def classifier_active() -> ClassifierModel | None:
    return ClassifierModel.objects.filter(active=True).first()


def case_counts(*, user: Any) -> dict[str, int]:
    """Open cases, mine, unassigned and breached for the start page."""
    now = timezone.now()
    cases = case_queryset(user=user).filter(status__in=OPEN_STATUSES)
    return cases.aggregate(
        open=Count("id"),
        mine=Count("id", filter=Q(assignee=user)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        breached=Count("id", filter=late_q(now)),
    )


def my_open_case_count(user: Any) -> int:
    """The badge on the Cases navigation item: open cases assigned to the user."""
    if not user.has_perm("service.view_case"):
        return 0
    return Case.objects.filter(assignee=user, status__in=OPEN_STATUSES).count()


def my_cases_due(*, user: Any, limit: int = 6) -> tuple[int, list[tuple[Case, dict[str, Any]]]]:
    """The start page's "Your cases": how many open cases the user has, and those whose next
    target (first answer, else resolution) comes first, with their timers."""
    from ckm.service.services.timers import timers

    if not user.has_perm("service.view_case"):
        return 0, []
    mine = Case.objects.filter(assignee=user, status__in=OPEN_STATUSES)
    first = (
        mine.select_related("customer", "sla_policy")
        .annotate(next_due=next_target())
        .order_by(F("next_due").asc(nulls_last=True), "pk")[:limit]
    )
    return mine.count(), [(case, timers(case)) for case in first]


def customer_case_panel(*, user: Any, customer: Any) -> dict[str, Any] | None:
    """The Cases panel of the customer profile: their cases with timers, and the form to log one."""
    import secrets

    from ckm.service.forms import CaseLogForm
    from ckm.service.services.timers import timers

    if not user.has_perm("service.view_case"):
        return None
    cases = customer_cases(user=user, customer_id=customer.pk)
    return {
        "customer": customer,
        "cases": [(case, timers(case)) for case in cases],
        "open_count": sum(1 for case in cases if case.is_open),
        "case_form": CaseLogForm() if user.has_perm("service.add_case") else None,
        "new_key": secrets.token_hex(8),
    }


# --- the managers' settings pages: every row, active or not ---------------------------------------


def settings_queues(*, user: Any, read_only: bool = False) -> QuerySet[Queue]:
    """Every queue with its rules, team and members (for the settings pages and the API; to
    read them, `service.view_queue` is enough)."""
    require_perm(user, "service.view_queue" if read_only else "service.change_queue")
    return (
        Queue.objects.select_related("team")
        .prefetch_related("products", "offices", "memberships__user")
        .order_by("-active", "rank", "name")
    )


def settings_queue(*, user: Any, queue_id: int) -> Queue:
    """One queue for its edit page."""
    queue = settings_queues(user=user).filter(pk=queue_id).first()
    if queue is None:
        raise NotFound("No such queue.")
    return queue


def settings_sla_policies(*, user: Any, read_only: bool = False) -> QuerySet[SlaPolicy]:
    """Every SLA policy with its calendar and escalation contact."""
    require_perm(user, "service.view_slapolicy" if read_only else "service.change_slapolicy")
    return SlaPolicy.objects.select_related("calendar", "escalate_to").order_by("-active", "name")


def settings_calendars(*, user: Any, read_only: bool = False) -> QuerySet[BusinessCalendar]:
    """Every business calendar with its holidays."""
    require_perm(
        user,
        "service.view_businesscalendar" if read_only else "service.change_businesscalendar",
    )
    return BusinessCalendar.objects.prefetch_related("holidays").order_by("name")


def settings_reply_templates(*, user: Any, read_only: bool = False) -> QuerySet[ReplyTemplate]:
    """Every reply template, active ones first."""
    require_perm(
        user, "service.view_replytemplate" if read_only else "service.change_replytemplate"
    )
    return ReplyTemplate.objects.order_by("-active", "purpose", "name")
