"""Small template filters used across pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def code_label(value: Any) -> str:
    """A code as words: 'current_account' -> 'Current account'."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def days_until(value: Any, today: Any) -> str:
    """'today', 'tomorrow' or 'in 12 days' from today to a date."""
    try:
        days = (value - today).days
    except TypeError:
        return ""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


@register.filter
def pct(value: Any, kind: str = "") -> str:
    """A share as a percentage with one decimal ("3.4 %"); `pct:"points"` writes a difference of
    two shares in signed percentage points ("+1.2 pts"), `pct:"signed"` a relative change
    ("-62 %"), `pct:"probability"` a probability that never rounds to a certainty ("> 99.9 %");
    an en dash for nothing."""
    if value is None or value == "":
        return "–"
    number = float(value) * 100
    if kind == "probability" and number >= 99.95:
        return "> 99.9 %"
    if kind == "points":
        return f"{number:+.1f} pts"
    if kind == "signed":
        return f"{number:+.0f} %"
    return f"{number:.1f} %"


@register.filter
def chance(value: Any) -> str:
    """A probability as people read it: "97 %", and "< 1 %" rather than a bare "0 %"."""
    if value is None or value == "":
        return "–"
    number = float(value)
    return "< 1 %" if number < 0.005 else f"{round(number * 100)} %"


@register.simple_tag(takes_context=True)
def sort_header(
    context: template.Context,
    label: str,
    key: str,
    current: str,
    first: str = "asc",
    css: str = "",
    title: str = "",
) -> SafeString:
    """A column header that sorts its table by `key` (see `core.sorting.Sorts`): the link keeps
    the page's other query parameters and goes back to the first page; the active column says
    its direction in `aria-sort`. `current` is the key in force, `first` the direction of a
    first click ("desc" for scores and amounts, best first), `title` a tooltip for the column."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query.pop("page", None)
    active = current.removeprefix("-") == key
    descending = current.startswith("-")
    if active:
        query["sort"] = key if descending else f"-{key}"
    else:
        query["sort"] = f"-{key}" if first == "desc" else key
    return format_html(
        '<th scope="col"{}{}{}><a class="sort-link" href="?{}">{}{}</a></th>',
        format_html(' class="{}"', css) if css else "",
        format_html(' aria-sort="{}"', "descending" if descending else "ascending")
        if active
        else "",
        format_html(' title="{}"', title) if title else "",
        query.urlencode(),
        label,
        format_html('&nbsp;<span aria-hidden="true">{}</span>', "▼" if descending else "▲")
        if active
        else "",
    )
