"""The performance dashboards: the service desk's KPIs (backlog, SLA attainment, times,
satisfaction) per week, queue and agent, with charts; and the knowledge loops. Thin: the
selectors compute, the pages draw."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString

from ckm.core.charts import line_chart
from ckm.core.http import AuthedRequest
from ckm.performance.forms import DeskFilterForm
from ckm.performance.selectors import DeskKpis, desk_kpis_cached, knowledge_loops


def _charts(kpis: DeskKpis) -> list[SafeString]:
    """Volume and SLA attainment per week; this week, only begun, is left out of the lines (it
    would read as a collapse) unless it is the only one."""
    weekly = kpis.weekly[:-1] if len(kpis.weekly) > 1 else kpis.weekly
    if not any(t.opened or t.closed for _, t in weekly):
        return []
    volume = pd.DataFrame(
        [
            {"week": week, "cases": getattr(t, measure), "measure": measure}
            for week, t in weekly
            for measure in ("opened", "closed")
        ]
    )
    targets = pd.DataFrame(
        [
            {"week": week, "percent within target": value, "target": name}
            for week, t in weekly
            for name, value in (
                ("first response", t.first_response_pct),
                ("resolution", t.resolution_pct),
            )
            if value is not None
        ]
    )
    charts = []
    for frame, y, color, title in (
        (volume, "cases", "measure", "Cases opened and closed per week (whole weeks)"),
        (
            targets,
            "percent within target",
            "target",
            "Share within the SLA target, per week (whole weeks)",
        ),
    ):
        if not frame.empty:
            frame["week"] = pd.to_datetime(frame["week"])
            charts.append(
                line_chart(frame, x="week", y=y, color=color, title=title, height=180, weekly=True)
            )
    return charts


@permission_required("performance.view_dashboard", raise_exception=True)
def dashboard(request: AuthedRequest) -> HttpResponse:
    form = DeskFilterForm(request.GET or None)
    refresh = request.GET.get("refresh") == "1"
    kpis = desk_kpis_cached(user=request.user, refresh=refresh, **form.values())
    context: dict[str, Any] = {
        "form": form.as_counted(),
        "kpis": kpis,
        "charts": _charts(kpis),
        "kept_minutes": settings.CKM_DASHBOARD_CACHE_SECONDS // 60,
    }
    return render(request, "performance/dashboard.html", context)


@permission_required("performance.view_dashboard", raise_exception=True)
def loops(request: AuthedRequest) -> HttpResponse:
    """Whether the loops between the knowledge flows close, with where to act on each."""
    context = {"loops": knowledge_loops(user=request.user)}
    return render(request, "performance/loops.html", context)
