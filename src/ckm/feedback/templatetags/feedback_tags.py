"""Template helpers of the feedback pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def case_url(case: Any) -> str:
    """The case's page, or "" where the case pages are not installed."""
    try:
        return str(case.get_absolute_url())
    except NoReverseMatch:
        return ""


@register.filter
def spark(series: list[int]) -> SafeString:
    """A tiny bar chart of weekly counts (decorative: the numbers are in the table)."""
    top = max(series or [0]) or 1
    return format_html_join(
        "", '<span style="height:{}%"></span>', ((max(4, round(100 * n / top)),) for n in series)
    )


@register.filter
def percent(value: float | None) -> str:
    """A change as a signed percentage ("+40 %"), or an en dash."""
    if value is None:
        return "–"
    return f"{value * 100:+.0f} %"
