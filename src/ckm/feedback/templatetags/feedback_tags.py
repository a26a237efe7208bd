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


HOME_ROWS = 5


@register.inclusion_tag("feedback/_home.html", takes_context=True)
def feedback_home(context: dict[str, Any]) -> dict[str, Any]:
    """The start page of knowledge editors and product managers: articles waiting for a review,
    open knowledge gaps and searches with no good answer; emerging topics and the insight board."""
    from django.db.models import Q
    from django.utils import timezone

    from ckm.feedback.models import Insight, KnowledgeGap
    from ckm.feedback.selectors import alerts_current, gap_list, insight_list
    from ckm.knowledge.models import Article
    from ckm.knowledge.selectors import ArticleFilters, article_list, can_edit, knowledge_gaps

    user = context["user"]
    data: dict[str, Any] = {"show": False}
    if can_edit(user):
        articles = article_list(user=user, filters=ArticleFilters())
        # drafts sent for review, and revisions of published articles
        waiting = Q(status=Article.Status.IN_REVIEW) | Q(
            status=Article.Status.PUBLISHED, revision_number__isnull=False
        )
        data["in_review"] = list(articles.filter(waiting).order_by("updated_at")[:HOME_ROWS])
        data["overdue"] = list(
            articles.filter(
                status=Article.Status.PUBLISHED, review_at__lt=timezone.localdate()
            ).order_by("review_at")[:HOME_ROWS]
        )
        data["weak_searches"] = knowledge_gaps(user=user, days=30, limit=HOME_ROWS)["searches"]
        data["editor"] = data["show"] = True
    if user.has_perm("feedback.view_knowledgegap"):
        data["gaps"] = list(gap_list(user=user, state=KnowledgeGap.State.OPEN)[:HOME_ROWS])
        data["show"] = True
    if user.has_perm("feedback.view_topicalert"):
        data["alerts"] = alerts_current(user=user)[:HOME_ROWS]
        data["show"] = True
    if user.has_perm("feedback.view_insight"):
        insights = list(insight_list(user=user))
        data["insight_counts"] = [
            (label, sum(1 for i in insights if i.status == value))
            for value, label in Insight.Status.choices
        ]
        data["new_insights"] = [i for i in insights if i.status == Insight.Status.NEW][:HOME_ROWS]
        data["show"] = True
    return data
