"""Template helpers of the service desk: the start page's cases, the classifier's name, the
messages we write as their e-mail shows them."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.inclusion_tag("service/_home.html", takes_context=True)
def service_home(context: dict[str, Any]) -> dict[str, Any]:
    """The start page's "Your cases" (the agent's open cases whose next target comes first) and,
    for managers, the desk's open, unassigned and late cases."""
    from ckm.service.selectors import my_cases_due

    user = context["user"]
    if not user.has_perm("service.view_case"):
        return {"show": False}
    count, cases = my_cases_due(user=user)
    out: dict[str, Any] = {"show": bool(count), "count": count, "cases": cases}
    # whoever runs the desk sees it at a glance, with the way to its dashboard
    if user.has_perm("performance.view_dashboard"):
        from ckm.service.selectors import case_counts

        out["desk"] = case_counts(user=user)
    return out


_VERSION = re.compile(r"^cases-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})\d{2}$")


@register.filter
def model_words(version: Any) -> str:
    """A classifier version as people say it: "cases-20261207-074151" -> "the model of
    2026-12-07 07:41" (any other name as it is)."""
    match = _VERSION.match(str(version or ""))
    if not match:
        return str(version or "")
    y, mo, d, h, mi = match.groups()
    return f"the model of {y}-{mo}-{d} {h}:{mi}"


@register.filter
def reply_html(body: str) -> SafeString:
    """A message we wrote as the customer's e-mail shows it: Markdown rendered and sanitised."""
    from ckm.service.services.replies import reply_html as render_reply

    return mark_safe(render_reply(body or ""))  # nh3 has sanitised it
