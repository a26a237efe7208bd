"""Pages of the feedback app: topics and trends, emerging alerts, the product insight board, and
knowledge gaps. Thin: selectors read, services write, errors become messages."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ckm.core.audit import audit_record
from ckm.core.charts import WEEK_FORMAT, chart_svg, line_chart, week_x
from ckm.core.errors import DomainError, error_text
from ckm.core.http import AuthedRequest, int_param, redirect_back
from ckm.core.models import Job, Office, User
from ckm.customers.models import Consent, Product
from ckm.feedback import selectors, services
from ckm.feedback.models import Insight, InsightContact, KnowledgeGap, TopicAlert
from ckm.feedback.selectors import TopicFilters
from ckm.feedback.services.insights import TRANSITIONS
from ckm.service.models import CaseChannel, CaseKind


def _error(request: AuthedRequest, exc: Exception) -> None:
    messages.error(request, error_text(exc))


def _ints(values: list[str]) -> list[int]:
    return [n for n in map(int_param, values) if n is not None]


def _filters(request: AuthedRequest) -> TopicFilters:
    weeks = int_param(request.GET.get("weeks")) or selectors.DEFAULT_WEEKS
    kind = request.GET.get("kind", "")
    channel = request.GET.get("channel", "")
    return TopicFilters(
        weeks=max(4, min(weeks, 104)),
        product_id=int_param(request.GET.get("product")),
        office_id=int_param(request.GET.get("office")),
        kind=kind if kind in CaseKind.values else "",
        channel=channel if channel in CaseChannel.values else "",
        q=request.GET.get("q", "").strip()[:100],
    )


def _filter_context(filters: TopicFilters) -> dict[str, Any]:
    return {
        "filters": filters,
        "products": Product.objects.filter(is_active=True).order_by("name"),
        "offices": Office.objects.order_by("name"),
        "kinds": CaseKind.choices,
        "channels": CaseChannel.choices,
        "week_options": [8, 13, 26, 52, 104],
    }


def _jobs(user: Any) -> list[Job]:
    jobs = Job.objects.filter(
        kind="feedback.topics_refresh", status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).order_by("-created_at")
    return list(jobs[:3])


# --- topics -----------------------------------------------------------------------------------


@permission_required("feedback.view_topic", raise_exception=True)
def topic_list(request: AuthedRequest) -> HttpResponse:
    filters = _filters(request)
    sort = selectors.topic_sort(request.GET.get("sort"))
    rows = selectors.topic_list(user=request.user, filters=filters, sort=sort)
    weeks = selectors.week_range(filters.since(), timezone.localdate())
    chart = None
    # the chart shows the busiest topics whatever order the table is in
    top = sorted((r for r in rows if r.cases), key=lambda r: -r.cases)[:6]
    if top:
        frame = pd.DataFrame(
            [
                {"week": w, "cases": n, "topic": r.topic.label[:40]}
                for r in top
                for w, n in zip(weeks, r.series, strict=False)
            ]
        )
        frame["week"] = pd.to_datetime(frame["week"])
        chart = line_chart(
            frame,
            x="week",
            y="cases",
            color="topic",
            title="Cases per week, busiest topics",
            weekly=True,
        )
    return render(
        request,
        "feedback/topic_list.html",
        {
            "rows": rows,
            "chart": chart,
            "run": selectors.latest_run(user=request.user),
            "jobs": _jobs(request.user),
            "total": sum(r.cases for r in rows),
            "sort": sort,
            "change_min_cases": selectors.CHANGE_MIN_CASES,
            "change_help": (
                "The last 4 complete weeks against the 4 before. With fewer than "
                f"{selectors.CHANGE_MIN_CASES} cases before, the two counts instead of a "
                "percentage; sorted as if the base were at least that many."
            ),
            **_filter_context(filters),
        },
    )


def _stacked(frame: pd.DataFrame, *, color: str, title: str) -> Any:
    chart = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=week_x("week"),
            y=alt.Y("sum(count):Q", title="cases"),
            color=alt.Color(f"{color}:N", title=None, legend=alt.Legend(labelLimit=220)),
            tooltip=[
                alt.Tooltip("week:T", title="week of", format=WEEK_FORMAT),
                f"{color}:N",
                "sum(count):Q",
            ],
        )
        .properties(width=560, height=220)
    )
    return chart_svg(chart, title=title)


@permission_required("feedback.view_topic", raise_exception=True)
def topic_detail(request: AuthedRequest, topic_id: int) -> HttpResponse:
    filters = _filters(request)
    detail = selectors.topic_detail(user=request.user, topic_id=topic_id, filters=filters)
    charts = []
    if detail.weekly:
        frame = pd.DataFrame(detail.weekly)
        frame["week"] = pd.to_datetime(frame["week"])
        charts.append(_stacked(frame, color="product", title="Cases per week by product"))
        charts.append(_stacked(frame, color="office", title="Cases per week by office"))
    alerts = detail.topic.alerts.order_by("-week")[:5]
    return render(
        request,
        "feedback/topic_detail.html",
        {
            "detail": detail,
            "topic": detail.topic,
            "charts": charts,
            "alerts": alerts,
            "gaps": detail.topic.gaps.select_related("article").order_by("-created_at")[:3],
            "insights": detail.topic.insights.order_by("-updated_at")[:5],
            **_filter_context(filters),
        },
    )


@require_POST
@permission_required("feedback.refresh_topics", raise_exception=True)
def topics_refresh(request: AuthedRequest) -> HttpResponse:
    try:
        services.topics_refresh_start(actor=request.user, full=request.POST.get("full") == "1")
        messages.success(request, "Topic refresh started; the page updates when it is done.")
    except (DomainError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("feedback:topics")


@require_POST
@permission_required("feedback.change_topic", raise_exception=True)
def topic_rename(request: AuthedRequest, topic_id: int) -> HttpResponse:
    try:
        services.topic_rename(
            actor=request.user, topic_id=topic_id, label=request.POST.get("label", "")
        )
        messages.success(request, "Topic renamed; later discoveries keep the name.")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("feedback:topic_detail", topic_id=topic_id)


# --- alerts -----------------------------------------------------------------------------------


@permission_required("feedback.view_topicalert", raise_exception=True)
def alert_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "new")
    status = status if status in TopicAlert.Status.values or status == "" else "new"
    alerts = Paginator(selectors.alert_list(user=request.user, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "feedback/alert_list.html",
        {
            "alerts": alerts,
            "page_obj": alerts,
            "status": status,
            "statuses": [*TopicAlert.Status.choices, ("", "All")],
            "querystring_base": f"status={status}&",
        },
    )


@require_POST
@permission_required("feedback.change_topicalert", raise_exception=True)
def alert_update(request: AuthedRequest, alert_id: int) -> HttpResponse:
    try:
        services.alert_update(
            actor=request.user, alert_id=alert_id, status=request.POST.get("status", "")
        )
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect_back(request, request.POST.get("next"), "feedback:alerts")


# --- insights ---------------------------------------------------------------------------------


@permission_required("feedback.view_insight", raise_exception=True)
def insight_board(request: AuthedRequest) -> HttpResponse:
    product_id = int_param(request.GET.get("product"))
    return render(
        request,
        "feedback/insight_board.html",
        {
            "columns": selectors.insight_board(user=request.user, product_id=product_id),
            "products": Product.objects.filter(is_active=True).order_by("name"),
            "product_id": product_id,
        },
    )


@require_POST
@permission_required("feedback.add_insight", raise_exception=True)
def insight_create(request: AuthedRequest) -> HttpResponse:
    post = request.POST
    try:
        if topic_id := int_param(post.get("topic")):
            insight = services.insight_from_topic(
                actor=request.user, topic_id=topic_id, title=post.get("title", "")
            )
        elif case_id := int_param(post.get("case")):
            insight = services.insight_from_case(
                actor=request.user, case_id=case_id, title=post.get("title", "")
            )
        else:
            insight = services.insight_create(
                actor=request.user,
                title=post.get("title", ""),
                description=post.get("description", ""),
                product_ids=_ints(post.getlist("products")),
            )
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
        return redirect_back(request, request.META.get("HTTP_REFERER"), "feedback:insights")
    messages.success(request, f"Insight “{insight.title}” is on the board.")
    return redirect("feedback:insight_detail", insight_id=insight.pk)


@permission_required("feedback.view_insight", raise_exception=True)
def insight_detail(request: AuthedRequest, insight_id: int) -> HttpResponse:
    insight = selectors.insight_get(user=request.user, insight_id=insight_id)
    contacts = None
    if request.user.has_perm("feedback.view_insightcontact"):
        contacts = selectors.insight_contacts(user=request.user, insight=insight)
        audit_record(
            actor=request.user,
            action="feedback.contacts_viewed",
            obj=insight,
            summary=f"Viewed {len(contacts.contactable)} consented contacts",
        )
    return render(
        request,
        "feedback/insight_detail.html",
        {
            "insight": insight,
            "examples": selectors.insight_examples(user=request.user, insight=insight),
            "contacts": contacts,
            "next_statuses": [
                (s, Insight.Status(s).label)
                for s in Insight.Status.values
                if s in TRANSITIONS[insight.status]
            ],
            "outcomes": [c for c in InsightContact.Outcome.choices if c[0]],
            "channels": Consent.Channel.choices,
            "products": Product.objects.filter(is_active=True).order_by("name"),
            "product_ids": {p.pk for p in insight.products.all()},
            "owners": User.objects.filter(is_active=True).order_by("username"),
            "other_topics": selectors.topic_choices(user=request.user).exclude(
                pk__in=[t.pk for t in insight.topics.all()]
            ),
        },
    )


@require_POST
@permission_required("feedback.change_insight", raise_exception=True)
def insight_update(request: AuthedRequest, insight_id: int) -> HttpResponse:
    post = request.POST
    try:
        if "status" in post:
            services.insight_status_set(
                actor=request.user,
                insight_id=insight_id,
                status=post["status"],
                note=post.get("note", ""),
            )
        else:
            services.insight_update(
                actor=request.user,
                insight_id=insight_id,
                title=post.get("title"),
                description=post.get("description"),
                owner_id=int_param(post.get("owner")),
                product_ids=_ints(post.getlist("products")),
            )
        messages.success(request, "Insight saved.")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("feedback:insight_detail", insight_id=insight_id)


@require_POST
@permission_required("feedback.change_insight", raise_exception=True)
def insight_link(request: AuthedRequest, insight_id: int) -> HttpResponse:
    try:
        services.insight_link(
            actor=request.user,
            insight_id=insight_id,
            topic_ids=_ints(request.POST.getlist("topic")),
            case_ids=_ints(request.POST.getlist("case")),
        )
        messages.success(request, "Added; the volume and the contact list are updated.")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("feedback:insight_detail", insight_id=insight_id)


@require_POST
@permission_required("feedback.change_insightcontact", raise_exception=True)
def contact_record(request: AuthedRequest, contact_id: int) -> HttpResponse:
    contact = InsightContact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404("No such contact.")
    try:
        services.insight_contact_record(
            actor=request.user,
            contact_id=contact_id,
            channel=request.POST.get("channel", ""),
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
        messages.success(request, "Contact recorded.")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("feedback:insight_detail", insight_id=contact.insight_id)


# --- knowledge gaps ---------------------------------------------------------------------------


@permission_required("feedback.view_knowledgegap", raise_exception=True)
def gap_list(request: AuthedRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in KnowledgeGap.State.values else ""
    gaps = list(selectors.gap_list(user=request.user, state=state)[:100])
    return render(
        request,
        "feedback/gap_list.html",
        {"gaps": gaps, "state": state, "states": KnowledgeGap.State.choices},
    )


def _before_after_chart(volume: selectors.BeforeAfter, title: str) -> Any:
    frame = pd.DataFrame(
        {
            "week": pd.to_datetime(volume.weeks),
            "cases": volume.counts,
            "period": [
                "after" if volume.published and w > selectors.monday(volume.published) else "before"
                for w in volume.weeks
            ],
        }
    )
    bars = (
        alt.Chart(frame)
        .mark_bar(size=max(4, 420 // max(len(frame), 1)))
        .encode(
            x=week_x("week"),
            y=alt.Y("cases:Q", title="cases per week"),
            color=alt.Color(
                "period:N",
                title=None,
                scale=alt.Scale(domain=["before", "after"], range=["#a35a00", "#1e7b34"]),
            ),
            tooltip=["week:T", "cases:Q"],
        )
    )
    layers: Any = bars
    if volume.published:
        rule = (
            alt.Chart(pd.DataFrame({"published": [pd.Timestamp(volume.published)]}))
            .mark_rule(color="#2f6fa8", strokeDash=[4, 3], size=2)
            .encode(x="published:T")
        )
        layers = bars + rule
    return chart_svg(layers.properties(width=560, height=220, title=title), title=title)


@permission_required("feedback.view_knowledgegap", raise_exception=True)
def gap_detail(request: AuthedRequest, gap_id: int) -> HttpResponse:
    gap = selectors.gap_get(user=request.user, gap_id=gap_id)
    published = gap.published_at or (
        gap.article.published_at if gap.article and gap.article.status == "published" else None
    )
    volume = selectors.topic_before_after(topic=gap.topic, published_at=published)
    title = "Cases per week before and after the article" if published else "Cases per week"
    candidates = (
        selectors.gap_candidate_articles(user=request.user, gap=gap)
        if gap.state == KnowledgeGap.State.OPEN
        else []
    )
    return render(
        request,
        "feedback/gap_detail.html",
        {
            "candidates": candidates,
            "gap": gap,
            "topic": gap.topic,
            "examples": selectors.case_examples(topic=gap.topic, limit=6),
            "volume": volume,
            "chart": _before_after_chart(volume, title),
        },
    )


@require_POST
@permission_required("feedback.change_knowledgegap", raise_exception=True)
def gap_draft(request: AuthedRequest, gap_id: int) -> HttpResponse:
    try:
        gap = services.gap_draft_article(actor=request.user, gap_id=gap_id)
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
        return redirect("feedback:gap_detail", gap_id=gap_id)
    messages.success(request, f"Draft “{gap.article}” created; finish and publish it.")
    return redirect("feedback:gap_detail", gap_id=gap_id)


@require_POST
@permission_required("feedback.change_knowledgegap", raise_exception=True)
def gap_link(request: AuthedRequest, gap_id: int) -> HttpResponse:
    try:
        gap = services.gap_link_article(
            actor=request.user,
            gap_id=gap_id,
            article_id=int_param(request.POST.get("article")) or 0,
        )
        messages.success(request, f"“{gap.article}” answers this gap.")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("feedback:gap_detail", gap_id=gap_id)


@require_POST
@permission_required("feedback.change_knowledgegap", raise_exception=True)
def gap_dismiss(request: AuthedRequest, gap_id: int) -> HttpResponse:
    try:
        services.gap_dismiss(actor=request.user, gap_id=gap_id)
        messages.success(request, "Gap dismissed; it will not be raised again.")
    except (DomainError, ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("feedback:gaps")
