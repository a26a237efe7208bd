"""The Models pages: the registry (every version, its window, features, metrics, drift),
train, promote, roll back, rescore, with progress."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ckm.analytics import selectors, services
from ckm.analytics.forms import TrainForm
from ckm.analytics.learning import TrainingError
from ckm.analytics.models import ModelVersion
from ckm.analytics.views.common import hbar, report_error, running_jobs
from ckm.core.charts import bar_chart, line_chart
from ckm.core.errors import DomainError, errors_text
from ckm.core.http import AuthedRequest


@permission_required("analytics.view_modelversion", raise_exception=True)
def model_list(request: AuthedRequest) -> HttpResponse:
    slots = selectors.model_slots(
        user=request.user, include_benchmarks=request.GET.get("bench") == "1"
    )
    return render(
        request,
        "analytics/model_list.html",
        {"slots": slots, "form": TrainForm(), "jobs": running_jobs(request.user)},
    )


@require_POST
@permission_required("analytics.train_modelversion", raise_exception=True)
def model_train(request: AuthedRequest) -> HttpResponse:
    form = TrainForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Check the training form: " + errors_text(form.errors, form),
        )
        return redirect("analytics:models")
    data = form.cleaned_data
    try:
        version = services.model_train_start(
            actor=request.user,
            kind=data["kind"],
            product_id=data["product"].pk if data["product"] else None,
            label=data["label"] or "",
            horizon_days=data["horizon_days"],
            auto_promote=data["auto_promote"],
        )
    except (DomainError, ValidationError, PermissionDenied) as exc:
        report_error(request, exc)
        return redirect("analytics:models")
    messages.success(request, f"Training {version} started; follow its progress below.")
    return redirect("analytics:models")


def _metrics_charts(version: Any) -> dict[str, Any]:
    metrics = version.metrics or {}
    charts: dict[str, Any] = {}
    lifts = metrics.get("lift_by_decile") or []
    if lifts:
        frame = pd.DataFrame({"decile": [f"{10 - i}" for i in range(len(lifts))], "lift": lifts})
        charts["lift"] = bar_chart(
            frame,
            x="decile",
            y="lift",
            title="Lift by decile (10 = highest scores)",
            width=420,
            height=180,
            by_size=False,
        )
    calibration = metrics.get("calibration") or []
    if calibration:
        charts["calibration"] = _calibration_chart(calibration)
    importance = metrics.get("importance") or []
    if importance:
        labels = {f["name"]: f["label"] for f in version.features or []}
        frame = pd.DataFrame(
            {
                "feature": [labels.get(n, n)[:70] for n, _ in importance[:12]],
                "share": [v for _, v in importance[:12]],
            }
        )
        charts["importance"] = hbar(
            frame, x="feature", y="share", title="What the model relies on (share of gain)"
        )
    return charts


def _calibration_chart(calibration: list[dict[str, Any]]) -> Any:
    import altair as alt

    from ckm.core.charts import chart_svg

    rows = [
        {"decile": r["decile"], "rate": r[kind], "series": kind}
        for r in calibration
        for kind in ("predicted", "observed")
    ]
    chart = (
        alt.Chart(
            pd.DataFrame(rows), title="Calibration: predicted against observed rate by decile"
        )
        .mark_line(point=True)
        .encode(
            x=alt.X("decile:O", sort="descending"),
            y=alt.Y("rate:Q", title="rate"),
            color=alt.Color("series:N", title=None),
        )
        .properties(width=420, height=180)
    )
    return chart_svg(chart, title="Calibration by decile")


@permission_required("analytics.view_modelversion", raise_exception=True)
def model_detail(request: AuthedRequest, version_id: int) -> HttpResponse:
    version = selectors.model_version_get(user=request.user, version_id=version_id)
    runs = selectors.scoring_runs(version=version)
    drift = selectors.drift_history(slot=version.slot)
    drift_chart = None
    if len(drift) > 1:
        frame = pd.DataFrame(
            [
                {
                    # the chart draws a wall-clock time: the desk's, not the server's UTC
                    "when": timezone.localtime(d["when"]).replace(tzinfo=None),
                    "mean score": d["mean"],
                    "model": f"v{d['version']}",
                }
                for d in drift
                if d["mean"] is not None
            ]
        )
        drift_chart = line_chart(
            frame,
            x="when",
            y="mean score",
            color="model",  # the slot's versions score differently: a line each
            title="Mean score of each scoring run, by model version",
            width=420,
            height=160,
            events=True,
        )
    return render(
        request,
        "analytics/model_detail.html",
        {
            "version": version,
            "runs": runs,
            "drift": drift,
            "drift_chart": drift_chart,
            "charts": _metrics_charts(version),
            "jobs": running_jobs(request.user),
            "metrics": version.metrics or {},
            "can_roll_back": version.status == ModelVersion.Status.ACTIVE
            and ModelVersion.objects.filter(
                slot=version.slot,
                status=ModelVersion.Status.RETIRED,
                promoted_at__lt=version.promoted_at,
            ).exists()
            if version.promoted_at
            else False,
        },
    )


@require_POST
@permission_required("analytics.promote_modelversion", raise_exception=True)
def model_promote(request: AuthedRequest, version_id: int) -> HttpResponse:
    try:
        version = services.model_promote(actor=request.user, version_id=version_id, score=False)
    except (DomainError, PermissionDenied) as exc:
        report_error(request, exc)
        return redirect("analytics:model_detail", version_id=version_id)
    if version.current_run_id is None:
        services.model_score_start(actor=request.user, version_id=version.pk)
        messages.success(request, f"{version} is active; scoring customers with it now.")
    else:
        messages.success(request, f"{version} is active.")
    return redirect("analytics:model_detail", version_id=version_id)


@require_POST
@permission_required("analytics.promote_modelversion", raise_exception=True)
def model_rollback(request: AuthedRequest) -> HttpResponse:
    slot = request.POST.get("slot", "")
    try:
        version = services.model_rollback(actor=request.user, slot=slot)
    except (DomainError, PermissionDenied) as exc:
        report_error(request, exc)
        return redirect("analytics:models")
    messages.success(request, f"Rolled back: {version} is active again.")
    return redirect("analytics:model_detail", version_id=version.pk)


@require_POST
@permission_required("analytics.train_modelversion", raise_exception=True)
def model_rescore(request: AuthedRequest, version_id: int) -> HttpResponse:
    try:
        services.model_score_start(actor=request.user, version_id=version_id)
    except (DomainError, PermissionDenied) as exc:
        report_error(request, exc)
    else:
        messages.success(request, "Scoring started; follow its progress below.")
    return redirect("analytics:model_detail", version_id=version_id)


@require_POST
@permission_required("analytics.promote_modelversion", raise_exception=True)
def model_retire(request: AuthedRequest, version_id: int) -> HttpResponse:
    try:
        services.model_version_retire(actor=request.user, version_id=version_id)
    except (DomainError, PermissionDenied) as exc:
        report_error(request, exc)
    return redirect("analytics:model_detail", version_id=version_id)


@require_POST
@permission_required("analytics.train_modelversion", raise_exception=True)
def refresh(request: AuthedRequest) -> HttpResponse:
    """Recompute value, rescore every active model, evaluate the alert rules (background)."""
    try:
        services.analytics_refresh_start(actor=request.user)
    except (DomainError, PermissionDenied, TrainingError) as exc:
        report_error(request, exc)
    else:
        messages.success(request, "Refresh started: value, scores, alerts and snapshots.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/analytics/") else "analytics:models")
