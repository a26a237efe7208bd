"""Charts rendered on the server as inline SVG (Altair + vl-convert): no JavaScript, no CDN,
readable by screen readers through their title. Apps build an Altair chart and call chart_svg."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
from django.utils.safestring import SafeString, mark_safe

# the first two differ in hue and lightness (blue and orange), also for colour-blind readers: most
# charts compare two series
PALETTE = ["#2f6fa8", "#d97706", "#0b7a75", "#b3261e", "#6b4fa0", "#5b6b7c", "#1e7b34", "#c2185b"]

# How a week is labelled: by its first day, a Monday ("16 Nov").
WEEK_FORMAT = "%-d %b"
# How an event is labelled: its day and minute ("7 Dec 18:27").
EVENT_FORMAT = "%-d %b %H:%M"


# The chart's text is measured on the server and drawn by the browser. Vega measured the page's
# font list (system-ui first) with a narrow Arial-like face while the browser drew a wider one, so
# labels and legends overran their room ("contro", "0.000.02"). Measuring and drawing with DejaVu
# Sans, the widest of the usual sans faces, gives the room a browser needs; a browser without it
# falls back to the page's own font, narrower, which then fits too.
FONT = (
    'DejaVu Sans, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
)


def _theme() -> dict[str, Any]:
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {
                "labelColor": "#5b6b7c",
                "titleColor": "#5b6b7c",
                "gridColor": "#e6ebf0",
                "labelLimit": 280,
                "labelSeparation": 6,
            },
            # below the chart, the legend takes no width from the plot in a narrow card
            "legend": {"orient": "bottom", "labelLimit": 280, "columns": 3, "symbolType": "square"},
            "range": {"category": PALETTE},
            "background": "transparent",
        }
    }


def chart_svg(chart: alt.TopLevelMixin, *, title: str = "") -> SafeString:
    """The chart as an inline SVG element (safe to put into a template)."""
    import vl_convert as vlc

    spec = chart.to_dict()
    spec.setdefault("config", {}).update(_theme()["config"])
    svg = vlc.vegalite_to_svg(spec)
    label = title or str(spec.get("title", "")) or "chart"
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_escape(label)}" ', 1)
    return mark_safe(f'<div class="chart">{svg}</div>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def week_x(field: str) -> alt.X:
    """An x axis of whole weeks: one band and one label per week, the week's Monday ("16 Nov"),
    never the days between (a temporal axis puts its ticks on days, or on Sundays)."""
    return alt.X(
        f"yearmonthdate({field}):O",
        title=None,
        axis=alt.Axis(format=WEEK_FORMAT, formatType="time", labelAngle=0),
    )


def event_x(field: str) -> alt.X:
    """An x axis of separate events (scoring runs): one band per event, labelled with its day and
    time, so runs seconds apart are told apart (a time axis labelled them ".500", ":27")."""
    return alt.X(
        f"yearmonthdatehoursminutesseconds({field}):O",
        title=None,
        axis=alt.Axis(format=EVENT_FORMAT, formatType="time", labelAngle=0, labelOverlap=True),
    )


def line_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str | None = None,
    title: str = "",
    width: int = 560,
    height: int = 220,
    weekly: bool = False,
    events: bool = False,
) -> SafeString:
    """A line chart over time (x a date column); weekly=True when each x is the Monday of a week,
    events=True when each x is a separate event (a run) rather than a point of a calendar."""
    if weekly:
        x_axis = week_x(x)
    elif events:
        x_axis = event_x(x)
    else:
        x_axis = alt.X(f"{x}:T", title=None)
    encoding: dict[str, Any] = {
        "x": x_axis,
        "y": alt.Y(f"{y}:Q", title=y.replace("_", " ")),
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
        # each series its own dash too (one legend shows both): told apart without colour
        encoding["strokeDash"] = alt.StrokeDash(f"{color}:N", title=None)
    # what a screen reader says for each point: "Week of 16 November 2026: 42 cases (opened)",
    # not the milliseconds since 1970 Vega-Lite puts there for a date
    when = "%-d %B %Y %H:%M" if events else "%-d %B %Y"
    spoken = ("'Week of ' + " if weekly else "") + f"timeFormat(datum[{x!r}], {when!r})"
    spoken += f" + ': ' + format(datum[{y!r}], ',') + ' ' + {y.replace('_', ' ')!r}"
    if color:
        spoken += f" + ' (' + datum[{color!r}] + ')'"
    encoding["description"] = alt.Description("spoken:N")
    chart = (
        alt.Chart(data, title=title)
        .transform_calculate(spoken=spoken)
        .mark_line(point=True)
        .encode(**encoding)
        .properties(width=width, height=height)
    )
    return chart_svg(chart, title=title)


def bar_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str | None = None,
    title: str = "",
    width: int = 560,
    height: int = 220,
    horizontal: bool = False,
    by_size: bool = True,
) -> SafeString:
    """A bar chart of a measure by category: the biggest bar first, or with by_size=False the
    categories in the order of the data (deciles, weeks: an order of their own)."""
    if horizontal:
        encoding: dict[str, Any] = {
            "y": alt.Y(f"{x}:N", sort="-x" if by_size else None, title=None),
            "x": alt.X(f"{y}:Q", title=y.replace("_", " ")),
        }
    else:
        encoding = {
            "x": alt.X(
                f"{x}:N", sort="-y" if by_size else None, title=None, axis=alt.Axis(labelAngle=0)
            ),
            "y": alt.Y(f"{y}:Q", title=y.replace("_", " ")),
        }
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
    chart = (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(**encoding)
        .properties(width=width, height=height)
    )
    return chart_svg(chart, title=title)
