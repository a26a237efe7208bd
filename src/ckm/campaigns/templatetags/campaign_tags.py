"""Template helpers of the campaigns app used on other apps' pages (the start page)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("campaigns/_home.html", takes_context=True)
def campaigns_home(context: dict[str, Any]) -> dict[str, Any]:
    """The start page of marketers and managers: running campaigns with their lift so far, the
    latest results, drafts, and campaigns the NPV gate stopped."""
    from ckm.campaigns.selectors import campaigns_home as home

    user = context["user"]
    if not user.has_perm("campaigns.add_campaign"):
        return {"show": False}
    return {"show": True, "home": home(user=user), "perms": context.get("perms")}
