"""The demo bank's service desk: calendar, SLA policies, templates, queues per product area with
the contact-centre agents, the classifier trained on the bank's closed cases, and the open
imported cases classified, timed and routed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.core.errors import DomainError
from ckm.core.models import Role, User
from ckm.service.models import OPEN_STATUSES, Case, CaseStatus, Holiday
from ckm.service.services.classify import classifier_train
from ckm.service.services.common import case_history
from ckm.service.services.imported import cases_triage
from ckm.service.services.setup import queue_save, service_defaults_ensure

# (name, product families, kinds, rank): complaints go to a team of their own whatever the product
DEMO_QUEUES = [
    ("Complaints", [], ["complaint"], 10),
    ("Loans and mortgages", ["loan", "mortgage"], [], 20),
    ("Savings and investments", ["savings", "investment", "pension", "insurance"], [], 30),
    ("Cards and payments", ["card", "current_account"], [], 40),
]
# German public holidays the demo's calendar knows (nationwide ones of 2025-2027)
HOLIDAYS = [
    ("2025-12-25", "Christmas Day"), ("2025-12-26", "Second Day of Christmas"),
    ("2026-01-01", "New Year's Day"), ("2026-04-03", "Good Friday"),
    ("2026-04-06", "Easter Monday"), ("2026-05-01", "Labour Day"),
    ("2026-05-14", "Ascension Day"), ("2026-05-25", "Whit Monday"),
    ("2026-10-03", "German Unity Day"), ("2026-12-25", "Christmas Day"),
    ("2026-12-26", "Second Day of Christmas"), ("2027-01-01", "New Year's Day"),
]  # fmt: skip
DEMO_TRAIN_MAX = 3000


def service_seed_demo(*, actor: Any) -> dict[str, Any]:
    """Set up the demo's service desk and learn from its history (called by `ckm demo`)."""
    service_defaults_ensure(actor=None)
    from ckm.service.models import BusinessCalendar

    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is not None:
        for day, name in HOLIDAYS:
            Holiday.objects.get_or_create(
                calendar=calendar, date=dt.date.fromisoformat(day), defaults={"name": name}
            )
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("username"))
    for index, (name, families, kinds, rank) in enumerate(DEMO_QUEUES):
        queue_save(
            actor=None,
            name=name,
            product_families=families,
            kinds=kinds,
            # half the agents are the complaint specialists
            members=agents[::2] if kinds == ["complaint"] else agents,
            rank=rank,
            strategy="round_robin" if index == 1 else "least_loaded",
        )
    queue_save(actor=None, name="General", members=agents, is_default=True, rank=999)
    trained = None
    try:
        trained = classifier_train(actor=None, max_examples=DEMO_TRAIN_MAX)
    except DomainError:  # too few labelled cases in a very small demo
        trained = None
    waiting = list(
        Case.objects.filter(status__in=OPEN_STATUSES, queue__isnull=True).values_list(
            "pk", flat=True
        )
    )
    routed = cases_triage(case_ids=waiting)
    answered = demo_first_responses(case_ids=waiting)
    history = demo_desk_history()
    taught = suggestions_teach_from_cases()
    return {
        "queues": len(DEMO_QUEUES) + 1,
        "classifier": trained.version if trained else None,
        "accuracy": (trained.metrics if trained else {}),
        "routed": routed,
        "answered": answered,
        "history": history,
        "suggestions": taught,
    }


# an open case older than this has had its first answer: a working desk answers within the target
ANSWERED_AFTER = dt.timedelta(hours=3)


def demo_first_responses(*, case_ids: Sequence[int], seed: int = 11) -> int:
    """The desk as it stands on the demo's day: open cases that arrived more than a few hours ago
    have been answered within their first-response target and are being worked on (the newest
    ones still wait, so the timers show both). Recorded on each case's history at the moment of
    the answer. Returns how many."""
    import random

    rng = random.Random(seed)
    now = timezone.now()
    cases = Case.objects.filter(
        pk__in=case_ids,
        status__in=OPEN_STATUSES,
        first_response_at__isnull=True,
        opened_at__lt=now - ANSWERED_AFTER,
    ).order_by("pk")
    done = 0
    for case in cases:
        due = case.first_response_due or case.opened_at + ANSWERED_AFTER
        answered_at = min(case.opened_at + (due - case.opened_at) * rng.uniform(0.2, 0.9), now)
        case.first_response_at = answered_at
        from_status, case.status = case.status, CaseStatus.IN_PROGRESS
        case.save(update_fields=["first_response_at", "status", "updated_at"])
        case_history(
            case=case,
            kind="status",
            summary=f"{CaseStatus(from_status).label} → {CaseStatus.IN_PROGRESS.label}",
            actor=case.assignee,
            from_status=from_status,
            to_status=CaseStatus.IN_PROGRESS,
            at=answered_at,
        )
        done += 1
    return done


# the demo's closed cases of the last year as the desk handled them: how often the first answer
# and the resolution met their targets, and how customers rated the answers (1-5) in time or late
HISTORY_DAYS = 365
FIRST_RESPONSE_IN_TIME = {"complaint": 0.86, "request": 0.92, "idea": 0.8}
SATISFACTION_ASKED = 0.4
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = {True: (0.04, 0.06, 0.1, 0.32, 0.48), False: (0.16, 0.22, 0.26, 0.22, 0.14)}
REOPENED = 0.03


def demo_desk_history(*, seed: int = 13, days: int = HISTORY_DAYS) -> int:
    """The closed cases of the last `days` as the desk handled them: each gets the queue its
    rules give, a member of that queue, the SLA policy and deadlines from its opening, a first
    answer (mostly within the target), an escalation when it was resolved late, now and then a
    reopening, and for some of the requests and complaints the customer's satisfaction answer,
    lower when the resolution was late. Only cases without a queue are touched (once). Returns how
    many."""
    import random

    from ckm.service.services.routing import queue_for
    from ckm.service.services.timers import sla_start

    rng = random.Random(seed)
    now = timezone.now()
    cases = list(
        Case.objects.filter(
            status=CaseStatus.CLOSED,
            queue__isnull=True,
            opened_at__gte=now - dt.timedelta(days=days),
        ).order_by("pk")
    )
    members: dict[int, list[int]] = {}
    queues: dict[tuple[Any, ...], Any] = {}  # the routing rules' answer per kind of case
    memo: dict[Any, Any] = {}
    for case in cases:
        key = (
            case.kind,
            case.office_id,
            case.product_id,
            case.suggested_product_id,
            case.category,
            case.suggested_category,
        )
        if key not in queues:
            queues[key] = queue_for(case)
        queue = queues[key]
        if queue is None:
            continue
        if queue.pk not in members:
            members[queue.pk] = list(
                queue.memberships.filter(active=True).values_list("user_id", flat=True)
            )
        case.queue = queue
        case.team_id = queue.team_id
        case.assignee_id = rng.choice(members[queue.pk]) if members[queue.pk] else None
        sla_start(case, memo=memo)
        _handled(case, rng, now)
    fields = ["queue", "team", "assignee", "sla_policy", "first_response_due", "resolution_due"]
    fields += ["first_response_at", "escalated", "escalated_at", "reopened_count"]
    fields += ["satisfaction_score", "satisfaction_at"]
    with transaction.atomic():
        Case.objects.bulk_update(cases, fields, batch_size=500)
    return len(cases)


def _handled(case: Case, rng: Any, now: dt.datetime) -> None:
    """The first answer, escalation, reopening and satisfaction of one closed case."""
    finished = case.resolved_at or case.closed_at or now
    due = case.first_response_due
    if due is not None:
        target = due - case.opened_at
        if rng.random() < FIRST_RESPONSE_IN_TIME.get(case.kind, 0.9):
            answered = case.opened_at + target * rng.uniform(0.1, 0.95)
        else:
            answered = due + target * rng.uniform(0.05, 1.5)
        case.first_response_at = max(case.opened_at, min(answered, finished))
    resolution_due = case.resolution_due
    late = resolution_due is not None and finished > resolution_due
    if late and resolution_due is not None and case.sla_policy is not None:
        at = case.opened_at + (resolution_due - case.opened_at) * (
            case.sla_policy.escalate_at_percent / 100
        )
        case.escalated, case.escalated_at = True, min(at, finished)
    if rng.random() < REOPENED:
        case.reopened_count = 1
    if case.kind != "idea" and case.closed_at and rng.random() < SATISFACTION_ASKED:
        answered_at = case.closed_at + dt.timedelta(hours=rng.uniform(2, 72))
        if answered_at < now:
            case.satisfaction_score = rng.choices(SCORES, weights=SCORE_WEIGHTS[not late])[0]
            case.satisfaction_at = answered_at


DEMO_EVIDENCE_MAX = 1200


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-zäöüß]{4,}", text.lower())}


def suggestions_teach_from_cases(*, limit: int = DEMO_EVIDENCE_MAX) -> dict[str, Any]:
    """The demo's history of answered cases teaches the article suggestions: each closed case
    with an issue category is recorded as answered by the live article of that category whose
    title and summary share most words with it (through knowledge's own link service, as an agent
    would), then the suggestion model trains once. Returns counts and the model version."""
    from ckm.knowledge.models import Article
    from ckm.knowledge.selectors import live_q
    from ckm.knowledge.services import article_link_resolution
    from ckm.knowledge.suggestions.training import suggestion_model_train

    agent = User.objects.filter(role=Role.AGENT, is_active=True).order_by("username").first()
    if agent is None:
        return {"linked": 0, "model": None}
    by_category: dict[str, list[tuple[Article, set[str]]]] = {}
    for article in Article.objects.filter(live_q()).select_related("category"):
        if article.category is not None:
            by_category.setdefault(article.category.path.lower(), []).append(
                (article, _words(f"{article.title} {article.summary}"))
            )
    cases = (
        Case.objects.filter(status=CaseStatus.CLOSED)
        .exclude(category="")
        .select_related("customer")
        .order_by("-opened_at")[:limit]
    )
    linked = 0
    # one training at the end instead of a queued retraining per link
    with transaction.atomic():
        for case in cases:
            candidates = by_category.get(case.category.lower())
            text = f"{case.subject}\n{case.body}".strip()
            if not candidates or not text:
                continue
            words = _words(text)
            article = max(candidates, key=lambda pair: len(words & pair[1]))[0]
            article_link_resolution(
                actor=agent,
                article=article,
                text=text,
                source="case",
                source_id=str(case.pk),
                customer=case.customer,
                retrain=False,
            )
            linked += 1
    model = suggestion_model_train(actor=None, force=True) if linked else None
    return {"linked": linked, "model": model.version if model else None}
