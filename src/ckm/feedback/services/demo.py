"""What the demo bank shows of knowledge from customers: topics discovered in its cases, emerging
alerts, a few insights on the board (one with a recorded customer contact), and one knowledge gap
that an article closed some weeks ago.

The generated history has no topic whose complaints fall after an article, so this seed adds the
story that shows the loop: after an app update eleven weeks ago, customers could not log in
(about ten cases a week for five weeks, through the real case intake, closed since); the
editor's article "Logging in after the app update" was published six weeks ago, and the cases
fell back to the usual trickle. And one story still open: since the payee name check came to
transfers three weeks ago, customers ask what its warnings mean; no article explains it, so the
topic is an open knowledge gap on the editors' start page. Idempotent: the cases have external
ids, the rest is skipped when it exists.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone

from ckm.core.models import Office, Role, User
from ckm.customers.models import Customer, Product
from ckm.feedback.models import CaseTopic, Insight, InsightContact, KnowledgeGap, Topic
from ckm.feedback.selectors import monday
from ckm.feedback.services.discovery import topics_refresh
from ckm.feedback.services.gaps import gap_draft_article, gaps_close_published
from ckm.feedback.services.insights import (
    insight_contact_record,
    insight_from_case,
    insight_from_topic,
    insight_status_set,
)
from ckm.service.models import Case

log = logging.getLogger(__name__)

BURST_PREFIX = "DEMO-APP-UPDATE-"
BURST_WEEKS = (11, 7)  # weeks ago: first and last week of the burst
PUBLISHED_WEEKS_AGO = 6
BURST_SUBJECTS = ("Cannot log in", "App login broken", "Login after update", "App problem")
BURST_BODIES = (
    "Since the app update to version {v} I cannot log in any more. It says my device is not "
    "registered.",
    "After updating the banking app yesterday the login fails with error {code}. What do I do?",
    "The new app version {v} asks me to activate my device again but the activation letter "
    "never comes. I can't get into my account.",
    "I updated the app and now face ID login does not work, and the PIN is refused as well.",
    "Your latest app update logged me out and I cannot log back in - it keeps saying 'device "
    "binding expired'.",
    "Since the update I can't log in to the mobile app. Online banking in the browser works. "
    "Please fix this.",
    "App login impossible since the update on {day}. I need to pay a bill today!",
    "After the update the app wants a new activation code for my phone. How do I get one?",
)


@dataclass(frozen=True)
class Burst:
    """Cases about one new problem, a few a day between two days, through the real case intake
    (closed: answered one by one, as desks do before an article exists)."""

    prefix: str
    days: Callable[[dt.date], tuple[dt.date, dt.date]]  # today -> first and last day
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    slots: dict[str, tuple[str, ...]]
    category: str
    kinds: tuple[str, ...] = ("complaint",)
    per_day: tuple[int, ...] = (1, 1, 2, 2, 3)


APP_UPDATE = Burst(
    prefix=BURST_PREFIX,
    days=lambda today: (
        monday(today) - dt.timedelta(weeks=BURST_WEEKS[0]),
        monday(today) - dt.timedelta(weeks=BURST_WEEKS[1]) + dt.timedelta(days=6),
    ),
    subjects=BURST_SUBJECTS,
    bodies=BURST_BODIES,
    slots={"v": ("5.2", "5.2.1"), "code": ("E-401", "E-1203", "LOGIN-7")},
    category="Online banking / Login and app",
)

# the open gap: since the payee name check (verification of payee) came to transfers, customers
# ask what its warnings mean; no article explains it yet
PAYEE_CHECK = Burst(
    prefix="DEMO-PAYEE-CHECK-",
    days=lambda today: (today - dt.timedelta(days=20), today - dt.timedelta(days=1)),
    subjects=("Payee name check", "Name does not match", "Transfer warning", "Verification"),
    bodies=(
        "When I send a transfer the app now warns that the payee name does not match the "
        "account holder. The name is correct! Is my money safe if I continue?",
        "The verification of payee says '{result}' for {payee}. What does that mean, should I "
        "still send the money?",
        "Your new name check stopped my transfer to {payee} because the name is '{result}'. I "
        "typed it exactly as on the invoice.",
        "Since {day} every transfer shows '{result}' for the payee name. Who decides that and "
        "what happens if I confirm anyway?",
        "I confirmed a transfer to {payee} despite the '{result}' warning. Am I liable now if "
        "the money goes to the wrong person?",
        "Online banking asks me to check the recipient's name again - '{result}'. The IBAN is "
        "right. Please explain this new check.",
    ),
    slots={
        "result": ("no match", "close match", "check not possible"),
        "payee": (
            "my landlord",
            "my daughter's account",
            "the electricity company",
            "my own savings account at another bank",
            "a tradesman",
        ),
    },
    category="Payments / Transfers",
    kinds=("complaint", "request", "request"),
    per_day=(1, 2, 2, 3, 4),
)


def _burst_cases(rng: random.Random, today: dt.date, burst: Burst = APP_UPDATE) -> int:
    """A burst's cases, through the real case intake; those already made are skipped."""
    from ckm.service.services.intake import case_intake

    existing = set(
        Case.objects.filter(external_id__startswith=burst.prefix).values_list(
            "external_id", flat=True
        )
    )
    customers = list(
        Customer.objects.filter(kind=Customer.Kind.PERSON, status="active")
        .order_by("id")
        .values_list("id", flat=True)[:3000]
    )
    online = Office.objects.filter(code="ONLINE").first()
    product = Product.objects.filter(external_id="CA-CLASSIC").first()
    day, last = burst.days(today)
    created = 0
    number = 0
    while day <= last:
        for _ in range(rng.choice(burst.per_day)):
            number += 1
            # every draw is made before the skip, so a second run makes the same cases
            at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(rng.randint(7, 21), rng.randint(0, 59)))
            )
            customer_id = rng.choice(customers) if customers else None
            slots = {name: rng.choice(values) for name, values in burst.slots.items()}
            fields = {
                "channel": rng.choice(("email", "chat", "phone", "portal")),
                "subject": rng.choice(burst.subjects),
                "body": rng.choice(burst.bodies).format(day=day.strftime("%A"), **slots),
                "kind": rng.choice(burst.kinds),
            }
            answered_at = at + dt.timedelta(hours=rng.uniform(0.5, 6))
            closed_at = at + dt.timedelta(days=rng.randint(1, 4))
            external_id = f"{burst.prefix}{number:03d}"
            if external_id in existing:
                continue
            case = case_intake(
                **fields,
                customer=Customer.objects.filter(pk=customer_id).first() if customer_id else None,
                office=online,
                product=product,
                category=burst.category,
                external_id=external_id,
                opened_at=at,
                classify=False,
                acknowledge_receipt=False,
            )
            # answered within hours one by one, resolved and closed within a few days
            Case.objects.filter(pk=case.pk).update(
                status="closed",
                first_response_at=answered_at,
                resolved_at=closed_at,
                closed_at=closed_at,
            )
            created += 1
        day += dt.timedelta(days=1)
    return created


def _topic_of(case_filter: dict[str, Any]) -> Topic | None:
    counts = Counter(
        CaseTopic.objects.filter(topic__isnull=False, **case_filter).values_list(
            "topic_id", flat=True
        )
    )
    if not counts:
        return None
    return Topic.objects.get(pk=counts.most_common(1)[0][0])


def _gap_closed_by_article(actor: Any, topic: Topic, today: dt.date) -> KnowledgeGap | None:
    from ckm.knowledge.models import Article
    from ckm.knowledge.services import article_publish

    if KnowledgeGap.objects.filter(topic=topic, state=KnowledgeGap.State.CLOSED).exists():
        return None
    gap = KnowledgeGap.objects.filter(
        topic=topic, state__in=[KnowledgeGap.State.OPEN, KnowledgeGap.State.DRAFTED]
    ).first()
    if gap is None:
        # found back then, before the article existed
        gap = KnowledgeGap.objects.create(topic=topic, cases=topic.size, best_confidence=0.2)
    if gap.state == KnowledgeGap.State.OPEN:
        gap = gap_draft_article(actor=actor, gap_id=gap.pk)
    article = gap.article
    if article is None:
        return None
    if article.status != Article.Status.PUBLISHED:
        Article.objects.filter(pk=article.pk).update(
            title="Logging in after the app update",
            summary="The app asks to register the device again after version 5.2: how to do it.",
        )
        article.refresh_from_db()
        article = article_publish(actor=actor, article=article)
    published = timezone.make_aware(
        dt.datetime.combine(
            monday(today) - dt.timedelta(weeks=PUBLISHED_WEEKS_AGO) + dt.timedelta(days=1),
            dt.time(10, 0),
        )
    )
    Article.objects.filter(pk=article.pk).update(published_at=published)
    gaps_close_published()
    gap.refresh_from_db()
    return gap


def feedback_seed_demo(*, actor: Any) -> dict[str, int]:
    """Topics, alerts, insights and a closed knowledge gap on the demo bank (idempotent)."""
    rng = random.Random(4)
    today = timezone.localdate()
    added = _burst_cases(rng, today) + _burst_cases(rng, today, PAYEE_CHECK)
    result = topics_refresh(actor=actor, full=not Topic.objects.exists())
    counts = {"burst_cases": added, "topics": result.run.n_topics}

    app_topic = _topic_of({"case__external_id__startswith": BURST_PREFIX})
    if app_topic is not None:
        gap = _gap_closed_by_article(actor, app_topic, today)
        counts["gaps_closed"] = int(gap is not None)
    # the refresh's gap detection has found the topics no article answers yet (the payee check)
    counts["gaps_open"] = KnowledgeGap.objects.filter(state=KnowledgeGap.State.OPEN).count()

    pm = User.objects.filter(role=Role.PRODUCT_MANAGER, is_active=True).order_by("id").first()
    owner = pm or actor
    if Insight.objects.exists():
        return counts
    ideas = _topic_of({"case__kind": "idea"})
    fees = _topic_of({"case__category__startswith": "Fees"})
    made = []
    if ideas is not None:
        insight = insight_from_topic(
            actor=owner, topic_id=ideas.pk, title="Customers ask for more in the app"
        )
        insight_status_set(actor=owner, insight_id=insight.pk, status="under_review")
        made.append(insight)
        contact = (
            InsightContact.objects.filter(insight=insight, consented=True)
            .order_by("-cases", "id")
            .first()
        )
        if contact is not None and contact.consent_channels:
            insight_contact_record(
                actor=owner,
                contact_id=contact.pk,
                channel=contact.consent_channels[0],
                outcome="interested",
                note="Happy to test the new app features in the beta.",
            )
    if fees is not None and fees != ideas:
        insight = insight_from_topic(
            actor=owner, topic_id=fees.pk, title="The new account fee is not understood"
        )
        for status in ("under_review", "planned"):
            insight_status_set(
                actor=owner,
                insight_id=insight.pk,
                status=status,
                note="Clearer price notice and a fee-free option for salary accounts."
                if status == "planned"
                else "",
            )
        made.append(insight)
    idea = (
        Case.objects.filter(kind="idea", body__icontains="Apple Pay").order_by("-opened_at").first()
    )
    if idea is not None:
        made.append(insight_from_case(actor=owner, case_id=idea.pk, title="Offer Apple Pay"))
    counts["insights"] = len(made)
    counts["alerts"] = Topic.objects.annotate(n=Count("alerts")).filter(n__gt=0).count()
    log.info("feedback demo: %s", counts)
    return counts
