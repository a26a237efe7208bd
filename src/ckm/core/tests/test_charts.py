"""Shared chart code: weekly axes, and text that fits where the browser draws it."""

from __future__ import annotations

import re

import pandas as pd

from ckm.core.charts import line_chart


def axis_labels(svg: str) -> list[str]:
    """The texts of every axis label in a rendered chart, in drawing order."""
    groups = re.findall(r'class="mark-text role-axis-label"[^>]*>(.*?)</g>', svg, flags=re.S)
    return [t for g in groups for t in re.findall(r"<text[^>]*>([^<]*)</text>", g)]


def weeks_frame(first_monday: str, weeks: int) -> pd.DataFrame:
    mondays = pd.date_range(first_monday, periods=weeks, freq="7D")
    return pd.DataFrame(
        [{"week": w, "cases": i, "measure": m} for i, w in enumerate(mondays) for m in ("a", "b")]
    )


def test_a_weekly_line_has_one_label_per_week_the_mondays() -> None:
    svg = line_chart(
        weeks_frame("2026-09-07", 12), x="week", y="cases", color="measure", weekly=True
    )
    labels = axis_labels(svg)
    week_labels = [t for t in labels if not t.replace(".", "").isdigit()]
    assert week_labels == [
        "7 Sep", "14 Sep", "21 Sep", "28 Sep", "5 Oct", "12 Oct",
        "19 Oct", "26 Oct", "2 Nov", "9 Nov", "16 Nov", "23 Nov",
    ]  # fmt: skip


def test_a_short_weekly_line_shows_no_days_between_the_weeks() -> None:
    svg = line_chart(weeks_frame("2026-11-16", 3), x="week", y="cases", weekly=True)
    labels = axis_labels(svg)
    assert [t for t in labels if " " in t] == ["16 Nov", "23 Nov", "30 Nov"]
    assert not any(day in svg for day in ("Tue 17", "Sun", "Mon 16"))


def test_a_screen_reader_hears_each_point_as_a_week_and_a_number() -> None:
    svg = line_chart(
        weeks_frame("2026-11-16", 2), x="week", y="cases", color="measure", weekly=True
    )
    points = re.findall(r'aria-label="(Week of [^"]*)"', svg)
    assert "Week of 16 November 2026: 0 cases (a)" in points
    assert "Week of 23 November 2026: 1 cases (b)" in points
    # no date as milliseconds since 1970 anywhere a screen reader reads
    assert not re.search(r'aria-label="[^"]*\d{12}', svg)


def test_cases_per_week_bars_are_weekly_on_the_topic_page() -> None:
    from ckm.feedback.views import _stacked

    frame = weeks_frame("2026-11-16", 3).rename(columns={"cases": "count", "measure": "office"})
    svg = _stacked(frame, color="office", title="Cases per week by office")
    assert [t for t in axis_labels(svg) if " " in t] == ["16 Nov", "23 Nov", "30 Nov"]
    bars = re.findall(r'aria-roledescription="bar" d="M[\d.]+,[\d.]+h([\d.]+)v', svg)
    widths = [float(w) for w in bars]
    assert widths and min(widths) > 100  # a bar as wide as its week, not a sliver


def test_chart_text_is_drawn_in_the_face_it_was_measured_with() -> None:
    svg = line_chart(weeks_frame("2026-11-16", 3), x="week", y="cases", color="measure")
    fonts = set(re.findall(r'font-family="([^"]*)"', svg))
    assert fonts and all(f.startswith("DejaVu Sans,") for f in fonts)


def test_a_legend_sits_below_the_plot_and_keeps_its_labels_whole() -> None:
    frame = weeks_frame("2026-11-16", 3).replace({"measure": {"a": "control", "b": "target"}})
    svg = line_chart(frame, x="week", y="cases", color="measure", width=560)
    width = float(re.search(r'<svg[^>]*width="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert width < 640  # no legend column beside the plot
    assert ">control<" in svg and ">target<" in svg
