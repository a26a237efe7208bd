"""Pages where the knowledge reaches the people who serve customers: the retention list and its
rules, best prospects per product for a relationship manager, the customer report, value settings."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.analytics import selectors, services
from ckm.analytics.forms import AlertRuleForm, AlertStatusForm, ValueSettingsForm
from ckm.analytics.models import Alert, AlertRule, ModelVersion, Segment
from ckm.analytics.views.common import report_error, running_jobs
from ckm.core.errors import DomainError
from ckm.core.http import AuthedRequest, csv_download, int_param, redirect_back
from ckm.core.models import Role

# the most prospects one page lists (as the API allows)
PROSPECTS_MAX = 500


def _mine(request: AuthedRequest) -> bool:
    """'Only my customers': on by default for relationship managers, then as the form says."""
    if "mine_set" in request.GET:
        return request.GET.get("mine") == "1"
    return bool(request.user.role == Role.RELATIONSHIP_MANAGER)


@permission_required("analytics.view_alert", raise_exception=True)
def alert_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    mine = _mine(request)
    rule_id = int_param(request.GET.get("rule"))
    alerts = selectors.retention_list(user=request.user, status=status, mine=mine, rule_id=rule_id)
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "analytics/alert_list.html",
        {
            "alerts": page,
            "page_obj": page,
            "status": status,
            "mine": mine,
            "rule_id": rule_id,
            "rules": AlertRule.objects.order_by("name"),
            "statuses": [("open", "Open"), *Alert.Status.choices, ("all", "All")],
            "querystring_base": query.urlencode() + "&" if query else "",
        },
    )


@require_POST
@permission_required("analytics.change_alert", raise_exception=True)
def alert_update(request: AuthedRequest, alert_id: int) -> HttpResponse:
    form = AlertStatusForm(request.POST)
    alert = None
    if form.is_valid():
        try:
            alert = services.alert_update(
                actor=request.user,
                alert_id=alert_id,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except (DomainError, ValidationError, PermissionDenied) as exc:
            report_error(request, exc)
    if request.htmx and alert is not None:
        alert = selectors.retention_list(user=request.user, status="all").get(pk=alert.pk)
        return render(request, "analytics/_alert_row.html", {"alert": alert})
    return redirect_back(request, request.META.get("HTTP_REFERER"), "analytics:alerts")


@permission_required("analytics.view_alertrule", raise_exception=True)
def alert_rule_list(request: AuthedRequest) -> HttpResponse:
    rules = list(selectors.alert_rule_list(user=request.user))
    titles = dict(_model_choices(request))
    for rule in rules:
        rule.params_text = _params_text(rule.params or {}, titles)  # type: ignore[attr-defined]
    return render(
        request,
        "analytics/alert_rules.html",
        {
            "rules": rules,
            "can_edit": request.user.has_perm("analytics.change_alertrule"),
        },
    )


def _params_text(params: dict[str, Any], titles: dict[str, str]) -> str:
    """A rule's parameters as its form names them ("Model: Churn risk · Score at least (0-1):
    0.7"), the model by its title."""
    parts = []
    for name, value in params.items():
        field = AlertRuleForm.base_fields.get(name)
        label = str(field.label) if field and field.label else name.replace("_", " ").capitalize()
        if name == "definition":
            parts.append("a segment filter")
        elif name == "slot":
            parts.append(f"{label}: {titles.get(str(value), str(value))}")
        elif isinstance(value, bool):
            if value:
                parts.append(label)
        else:
            parts.append(f"{label}: {value}")
    return " · ".join(parts)


def _model_choices(request: AuthedRequest) -> list[tuple[str, str]]:
    """The registry's scoring models (churn, propensity) as a score-threshold rule offers them:
    (slot, title as headed on the report)."""
    if not request.user.has_perm("analytics.view_modelversion"):
        return []
    slots = [
        s
        for s in selectors.model_slots(user=request.user)
        if s.kind in (ModelVersion.Kind.CHURN, ModelVersion.Kind.PROPENSITY)
    ]
    return list(
        zip([s.slot for s in slots], score_headers([s.versions[0] for s in slots]), strict=True)
    )


@permission_required("analytics.change_alertrule", raise_exception=True)
def alert_rule_edit(request: AuthedRequest, rule_id: int | None = None) -> HttpResponse:
    rule = AlertRule.objects.filter(pk=rule_id).first() if rule_id else None
    if rule_id and rule is None:
        from ckm.core.errors import NotFound

        raise NotFound("No such rule.")
    form = AlertRuleForm(
        request.POST or None,
        initial=AlertRuleForm.initial_for(rule)
        if rule
        else {"is_active": True, "cooldown_days": 30},
        slots=_model_choices(request),
    )
    if request.method == "POST" and form.is_valid():
        params = form.params()
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.alert_rule_save(
                    actor=request.user,
                    rule_id=rule.pk if rule else None,
                    name=data["name"],
                    kind=data["kind"],
                    params=params,
                    is_active=data["is_active"],
                    cooldown_days=data["cooldown_days"],
                )
            except (ValidationError, DomainError, PermissionDenied) as exc:
                report_error(request, exc)
            else:
                messages.success(request, f"Rule {saved.name} saved.")
                return redirect("analytics:alert_rules")
    return render(request, "analytics/alert_rule_form.html", {"form": form, "rule": rule})


@require_POST
@permission_required("analytics.change_alertrule", raise_exception=True)
def alerts_evaluate(request: AuthedRequest) -> HttpResponse:
    try:
        raised = services.alerts_evaluate(actor=request.user)
    except (DomainError, PermissionDenied) as exc:
        report_error(request, exc)
    else:
        total = sum(raised.values())
        messages.success(
            request,
            f"Rules evaluated: {total} new alert{'s' if total != 1 else ''} ("
            + ", ".join(f"{k}: {v}" for k, v in raised.items())
            + ").",
        )
    return redirect("analytics:alert_rules")


@permission_required("analytics.view_prospects", raise_exception=True)
def prospect_list(request: AuthedRequest) -> HttpResponse:
    products = selectors.propensity_products()
    product_id = int_param(request.GET.get("product")) or (products[0][0].pk if products else None)
    mine = _mine(request)
    version: Any = None
    rows: list[selectors.Prospect] = []
    if product_id:
        version, rows = selectors.prospects(
            user=request.user,
            product_id=product_id,
            mine=mine,
            limit=max(1, min(int_param(request.GET.get("limit")) or 25, PROSPECTS_MAX)),
        )
    return render(
        request,
        "analytics/prospects.html",
        {
            "products": products,
            "product_id": product_id,
            "version": version,
            "rows": rows,
            "mine": mine,
        },
    )


@permission_required("analytics.view_customervalue", raise_exception=True)
def customer_report(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    """Every customer with value, CLV, risk and propensities (a page and a CSV download)."""
    segment_id = int_param(request.GET.get("segment"))
    order = request.GET.get("order", "-clv")
    mine = request.GET.get("mine") == "1"
    customers, versions = selectors.customer_report(
        user=request.user, segment_id=segment_id, order=order, mine=mine
    )
    if request.GET.get("format") == "csv":
        return _report_csv(request, customers, versions)
    page = Paginator(customers, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [(c, [getattr(c, f"score_{i}") for i in range(len(versions))]) for c in page]
    return render(
        request,
        "analytics/report.html",
        {
            "page_obj": page,
            "rows": rows,
            "versions": versions,
            "order": order,
            "segment_id": segment_id,
            "mine": mine,
            "segments": Segment.objects.filter(is_active=True).order_by("kind", "name")
            if request.user.has_perm("analytics.view_segment")
            else [],
            "querystring_base": query.urlencode() + "&" if query else "",
            "csv_query": (query.urlencode() + "&" if query else "") + "format=csv",
        },
    )


def score_headers(versions: list[Any]) -> list[str]:
    """The score columns' headings as the page shows them ('Churn risk', 'Propensity: Gold
    card'), not the registry's slot codes; a product name two products share gets its id."""
    titles = [v.title for v in versions]
    return [
        f"{title} ({v.product.external_id if v.product else v.slot})"
        if titles.count(title) > 1
        else title
        for title, v in zip(titles, versions, strict=True)
    ]


def _report_csv(
    request: AuthedRequest, customers: Any, versions: list[Any]
) -> StreamingHttpResponse:
    def rows() -> Any:
        yield [
            "customer_id",
            "name",
            "owner",
            "profit",
            "clv",
            "p_alive",
            "rfm",
            *score_headers(versions),
        ]
        for c in customers.iterator(chunk_size=2000):
            yield [
                c.external_id,
                c.display_name,
                c.owner.username if c.owner else "",
                c.profit,
                c.clv,
                c.p_alive,
                c.rfm or "",
                *[getattr(c, f"score_{i}") for i in range(len(versions))],
            ]

    return csv_download(
        rows(), "customer-knowledge.csv", actor=request.user, what="the customer knowledge report"
    )


@permission_required("analytics.view_customervalue", raise_exception=True)
def value_settings(request: AuthedRequest) -> HttpResponse:
    current = services.value_settings_get()
    can_change = request.user.has_perm("analytics.change_value_settings")
    initial = {
        "interaction_costs": json.dumps(current.interaction_costs),
        "case_costs": json.dumps(current.case_costs),
        "transaction_rates": json.dumps(current.transaction_rates),
        "purchase_kinds": ", ".join(current.purchase_kinds or []),
        "clv_horizon_weeks": current.clv_horizon_weeks,
        "discount_rate": current.discount_rate,
        "currency": current.currency,
    }
    form = ValueSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("Your role may not change value settings.")
        if form.is_valid():
            try:
                services.value_settings_update(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                report_error(request, exc)
            else:
                messages.success(
                    request, "Value settings saved. Refresh to recompute every customer's value."
                )
                return redirect("analytics:value_settings")
    return render(
        request,
        "analytics/value_settings.html",
        {
            "form": form,
            "can_change": can_change,
            "summary": selectors.value_summary(user=request.user),
            "jobs": running_jobs(request.user),
        },
    )
