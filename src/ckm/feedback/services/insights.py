"""The product insight board: insights created from a topic or a single case, their status
workflow, the products they concern, their volume, and the customers who raised them and agreed
to be contacted for product development (consent purpose "product_feedback"), with each contact
and its outcome recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import ConflictError, NotFound, ValidationError, indefinite
from ckm.core.models import User
from ckm.core.permissions import require_perm
from ckm.customers.models import Consent, Product
from ckm.customers.services import customer_event_record
from ckm.feedback.models import CaseTopic, Insight, InsightContact, Topic
from ckm.feedback.selectors import insight_case_ids
from ckm.service.models import Case

CONTACT_PURPOSE = Consent.Purpose.PRODUCT_FEEDBACK
"""The consent that allows the product team to contact a customer about an insight."""

TRANSITIONS: dict[str, set[str]] = {
    Insight.Status.NEW: {Insight.Status.UNDER_REVIEW, Insight.Status.DECLINED},
    Insight.Status.UNDER_REVIEW: {Insight.Status.PLANNED, Insight.Status.DECLINED},
    Insight.Status.PLANNED: {
        Insight.Status.SHIPPED,
        Insight.Status.UNDER_REVIEW,
        Insight.Status.DECLINED,
    },
    Insight.Status.SHIPPED: set(),
    Insight.Status.DECLINED: {Insight.Status.UNDER_REVIEW},
}
PRODUCT_SHARE = 0.2
"""A topic concerns a product when at least this share of its cases is about it."""


def _topic_products(topic_ids: Iterable[int]) -> list[int]:
    counts = Counter(
        CaseTopic.objects.filter(topic_id__in=list(topic_ids), case__product__isnull=False)
        .values_list("case__product_id", flat=True)
        .iterator()
    )
    total = sum(counts.values())
    return [pk for pk, n in counts.most_common(3) if total and n / total >= PRODUCT_SHARE]


M = TypeVar("M", bound=Model)


def _existing(model: type[M], ids: Iterable[int], field: str, noun: str) -> list[M]:
    """The records with these ids, or a field error naming the ids that do not exist (a
    reference to nothing is refused, not dropped)."""
    wanted = list(dict.fromkeys(ids))
    found = {row.pk: row for row in model._default_manager.filter(pk__in=wanted)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({field: [f"No such {noun}: {', '.join(missing)}."]})
    return [found[pk] for pk in wanted]


@transaction.atomic
def insight_create(
    *,
    actor: Any,
    title: str,
    description: str = "",
    topic_ids: Iterable[int] = (),
    case_ids: Iterable[int] = (),
    product_ids: Iterable[int] | None = None,
    owner: User | None = None,
) -> Insight:
    """A new insight on the board, backed by topics and/or cases. Products default to those
    most of its cases are about."""
    require_perm(actor, "feedback.add_insight")
    topic_ids, case_ids = list(topic_ids), list(case_ids)
    topics = _existing(Topic, topic_ids, "topics", "topic")
    cases = _existing(Case, case_ids, "cases", "case")
    title = (title or "").strip() or (topics[0].label if topics else "")
    if not title and cases:
        title = (cases[0].subject or cases[0].body)[:120]
    if product_ids is None:
        chosen = _topic_products([t.pk for t in topics]) if topics else []
        chosen += [c.product_id for c in cases if c.product_id and c.product_id not in chosen]
        product_ids = chosen
    products = _existing(Product, product_ids, "products", "product")
    insight = Insight(
        title=title[:200],
        description=description.strip(),
        owner=owner or (actor if actor.is_authenticated else None),
        created_by=actor,
        status_changed_at=timezone.now(),
    )
    insight.full_clean()
    insight.save()
    insight.topics.set(topics)
    insight.cases.set(cases)
    insight.products.set(products)
    insight_contacts_refresh(insight=insight)
    audit_record(
        actor=actor,
        action="feedback.insight_created",
        obj=insight,
        after={
            **snapshot(insight, ["title", "status", "owner_id"]),
            "topics": [t.pk for t in topics],
            "cases": [c.pk for c in cases],
            "products": [p.pk for p in products],
        },
    )
    return insight


def insight_from_topic(*, actor: Any, topic_id: int, title: str = "") -> Insight:
    """An insight from a topic: its label, its products, its cases."""
    topic = Topic.objects.filter(pk=topic_id).first()
    if topic is None:
        raise NotFound("No such topic.")
    open_one = (
        Insight.objects.filter(topics=topic)
        .exclude(status__in=[Insight.Status.SHIPPED, Insight.Status.DECLINED])
        .first()
    )
    if open_one is not None:
        # a second click, or a colleague's: one insight per topic while it is being worked on
        raise ConflictError(
            f"This topic is already on the board as “{open_one.title}” (insight {open_one.pk})."
        )
    keywords = ", ".join(topic.keywords[:6])
    return insight_create(
        actor=actor,
        title=title or topic.label,
        description=f"Raised in {topic.size} cases about: {keywords}." if keywords else "",
        topic_ids=[topic.pk],
    )


def insight_from_case(*, actor: Any, case_id: int, title: str = "") -> Insight:
    """An insight from one case (an idea or a complaint worth acting on)."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such case.")
    return insight_create(
        actor=actor, title=title or case.subject or case.body[:120], case_ids=[case.pk]
    )


def _insight_for_update(insight_id: int) -> Insight:
    insight = Insight.objects.select_for_update().filter(pk=insight_id).first()
    if insight is None:
        raise NotFound("No such insight.")
    return insight


@transaction.atomic
def insight_update(
    *,
    actor: Any,
    insight_id: int,
    title: str | None = None,
    description: str | None = None,
    owner_id: int | None = None,
    product_ids: Iterable[int] | None = None,
) -> Insight:
    """Edit an insight's title, description, owner or products."""
    require_perm(actor, "feedback.change_insight")
    insight = _insight_for_update(insight_id)
    before = {
        **snapshot(insight, ["title", "description", "owner_id"]),
        "products": sorted(insight.products.values_list("id", flat=True)),
    }
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": ["An insight needs a title."]})
        insight.title = title.strip()[:200]
    if description is not None:
        insight.description = description.strip()
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            raise ValidationError({"owner_id": ["No such user."]})
        insight.owner = owner
    products = _existing(Product, product_ids, "products", "product") if product_ids else []
    insight.full_clean()
    insight.save()
    if product_ids is not None:
        insight.products.set(products)
    after = {
        **snapshot(insight, ["title", "description", "owner_id"]),
        "products": sorted(insight.products.values_list("id", flat=True)),
    }
    audit_record(
        actor=actor, action="feedback.insight_updated", obj=insight, before=before, after=after
    )
    return insight


@transaction.atomic
def insight_status_set(*, actor: Any, insight_id: int, status: str, note: str = "") -> Insight:
    """Move an insight along new → under review → planned → shipped, or decline it (a declined
    insight can be reviewed again; a shipped one is final)."""
    require_perm(actor, "feedback.change_insight")
    if status not in Insight.Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    insight = _insight_for_update(insight_id)
    if status == insight.status:
        return insight
    if status not in TRANSITIONS[insight.status]:
        raise ConflictError(
            f"{indefinite(insight.get_status_display().lower() + ' insight')} cannot become "
            f"{Insight.Status(status).label.lower()}."
        )
    before = {"status": insight.status}
    insight.status = status
    insight.status_changed_at = timezone.now()
    if note.strip():
        insight.decision_note = note.strip()
    insight.save(update_fields=["status", "status_changed_at", "decision_note", "updated_at"])
    audit_record(
        actor=actor,
        action="feedback.insight_status",
        obj=insight,
        before=before,
        after={"status": status},
        summary=note[:300],
    )
    return insight


@transaction.atomic
def insight_link(
    *, actor: Any, insight_id: int, topic_ids: Iterable[int] = (), case_ids: Iterable[int] = ()
) -> Insight:
    """Add topics or cases to an insight (more evidence, more people to ask)."""
    require_perm(actor, "feedback.change_insight")
    insight = _insight_for_update(insight_id)
    topics = _existing(Topic, topic_ids, "topics", "topic")
    cases = _existing(Case, case_ids, "cases", "case")
    insight.topics.add(*topics)
    insight.cases.add(*cases)
    insight_contacts_refresh(insight=insight)
    audit_record(
        actor=actor,
        action="feedback.insight_linked",
        obj=insight,
        after={"topics": [t.pk for t in topics], "cases": [c.pk for c in cases]},
    )
    return insight


def insight_contacts_refresh(*, insight: Insight) -> int:
    """Bring the insight's contact list and volume up to date with its cases and the customers'
    current consents; recorded contacts are kept. Returns the number of contactable customers."""
    case_ids = insight_case_ids(insight)
    raised = Counter(
        Case.objects.filter(pk__in=case_ids, customer__isnull=False)
        .values_list("customer_id", flat=True)
        .iterator()
    )
    channels: dict[int, list[str]] = {}
    for customer_id, channel in Consent.objects.filter(
        customer_id__in=list(raised), purpose=CONTACT_PURPOSE, granted=True
    ).values_list("customer_id", "channel"):
        channels.setdefault(customer_id, []).append(channel)
    existing = {c.customer_id: c for c in InsightContact.objects.filter(insight=insight)}
    changed, new = [], []
    for customer_id, n in raised.items():
        consented = customer_id in channels
        row = existing.pop(customer_id, None)
        if row is None:
            new.append(
                InsightContact(
                    insight=insight,
                    customer_id=customer_id,
                    consented=consented,
                    consent_channels=sorted(channels.get(customer_id, [])),
                    cases=n,
                )
            )
        else:
            row.consented = consented
            row.consent_channels = sorted(channels.get(customer_id, []))
            row.cases = n
            changed.append(row)
    InsightContact.objects.bulk_create(new, batch_size=1000)
    InsightContact.objects.bulk_update(
        changed, ["consented", "consent_channels", "cases"], batch_size=1000
    )
    # people no longer behind the insight leave the list unless someone already spoke to them
    InsightContact.objects.filter(
        pk__in=[r.pk for r in existing.values()], contacted_at__isnull=True
    ).delete()
    Insight.objects.filter(pk=insight.pk).update(volume=len(case_ids))
    insight.volume = len(case_ids)
    return sum(1 for c in raised if c in channels)


def insight_volumes_refresh() -> int:
    """Refresh every open insight's volume and contact list (after topics were refreshed)."""
    insights = Insight.objects.exclude(status__in=[Insight.Status.SHIPPED, Insight.Status.DECLINED])
    for insight in insights:
        with transaction.atomic():
            insight_contacts_refresh(insight=insight)
    return len(insights)


@transaction.atomic
def insight_contact_record(
    *, actor: Any, contact_id: int, channel: str, outcome: str, note: str = ""
) -> InsightContact:
    """Record that the product team contacted a customer about an insight, and the outcome.
    Only while the customer's consent for product development contact stands."""
    require_perm(actor, "feedback.change_insightcontact")
    contact = (
        InsightContact.objects.select_for_update()
        .select_related("insight", "customer")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound("No such contact.")
    errors: dict[str, list[str]] = {}
    if channel not in Consent.Channel.values:
        errors["channel"] = ["Choose how the customer was contacted."]
    if outcome not in InsightContact.Outcome.values or not outcome:
        errors["outcome"] = ["Choose the outcome."]
    if errors:
        raise ValidationError(errors)
    granted = set(
        Consent.objects.filter(
            customer_id=contact.customer_id, purpose=CONTACT_PURPOSE, granted=True
        ).values_list("channel", flat=True)
    )
    if channel not in granted:
        raise ConflictError(
            "The customer has not agreed to product development contact by "
            f"{Consent.Channel(channel).label.lower()}."
        )
    before = snapshot(contact, ["contacted_at", "channel", "outcome", "note"])
    contact.contacted_at = timezone.now()
    contact.contacted_by = actor
    contact.channel = channel
    contact.outcome = outcome
    contact.note = note.strip()
    contact.save()
    audit_record(
        actor=actor,
        action="feedback.insight_contact",
        obj=contact,
        customer_id=contact.customer_id,
        before=before,
        after=snapshot(contact, ["contacted_at", "channel", "outcome", "note"]),
        summary=f"Contacted about insight: {contact.insight.title}",
    )
    customer_event_record(
        customer_id=contact.customer_id,
        kind="product_feedback_contact",
        summary=(
            f"Product team contact about “{contact.insight.title}”: "
            f"{contact.get_outcome_display().lower()}"
        ),
        actor=actor,
        source="feedback",
        payload={"insight": contact.insight_id, "channel": channel, "outcome": outcome},
    )
    return contact
