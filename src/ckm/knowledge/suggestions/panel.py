"""The agent's side panel: suggested articles for a customer's message, with "used this", which
records the article as the answer (evidence the suggestions learn from). Reused by the customer
profile (latest inbound message) and by any page that shows one message (interaction, case)."""

from __future__ import annotations

from typing import Any

from ckm.knowledge.suggestions.engine import SUGGESTION_FLOOR, article_suggest

PANEL_TEMPLATE = "knowledge/suggestions/_panel.html"


def message_suggestions(
    *,
    user: Any,
    text: str,
    source: str = "",
    source_id: str | int = "",
    customer: Any = None,
    limit: int = 3,
) -> dict[str, Any] | None:
    """The panel's context for one customer message; None if the user may not read articles."""
    if not user.has_perm("knowledge.view_article"):
        return None
    text = (text or "").strip()
    result = (
        article_suggest(text=text, user=user, limit=limit, min_confidence=SUGGESTION_FLOOR)
        if text
        else None
    )
    return {
        "text": text,
        "source": source,
        "source_id": str(source_id),
        "customer": customer,
        "result": result,
        "can_link": bool(source and source_id),
        "linked_article_id": None,
    }


def latest_customer_message(*, user: Any, customer: Any) -> Any:
    """The customer's newest inbound interaction with text (or None)."""
    from ckm.interactions.models import Direction
    from ckm.interactions.selectors import InteractionFilters, interaction_list

    if not user.has_perm("interactions.view_interaction"):
        return None
    return (
        interaction_list(user=user, filters=InteractionFilters(customer_id=customer.pk))
        .filter(direction=Direction.INBOUND)
        .exclude(text="")
        .first()
    )


def customer_suggestions(*, user: Any, customer: Any) -> dict[str, Any] | None:
    """Context of the profile's panel: the latest message the customer sent; its suggestions load
    after the page (htmx), so the profile stays fast while the sentence model works."""
    from django.urls import reverse
    from django.utils.http import urlencode

    if not user.has_perm("knowledge.view_article"):
        return None
    latest = latest_customer_message(user=user, customer=customer)
    context: dict[str, Any] = {
        "text": "",
        "source": "",
        "source_id": "",
        "customer": customer,
        "result": None,
        "can_link": False,
        "linked_article_id": None,
    }
    if latest is not None:
        context.update(
            text=f"{latest.subject}. {latest.text}" if latest.subject else latest.text,
            source="interaction",
            source_id=str(latest.pk),
            message_at=latest.occurred_at,
            message_channel=latest.get_channel_display(),
            lazy_url=reverse("suggestions:panel")
            + "?"
            + urlencode({"source": "interaction", "source_id": latest.pk}),
        )
    return context
