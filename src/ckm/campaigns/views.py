"""The campaign pages: list, builder with live NPV, detail with the gate and the results, the
relationship managers' target lists with one-click outcomes, the learning loop. Thin: forms
validate, services write, selectors read."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ckm.campaigns import selectors, services
from ckm.campaigns.forms import CampaignForm, LaunchForm, OutcomeForm, ResponsesUploadForm
from ckm.campaigns.models import Campaign, CampaignMember
from ckm.campaigns.services.execution import channel_error
from ckm.core.charts import chart_svg
from ckm.core.errors import DomainError, error_text, errors_text
from ckm.core.http import AuthedRequest, csv_download, int_param, redirect_back
from ckm.customers.models import Product

ERRORS = (DomainError, ValidationError, PermissionDenied)


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    campaigns = selectors.campaign_list(user=request.user, status=status)
    page = Paginator(campaigns, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "campaigns": page,
            "page_obj": page,
            "status": status,
            "statuses": Campaign.Status.choices,
            "querystring_base": f"status={status}&" if status else "",
        },
    )


def _builder_context(request: AuthedRequest, form: CampaignForm, campaign: Campaign | None) -> dict:
    return {"form": form, "campaign": campaign}


@permission_required("campaigns.add_campaign", raise_exception=True)
def campaign_builder(request: AuthedRequest, campaign_id: int | None = None) -> HttpResponse:
    campaign = (
        selectors.campaign_get(user=request.user, campaign_id=campaign_id) if campaign_id else None
    )
    if campaign is not None and not campaign.is_editable:
        messages.error(request, "Only a draft campaign can be changed.")
        return redirect("campaigns:detail", campaign.pk)
    initial: dict[str, Any] = {}
    if campaign is None and request.GET.get("retention"):
        initial = {
            "objective": Campaign.Objective.RETENTION,
            "audience": Campaign.Audience.RETENTION,
            "score_source": Campaign.ScoreSource.CHURN,
            "name": "Retention calls",
        }
    if campaign is None and (segment_id := int_param(request.GET.get("segment"))):
        initial["segment"] = segment_id
    form = CampaignForm(request.POST or None, instance=campaign, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.campaign_save(
                actor=request.user,
                campaign_id=campaign.pk if campaign else None,
                **form.service_fields(),
            )
            saved = services.campaign_plan(actor=request.user, campaign_id=saved.pk)
        except ValidationError as exc:
            _form_errors(form, exc)
        except (DomainError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, "Campaign saved and its target list built.")
            return redirect("campaigns:detail", saved.pk)
    return render(
        request, "campaigns/campaign_builder.html", _builder_context(request, form, campaign)
    )


@require_POST
@permission_required("campaigns.add_campaign", raise_exception=True)
def campaign_preview(request: AuthedRequest) -> HttpResponse:
    """The builder's live plan: funnel, target and control sizes, expected NPV and its range."""
    data = request.POST.copy()
    if not data.get("name", "").strip():
        data["name"] = "-"  # the plan does not depend on the name; saving asks for it
    form = CampaignForm(data)
    plan = None
    error = ""
    if form.is_valid():
        draft = form.save(commit=False)
        try:
            services.planning.campaign_validate(draft)
            plan = services.plan_compute(draft, user=request.user)
        except ERRORS as exc:
            error = error_text(exc)
    else:
        error = errors_text(form.errors, form)
    return render(request, "campaigns/_plan_preview.html", {"plan": plan, "error": error})


@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_detail(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    results = None
    charts: list[Any] = []
    if campaign.status in (Campaign.Status.LAUNCHED, Campaign.Status.CLOSED):
        results = selectors.campaign_results(user=request.user, campaign_id=campaign.pk)
        charts = _result_charts(results)
    sort = selectors.MEMBER_SORTS.choose(request.GET.get("sort"))
    members = selectors.campaign_members(user=request.user, campaign_id=campaign.pk, sort=sort)
    page = Paginator(members, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "plan": campaign.plan or {},
            "results": results,
            "charts": charts,
            "members": page,
            "page_obj": page,
            "sort": sort,
            "querystring_base": query.urlencode() + "&" if query else "",
            "launch_form": LaunchForm(),
            "upload_form": ResponsesUploadForm(),
            "negative": (campaign.expected_npv or 0) < 0,
            "can_override": request.user.has_perm("campaigns.override_npv"),
            "exportable": campaign.channel in (Campaign.Channel.EMAIL, Campaign.Channel.LETTER),
        },
    )


def _hbar(frame: pd.DataFrame, *, x: str, y: str, title: str, color: str | None = None) -> Any:
    """A horizontal bar chart whose labels are not cut short."""
    import altair as alt

    encoding: dict[str, Any] = {
        "y": alt.Y(f"{x}:N", sort=None, title=None, axis=alt.Axis(labelLimit=300)),
        "x": alt.X(f"{y}:Q", title=y),
        "tooltip": [x, alt.Tooltip(f"{y}:Q", format=".3f")],
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
    chart = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(**encoding)
        .properties(width=320, height=max(100, 26 * len(frame)), padding={"left": 40, "top": 5})
    )
    return chart_svg(chart, title=title)


def _result_charts(results: selectors.Results) -> list[Any]:
    rows = []
    for measure, attr in (("response", "response_rate"), ("conversion", "conversion_rate")):
        for group, counts in (("target", results.target), ("control", results.control)):
            rows.append(
                {
                    "bar": f"{measure} rate, {group}",
                    "group": group,
                    "rate": getattr(counts, attr) or 0,
                }
            )
    charts = [
        _hbar(pd.DataFrame(rows), x="bar", y="rate", color="group", title="Target vs control")
    ]
    segment_rows = [
        {"segment": b.name, "lift": b.lift.lift}
        for b in results.by_segment
        if b.lift.lift is not None
    ]
    if segment_rows:
        charts.append(
            _hbar(
                pd.DataFrame(segment_rows),
                x="segment",
                y="lift",
                title="Lift in conversion by segment (target - control)",
            )
        )
    return charts


@require_POST
@permission_required("campaigns.change_campaign", raise_exception=True)
def campaign_plan(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    try:
        services.campaign_plan(actor=request.user, campaign_id=campaign_id)
        messages.success(request, "Target list rebuilt with the current scores.")
    except ERRORS as exc:
        messages.error(request, error_text(exc))
    return redirect("campaigns:detail", campaign_id)


@require_POST
@permission_required("campaigns.launch_campaign", raise_exception=True)
def campaign_launch(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    form = LaunchForm(request.POST)
    reason = form.cleaned_data["override_reason"] if form.is_valid() else ""
    try:
        services.campaign_launch(
            actor=request.user, campaign_id=campaign_id, override_reason=reason
        )
        messages.success(request, "Campaign launched.")
    except ERRORS as exc:
        messages.error(request, error_text(exc))
    return redirect("campaigns:detail", campaign_id)


@require_POST
@permission_required("campaigns.launch_campaign", raise_exception=True)
def campaign_approve(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    try:
        services.campaign_approve(actor=request.user, campaign_id=campaign_id)
        messages.success(request, "Campaign approved: the target list is fixed.")
    except ERRORS as exc:
        messages.error(request, error_text(exc))
    return redirect("campaigns:detail", campaign_id)


@require_POST
@permission_required("campaigns.launch_campaign", raise_exception=True)
def campaign_close(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    try:
        services.campaign_close(actor=request.user, campaign_id=campaign_id)
        messages.success(request, "Campaign closed; outcomes are training labels now.")
    except ERRORS as exc:
        messages.error(request, error_text(exc))
    return redirect("campaigns:detail", campaign_id)


@require_POST
@permission_required("campaigns.change_campaignmember", raise_exception=True)
def campaign_detect(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    found = services.conversions_detect(campaign_id=campaign_id, actor=request.user)
    messages.success(request, f"{found} new conversion(s) found in holdings and transactions.")
    return redirect("campaigns:detail", campaign_id)


@permission_required("campaigns.export_campaign", raise_exception=True)
def campaign_export(
    request: AuthedRequest, campaign_id: int
) -> HttpResponse | StreamingHttpResponse:
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    try:
        channel_error(campaign)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("campaigns:detail", campaign_id)
    return csv_download(
        selectors.mailing_rows(user=request.user, campaign_id=campaign.pk),
        f"campaign-{campaign.pk}-{campaign.channel}.csv",
        actor=request.user,
        what=f"the target list of “{campaign.name}” ({campaign.get_channel_display().lower()})",
        obj=campaign,
    )


@require_POST
@permission_required("campaigns.change_campaignmember", raise_exception=True)
def campaign_responses(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    """Upload a responses CSV (customer_id, outcome[, occurred_at]) for this campaign."""
    form = ResponsesUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV file.")
        return redirect("campaigns:detail", campaign_id)
    try:
        done = services.responses_import(
            actor=request.user, campaign_id=campaign_id, data=form.cleaned_data["file"].read()
        )
    except ValidationError as exc:
        problems = exc.message_dict.get("file", exc.messages)
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        messages.error(
            request,
            f"Nothing recorded: {len(problems)} problem{'s' if len(problems) != 1 else ''} — {shown}.",
        )
    except ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"{done} outcome{'s' if done != 1 else ''} recorded.")
    return redirect("campaigns:detail", campaign_id)


@permission_required("campaigns.view_campaignmember", raise_exception=True)
def my_lists(request: AuthedRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    members = list(selectors.my_members(user=request.user, open_only=not show_all)[:300])
    campaigns: dict[int, dict[str, Any]] = {}
    for member in members:
        entry = campaigns.setdefault(
            member.campaign_id, {"campaign": member.campaign, "members": [], "articles": []}
        )
        entry["members"].append(member)
    for entry in campaigns.values():
        entry["articles"] = selectors.articles_that_help(
            user=request.user, campaign=entry["campaign"]
        )
    return render(
        request,
        "campaigns/my_lists.html",
        {
            "lists": list(campaigns.values()),
            "show_all": show_all,
            "outcomes": CampaignMember.Outcome.choices[1:],
        },
    )


@require_POST
@permission_required("campaigns.change_campaignmember", raise_exception=True)
def member_outcome(request: AuthedRequest, member_id: int) -> HttpResponse:
    form = OutcomeForm(request.POST)
    member = None
    error = ""
    if form.is_valid():
        try:
            member = services.member_outcome_record(
                actor=request.user, member_id=member_id, outcome=form.cleaned_data["outcome"]
            )
        except ERRORS as exc:
            error = error_text(exc)
    else:
        error = "Choose an outcome."
    if request.htmx:
        if member is None:
            return HttpResponse(f'<p class="message message-error">{error}</p>', status=200)
        member = selectors.my_member(user=request.user, member_id=member.pk)
        return render(
            request,
            "campaigns/_member_row.html",
            {"member": member, "outcomes": CampaignMember.Outcome.choices[1:]},
        )
    if error:
        messages.error(request, error)
    return redirect_back(request, request.META.get("HTTP_REFERER"), "campaigns:my_lists")


@permission_required("campaigns.view_campaign", raise_exception=True)
def loop(request: AuthedRequest) -> HttpResponse:
    products = selectors.campaign_products(user=request.user)
    product_id = request.GET.get("product", "")
    product = next(
        (p for p in products if str(p.pk) == product_id), products[0] if products else None
    )
    generations = (
        selectors.model_generations(user=request.user, product_id=product.pk) if product else []
    )
    pending = services.loop.labels_pending(product_id=product.pk) if product else 0
    return render(
        request,
        "campaigns/loop.html",
        {
            "products": products,
            "product": product,
            "generations": generations,
            "pending": pending,
            "uplift_models": selectors.uplift_models(
                user=request.user, product_id=product.pk if product else None
            ),
        },
    )


@require_POST
@permission_required("campaigns.retrain_from_responses", raise_exception=True)
def retrain(request: AuthedRequest) -> HttpResponse:
    product_id = int_param(request.POST.get("product")) or 0
    try:
        if request.POST.get("now") == "1":
            version = services.model_retrain_from_responses(
                actor=request.user, product_id=product_id
            )
            messages.success(
                request,
                f"Retrained: {version} ({version.get_status_display().lower()}). {version.message}",
            )
        else:
            services.retrain_start(actor=request.user, product_id=product_id)
            messages.success(
                request, "Retraining queued: the worker trains the model in the background."
            )
    except ERRORS as exc:
        messages.error(request, error_text(exc))
    return redirect(f"{_loop_url()}?product={product_id}")


@require_POST
@permission_required("campaigns.retrain_from_responses", raise_exception=True)
def uplift_train(request: AuthedRequest) -> HttpResponse:
    product_id = int_param(request.POST.get("product")) or 0
    try:
        model = services.uplift_train(actor=request.user, product_id=product_id)
        messages.success(request, f"{model} trained: {model.message}")
    except ERRORS as exc:
        messages.error(request, error_text(exc))
    return redirect(f"{_loop_url()}?product={product_id}")


def _loop_url() -> str:
    from django.urls import reverse

    return reverse("campaigns:loop")


def products_with_campaigns() -> list[Product]:
    return list(Product.objects.filter(pk__in=Campaign.objects.values("product_id")))
