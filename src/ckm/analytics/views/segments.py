"""The Segments pages: list with value and risk by segment over time, the rule builder, learned
clusters and each segment's members."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.analytics import selectors, services
from ckm.analytics.forms import SegmentForm, conditions_from_post
from ckm.analytics.models import Segment
from ckm.analytics.segments import OP_LABELS, definition_words, segment_fields
from ckm.analytics.services.segments import segment_measures, segment_members
from ckm.analytics.views.common import hbar, report_error, running_jobs
from ckm.core.charts import line_chart
from ckm.core.errors import DomainError
from ckm.core.http import AuthedRequest, int_param


def _charts(rows: list[selectors.SegmentRow]) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    latest = [r for r in rows if r.latest is not None]
    if latest:
        frame = pd.DataFrame(
            {
                "segment": [r.segment.name[:40] for r in latest],
                "lifetime value": [r.latest.clv_total for r in latest if r.latest],
                "churn risk %": [
                    round((r.latest.churn_mean or 0) * 100, 1) for r in latest if r.latest
                ],
                "customers": [r.latest.size for r in latest if r.latest],
            }
        )
        charts["value"] = hbar(
            frame, x="segment", y="lifetime value", title="Lifetime value by segment"
        )
        if any(r.latest and r.latest.churn_mean is not None for r in latest):
            charts["risk"] = hbar(
                frame, x="segment", y="churn risk %", title="Mean churn risk by segment"
            )
    history = [
        {
            "day": pd.Timestamp(s.taken_on),
            "segment": r.segment.name[:40],
            "lifetime value": s.clv_total,
            "customers": s.size,
        }
        for r in rows
        for s in r.history
    ]
    if len({h["day"] for h in history}) > 1:
        frame = pd.DataFrame(history)
        charts["over_time"] = line_chart(
            frame,
            x="day",
            y="lifetime value",
            color="segment",
            title="Lifetime value by segment over time",
            width=760,
            height=220,
        )
        charts["size_over_time"] = line_chart(
            frame,
            x="day",
            y="customers",
            color="segment",
            title="Segment size over time",
            width=760,
            height=200,
        )
    return charts


@permission_required("analytics.view_segment", raise_exception=True)
def segment_list(request: AuthedRequest) -> HttpResponse:
    rows = selectors.segment_list(user=request.user)
    summary = (
        selectors.value_summary(user=request.user)
        if request.user.has_perm("analytics.view_customervalue")
        else None
    )
    return render(
        request,
        "analytics/segment_list.html",
        {
            "rules": [r for r in rows if r.segment.kind == Segment.Kind.RULE],
            "learned": [r for r in rows if r.segment.kind == Segment.Kind.LEARNED],
            "charts": _charts(rows),
            "summary": summary,
            "jobs": running_jobs(request.user),
        },
    )


@permission_required("analytics.view_segment", raise_exception=True)
def segment_detail(request: AuthedRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(user=request.user, segment_id=segment_id)
    sort = selectors.SEGMENT_MEMBER_SORTS.choose(request.GET.get("sort"))
    try:  # a rule is checked as it is evaluated
        members = selectors.segment_member_rows(user=request.user, segment_id=segment_id, sort=sort)
    except ValidationError as exc:
        # a rule saved before a check it now fails, or naming a product no longer offered:
        # say so and lead to the builder, where it can be put right (a 500 before)
        messages.error(request, f"{segment.name} cannot be evaluated: {' '.join(exc.messages)}")
        if request.user.has_perm("analytics.add_segment"):
            return redirect("analytics:segment_edit", segment_id=segment.pk)
        return redirect("analytics:segments")
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    measures = segment_measures(segment_members(segment))
    history = list(segment.snapshots.order_by("taken_on"))
    chart = None
    if len(history) > 1:
        frame = pd.DataFrame(
            [{"day": pd.Timestamp(s.taken_on), "lifetime value": s.clv_total} for s in history]
        )
        chart = line_chart(
            frame,
            x="day",
            y="lifetime value",
            title="Lifetime value over time",
            width=520,
            height=160,
        )
    return render(
        request,
        "analytics/segment_detail.html",
        {
            "segment": segment,
            "page_obj": page,
            "rows": list(page),
            "sort": sort,
            "querystring_base": query.urlencode() + "&" if query else "",
            "measures": measures,
            "history": history,
            "chart": chart,
            "words": definition_words(segment.definition)
            if segment.kind == Segment.Kind.RULE
            else "",
        },
    )


def _builder_context(
    request: AuthedRequest,
    form: SegmentForm,
    conditions: list[dict[str, Any]],
    segment: Segment | None,
) -> dict[str, Any]:
    fields = segment_fields()
    by_key = {f.key: f for f in fields}
    groups: dict[str, list[Any]] = {}
    for item in fields:
        groups.setdefault(item.group, []).append(item)
    rows = [
        {
            "index": i,
            "condition": c,
            "field": by_key.get(c.get("field", "")),
            "value": c.get("value", ""),
        }
        for i, c in enumerate(conditions or [{"field": "", "op": "eq", "value": ""}])
    ]
    preview: dict[str, Any] | None = None
    if any(c.get("field") for c in conditions):
        definition = {"match": form["match"].value() or "all", "conditions": conditions}
        try:
            preview = {
                "measures": selectors.segment_preview(user=request.user, definition=definition),
                "error": "",
                "words": definition_words(definition),
            }
        except ValidationError as exc:
            preview = {"measures": None, "error": " ".join(exc.messages), "words": ""}
    return {
        "preview": preview,
        "form": form,
        "rows": rows,
        "groups": groups,
        "segment": segment,
        "op_labels": OP_LABELS,
        "next_index": len(rows),
    }


@permission_required("analytics.add_segment", raise_exception=True)
def segment_builder(request: AuthedRequest, segment_id: int | None = None) -> HttpResponse:
    segment = (
        selectors.segment_get(user=request.user, segment_id=segment_id) if segment_id else None
    )
    if segment is not None and segment.kind != Segment.Kind.RULE:
        messages.error(request, "A learned segment changes when segments are learned again.")
        return redirect("analytics:segment_detail", segment_id=segment.pk)
    if request.method == "POST":
        form = SegmentForm(request.POST)
        conditions = conditions_from_post(request.POST)
        if form.is_valid():
            definition = {"match": form.cleaned_data["match"], "conditions": conditions}
            try:
                saved = services.segment_save(
                    actor=request.user,
                    segment_id=segment.pk if segment else None,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    definition=definition,
                )
            except (ValidationError, DomainError, PermissionDenied) as exc:
                report_error(request, exc)
            else:
                services.segment_snapshots_take()
                messages.success(request, f"Segment {saved.name} saved.")
                return redirect("analytics:segment_detail", segment_id=saved.pk)
    else:
        initial = (
            {
                "name": segment.name,
                "description": segment.description,
                "match": segment.definition.get("match", "all"),
            }
            if segment
            else {}
        )
        form = SegmentForm(initial=initial)
        conditions = list(segment.definition.get("conditions", [])) if segment else []
    return render(
        request,
        "analytics/segment_builder.html",
        _builder_context(request, form, conditions, segment),
    )


@permission_required("analytics.view_segment", raise_exception=True)
def segment_condition(request: AuthedRequest) -> HttpResponse:
    """One condition row of the builder (htmx): operators and value input fit the field."""
    fields = segment_fields()
    by_key = {f.key: f for f in fields}
    groups: dict[str, list[Any]] = {}
    for item in fields:
        groups.setdefault(item.group, []).append(item)
    index = int_param(request.GET.get("index")) or 0
    key = request.GET.get(f"field_{index}", request.GET.get("field", ""))
    row = {
        "index": index,
        "condition": {"field": key, "op": "", "value": ""},
        "field": by_key.get(key),
        "value": "",
    }
    return render(
        request,
        "analytics/_condition_row.html",
        {"row": row, "groups": groups, "op_labels": OP_LABELS},
    )


@require_POST
@permission_required("analytics.view_segment", raise_exception=True)
def segment_preview(request: AuthedRequest) -> HttpResponse:
    """How many customers the builder's conditions select, and their value (htmx)."""
    definition = {
        "match": request.POST.get("match", "all"),
        "conditions": conditions_from_post(request.POST),
    }
    try:
        measures = selectors.segment_preview(user=request.user, definition=definition)
        error = ""
    except ValidationError as exc:
        measures, error = None, " ".join(exc.messages)
    return render(
        request,
        "analytics/_segment_preview.html",
        {
            "measures": measures,
            "error": error,
            "words": definition_words(definition) if not error else "",
        },
    )


@require_POST
@permission_required("analytics.delete_segment", raise_exception=True)
def segment_delete(request: AuthedRequest, segment_id: int) -> HttpResponse:
    try:
        services.segment_delete(actor=request.user, segment_id=segment_id)
    except (DomainError, PermissionDenied) as exc:
        report_error(request, exc)
        return redirect("analytics:segment_detail", segment_id=segment_id)
    messages.success(request, "Segment removed.")
    return redirect("analytics:segments")


@require_POST
@permission_required("analytics.add_segment", raise_exception=True)
def segments_learn(request: AuthedRequest) -> HttpResponse:
    try:
        services.segments_learn_start(actor=request.user, k=int(request.POST.get("k") or 0))
    except (DomainError, PermissionDenied, ValueError) as exc:
        report_error(request, exc)
    else:
        messages.success(request, "Learning segments; follow the progress below.")
    return redirect("analytics:segments")
