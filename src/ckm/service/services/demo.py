"""The demo bank's service desk: calendar, SLA policies, templates, queues per product area with
the contact-centre agents, the classifier trained on the bank's closed cases, and the open
imported cases classified, timed and routed."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from ckm.core.errors import DomainError
from ckm.core.models import Role, User
from ckm.service.models import OPEN_STATUSES, Case, CaseStatus, Holiday
from ckm.service.services.classify import classifier_train
from ckm.service.services.imported import cases_triage
from ckm.service.services.setup import queue_save, service_defaults_ensure

DEMO_QUEUES = [
    ("Cards and payments", ["card", "current_account"], 10),
    ("Loans and mortgages", ["loan", "mortgage"], 20),
    ("Savings and investments", ["savings", "investment", "pension", "insurance"], 30),
]
# German public holidays the demo's calendar knows (nationwide ones of 2025-2027)
HOLIDAYS = [
    "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01",
    "2026-05-14", "2026-05-25", "2026-10-03", "2026-12-25", "2026-12-26", "2027-01-01",
]  # fmt: skip
DEMO_TRAIN_MAX = 3000


def service_seed_demo(*, actor: Any) -> dict[str, Any]:
    """Set up the demo's service desk and learn from its history (called by `ckm demo`)."""
    import datetime as dt

    service_defaults_ensure(actor=None)
    from ckm.service.models import BusinessCalendar

    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is not None:
        for day in HOLIDAYS:
            Holiday.objects.get_or_create(
                calendar=calendar, date=dt.date.fromisoformat(day), defaults={"name": "Holiday"}
            )
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("username"))
    for index, (name, families, rank) in enumerate(DEMO_QUEUES):
        queue_save(
            actor=None,
            name=name,
            product_families=families,
            members=agents,
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
    taught = suggestions_teach_from_cases()
    return {
        "queues": len(DEMO_QUEUES) + 1,
        "classifier": trained.version if trained else None,
        "accuracy": (trained.metrics if trained else {}),
        "routed": routed,
        "suggestions": taught,
    }


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
