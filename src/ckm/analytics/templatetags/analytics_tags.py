"""Template tags that bring analytics to pages other apps render (the start page)."""

from __future__ import annotations

from typing import Any

from django import template

from ckm.customers.models import Customer

register = template.Library()


@register.inclusion_tag("analytics/_home_widget.html", takes_context=True)
def analytics_home(context: dict[str, Any]) -> dict[str, Any]:
    """The start page's retention widget: new alerts on the user's customers, and a way to
    their best prospects."""
    from ckm.analytics.selectors import (
        alert_count_new,
        propensity_products,
        prospects,
        retention_list,
    )

    user = context["user"]
    data: dict[str, Any] = {"show": False, "perms": context.get("perms")}
    if user.has_perm("analytics.view_alert"):
        owns = Customer.objects.filter(owner=user).exists()
        data["alerts"] = list(retention_list(user=user, status="new", mine=owns)[:6])
        data["alert_count"] = alert_count_new(user)
        data["show"] = True
    if user.has_perm("analytics.view_prospects"):
        products = [p for p, _ in propensity_products()][:6]
        owns = Customer.objects.filter(owner=user).exists()
        best = [
            (prospect, product)
            for product in products
            for prospect in prospects(user=user, product_id=product.pk, mine=owns, limit=5)[1]
        ]
        best.sort(key=lambda pair: -pair[0].score.value)
        data["products"] = products
        data["own_customers"] = owns  # a marketer owns none: the list is of all they may see
        data["prospects"] = best[:6]
        data["show"] = True
    return data
