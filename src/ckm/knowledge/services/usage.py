"""How articles are used: views, "did this help?" votes and the search log (knowledge gaps)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ckm.core.audit import audit_record
from ckm.core.permissions import require_perm
from ckm.knowledge.models import Article, ArticleFeedback, SearchQuery


def normalise_query(query: str) -> str:
    """One spelling per question for counting: lower case, single spaces, no punctuation."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", query.lower())).strip()[:300]


def article_view_record(*, article: Article) -> None:
    """Count one view (a counter; views are not audited)."""
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


def search_query_record(
    *,
    user: Any,
    query: str,
    where: str = SearchQuery.Where.AGENT,
    results: int = 0,
    top_score: float = 0.0,
) -> SearchQuery | None:
    """Log one search (or customer message) and how good its best answer was."""
    normalised = normalise_query(query)
    if not normalised:
        return None
    if getattr(user, "is_authenticated", False):
        # search as you type: a query that extends the user's previous one within a minute
        # replaces it, so the log (and the knowledge gaps) hold what people meant to ask
        previous = (
            SearchQuery.objects.filter(
                user=user, where=where, created_at__gte=timezone.now() - dt.timedelta(minutes=1)
            )
            .order_by("-created_at")
            .first()
        )
        if previous is not None and (
            normalised.startswith(previous.normalised) or previous.normalised.startswith(normalised)
        ):
            previous.query, previous.normalised = query.strip()[:300], normalised
            previous.results, previous.top_score = results, float(top_score)
            previous.save(update_fields=["query", "normalised", "results", "top_score"])
            return previous
    return SearchQuery.objects.create(
        query=query.strip()[:300],
        normalised=normalised,
        user=user if getattr(user, "is_authenticated", False) else None,
        where=where,
        results=results,
        top_score=float(top_score),
    )


def search_click_record(*, search_id: int, article: Article, user: Any) -> None:
    """The article a search led to (click-through)."""
    SearchQuery.objects.filter(pk=search_id, user=user, clicked_article__isnull=True).update(
        clicked_article=article
    )


@transaction.atomic
def article_feedback_record(
    *,
    actor: Any,
    article: Article,
    helpful: bool,
    comment: str = "",
    where: str = SearchQuery.Where.AGENT,
) -> ArticleFeedback:
    """A "did this help?" vote; one per user and article (a new vote replaces the old one).
    Customers vote on the portal (knowledge.use_portal), staff on the knowledge pages."""
    require_perm(
        actor,
        "knowledge.use_portal" if where == SearchQuery.Where.PORTAL else "knowledge.give_feedback",
    )
    previous = ArticleFeedback.objects.filter(article=article, user=actor).first()
    if previous is not None:
        if previous.helpful == helpful:
            return previous
        old = "helpful_yes" if previous.helpful else "helpful_no"
        Article.objects.filter(pk=article.pk).update(**{old: F(old) - 1})
        previous.delete()
    vote = ArticleFeedback.objects.create(
        article=article, user=actor, helpful=helpful, comment=comment.strip()[:500], where=where
    )
    counter = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    audit_record(
        actor=actor,
        action="create",
        obj=vote,
        summary=f"{'helpful' if helpful else 'not helpful'}: {article.title[:150]}",
    )
    return vote
