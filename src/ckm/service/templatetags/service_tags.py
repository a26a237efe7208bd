"""Template helpers of the service desk used on other apps' pages (the start page)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("service/_home.html", takes_context=True)
def service_home(context: dict[str, Any]) -> dict[str, Any]:
    """The start page's "Your cases": the agent's open cases whose next target comes first."""
    from ckm.service.selectors import my_cases_due

    user = context["user"]
    if not user.has_perm("service.view_case"):
        return {"show": False}
    count, cases = my_cases_due(user=user)
    return {"show": bool(count), "count": count, "cases": cases}
