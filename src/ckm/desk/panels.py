"""Panels of the customer profile contributed by other apps (cases, scores, suggested articles).

Each panel is a function (user, customer) -> context dict or None, and a template under
desk/panels/. A panel returns None when the user's role may not see it or there is nothing to
show. Apps that build a panel add it to PANELS; the profile renders them in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ckm.customers.models import Customer


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[[Any, Customer], dict[str, Any] | None]
    column: str = "side"  # "main" or "side"


def analytics_panel(user: Any, customer: Customer) -> dict[str, Any] | None:
    """Value, CLV, churn risk, propensities and why (analytics)."""
    if not user.has_perm("analytics.view_score"):
        return None
    from ckm.analytics.selectors import customer_knowledge  # numpy/LightGBM load on first use

    return {"k": customer_knowledge(user=user, customer_id=customer.pk)}


def knowledge_panel(user: Any, customer: Customer) -> dict[str, Any] | None:
    """Suggested articles for the customer's latest message (knowledge suggestions)."""
    from ckm.knowledge.suggestions.panel import customer_suggestions  # model loads on first use

    return customer_suggestions(user=user, customer=customer)


def cases_panel(user: Any, customer: Customer) -> dict[str, Any] | None:
    """The customer's cases with SLA timers, and logging a phone case (service)."""
    from ckm.service.selectors import customer_case_panel

    return customer_case_panel(user=user, customer=customer)


def campaigns_panel(user: Any, customer: Customer) -> dict[str, Any] | None:
    """The campaigns the customer is in, the group, the outcome and why (campaigns)."""
    from ckm.campaigns.selectors import customer_campaign_panel

    return customer_campaign_panel(user=user, customer=customer)


PANELS: list[Panel] = [
    Panel("cases", "service/panels/cases.html", cases_panel, column="top"),
    Panel("knowledge", "desk/panels/knowledge.html", knowledge_panel, column="side"),
    Panel("analytics", "desk/panels/analytics.html", analytics_panel, column="side"),
    Panel("campaigns", "campaigns/panels/membership.html", campaigns_panel, column="side"),
]


def profile_panels(*, user: Any, customer: Customer) -> list[tuple[Panel, dict[str, Any]]]:
    """The panels this user sees on this customer's profile, with their context."""
    shown = []
    for panel in PANELS:
        context = panel.context(user, customer)
        if context is not None:
            shown.append((panel, context))
    return shown
