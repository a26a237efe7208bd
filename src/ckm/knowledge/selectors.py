"""Reads of the knowledge app. Every selector takes the user and returns only what they may see:
editors see every article; everyone else sees published ones (checked against the schedule on
read, so an article whose time has come is visible before the scheduler runs)."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ckm.core.errors import NotFound
from ckm.core.sorting import Sorts
from ckm.knowledge import content
from ckm.knowledge import search as engine
from ckm.knowledge.models import (
    Article,
    ArticleTemplate,
    ArticleVersion,
    Category,
    SearchQuery,
    SuggestionModel,
)


def can_edit(user: Any) -> bool:
    return bool(user.has_perm("knowledge.change_article"))


def live_q(now: dt.datetime | None = None) -> Q:
    """Published and not expired, or approved and its publishing time has come."""
    now = now or timezone.now()
    not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    return not_expired & (
        Q(status=Article.Status.PUBLISHED)
        | Q(status=Article.Status.IN_REVIEW, publish_at__isnull=False, publish_at__lte=now)
    )


def article_queryset(*, user: Any, audience: str | None = None) -> QuerySet[Article]:
    """Articles the user may open: editors every one, others the live ones of their audience."""
    if not user.has_perm("knowledge.view_article") and not user.has_perm("knowledge.use_portal"):
        return Article.objects.none()
    articles = Article.objects.all()
    if not can_edit(user):
        articles = articles.filter(live_q())
    if not user.has_perm("knowledge.view_article"):
        # portal-only users read what customers read
        audience = Article.Audience.PUBLIC
    if audience:
        articles = articles.filter(audience=audience)
    return articles


def article_get(*, user: Any, slug: str, audience: str | None = None) -> Article:
    """One article by its stable slug, or NotFound."""
    article = (
        article_queryset(user=user, audience=audience)
        .select_related("category", "owner", "template")
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise NotFound("No such article.")
    return article


def article_get_by_id(*, user: Any, article_id: int, audience: str | None = None) -> Article:
    article = (
        article_queryset(user=user, audience=audience)
        .select_related("category", "owner")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound("No such article.")
    return article


def is_live(article: Article, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if article.expires_at and article.expires_at <= now:
        return False
    if article.status == Article.Status.PUBLISHED:
        return True
    return bool(
        article.status == Article.Status.IN_REVIEW
        and article.publish_at
        and article.publish_at <= now
    )


@dataclass(frozen=True)
class ArticleAnswer:
    article: Article
    text: str  # Markdown for a reply to a customer
    portal_url: str  # the article's page on the portal; "" when customers cannot open it


def article_answer(*, user: Any, article_id: int, site_url: str) -> ArticleAnswer:
    """An article the user may read as the answer to paste into a reply: its summary and body as
    Markdown (an HTML or Word article as readable text) and, when customers can read it, a link
    to its portal page on `site_url` (this site's address). NotFound when the user may not read
    it or it is not live (a draft, archived, expired)."""
    article = article_get_by_id(user=user, article_id=article_id)
    if not is_live(article):
        # an editor may read a draft, but only what is published answers a customer
        raise NotFound("Only a published article can be inserted in a reply.")
    if article.source_format == Article.SourceFormat.MARKDOWN and article.body_source.strip():
        body = content.markdown_unwrapped(article.body_source.strip())
    else:
        body = content.markdown_literal(content.readable_text(article.body_html))
    parts = [content.markdown_literal(article.lead.strip()), body]
    portal_url = ""
    if article.is_public and is_live(article):
        try:
            path = reverse("portal:article", kwargs={"slug": article.slug})
        except NoReverseMatch:  # a site without the portal: nothing customers could open
            path = ""
        if path:
            portal_url = urljoin(site_url, path)
            title = content.markdown_literal(article.title)
            parts.append(f"More on our help pages: [{title}]({portal_url})")
    text = "\n\n".join(part for part in parts if part)
    return ArticleAnswer(article=article, text=text, portal_url=portal_url)


@dataclass(frozen=True)
class ArticleFilters:
    """The filters of the article lists, shared by the pages and the API."""

    q: str = ""
    status: str = ""
    audience: str = ""
    category_id: int | None = None
    product_id: int | None = None
    owner_id: int | None = None


def _category_ids(category_id: int | None) -> list[int]:
    """A category and everything below it."""
    if not category_id:
        return []
    ids, frontier = [category_id], [category_id]
    while frontier and len(ids) < 5000:
        frontier = list(
            Category.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
        )
        ids += frontier
    return ids


def article_list(*, user: Any, filters: ArticleFilters) -> QuerySet[Article]:
    """Articles matching plain filters (title contains), for lists and the API."""
    articles = article_queryset(user=user).select_related("category", "owner")
    if filters.q:
        articles = articles.filter(Q(title__icontains=filters.q) | Q(slug=filters.q))
    if filters.status:
        articles = articles.filter(status=filters.status)
    if filters.audience:
        articles = articles.filter(audience=filters.audience)
    if filters.category_id:
        articles = articles.filter(category_id__in=_category_ids(filters.category_id))
    if filters.product_id:
        articles = articles.filter(products__id=filters.product_id)
    if filters.owner_id:
        articles = articles.filter(owner_id=filters.owner_id)
    return articles.order_by("title")


@dataclass
class SearchHit:
    article: Article
    score: float
    snippet: str
    lexical_rank: int | None
    semantic_rank: int | None
    cosine: float | None


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit]
    corrected: str = ""
    top_score: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def good_answer(self) -> bool:
        return bool(self.hits) and self.top_score >= engine.GOOD_ANSWER


def article_search(
    *,
    user: Any,
    query: str,
    audience: str | None = None,
    category_id: int | None = None,
    product_id: int | None = None,
    mode: str = "hybrid",
    limit: int = 20,
) -> SearchResult:
    """Lexical search fused with semantic search over the articles the user may read."""
    query = (query or "").strip()[:300]
    if not query:
        return SearchResult(query=query, hits=[])
    if not user.has_perm("knowledge.view_article"):
        if not user.has_perm("knowledge.use_portal"):
            return SearchResult(query=query, hits=[])
        audience = Article.Audience.PUBLIC
    return _search(
        query,
        audience=audience,
        category_id=category_id,
        product_id=product_id,
        mode=mode,
        limit=limit,
    )


def _search(
    query: str,
    *,
    audience: str | None,
    category_id: int | None = None,
    product_id: int | None = None,
    mode: str = "hybrid",
    limit: int = 20,
) -> SearchResult:
    statuses: tuple[str, ...] = ("published",)
    scope = engine.Scope(
        statuses=statuses,
        audiences=(audience,) if audience else ("internal", "public"),
        category_ids=tuple(_category_ids(category_id)),
        product_id=product_id,
        now=engine.scope_now(),
    )
    found = engine.search(query, scope, mode=mode, limit=limit)
    articles = Article.objects.select_related("category").in_bulk(
        [h.article_id for h in found.hits]
    )
    hits = [
        SearchHit(
            article=articles[h.article_id],
            score=h.score,
            snippet=h.snippet or "",
            lexical_rank=h.lexical_rank,
            semantic_rank=h.semantic_rank,
            cosine=h.cosine,
        )
        for h in found.hits
        if h.article_id in articles
    ]
    # without vectors (none computed yet) a lexical match counts as an answer
    top = found.top_cosine if found.top_cosine is not None else (1.0 if hits else 0.0)
    return SearchResult(
        query=query,
        hits=hits,
        corrected=found.corrected,
        top_score=top,
        timings_ms=found.timings_ms,
    )


# --- navigation -------------------------------------------------------------------------------


@dataclass
class CategoryNode:
    category: Category
    count: int
    children: list[CategoryNode]


def category_tree(*, user: Any, audience: str | None = None) -> list[CategoryNode]:
    """The category tree with the number of articles the user may read in each (incl. below)."""
    return _tree(article_queryset(user=user, audience=audience), show_empty=can_edit(user))


def _tree(articles: QuerySet[Article], *, show_empty: bool) -> list[CategoryNode]:
    counts = Counter(
        dict(
            articles.filter(category__isnull=False)
            .values_list("category_id")
            .annotate(n=Count("id"))
            .values_list("category_id", "n")
        )
    )
    categories = list(Category.objects.all())
    nodes = {c.pk: CategoryNode(category=c, count=0, children=[]) for c in categories}
    roots: list[CategoryNode] = []
    for category in categories:
        node = nodes[category.pk]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent.children if parent else roots).append(node)

    def total(node: CategoryNode) -> int:
        node.count = counts.get(node.category.pk, 0) + sum(total(c) for c in node.children)
        return node.count

    for root in roots:
        total(root)
    return [r for r in roots if r.count or show_empty]


# --- the public portal: no login, live public articles only -----------------------------------


def portal_articles() -> QuerySet[Article]:
    """What anyone may read on the portal, logged in or not: live public articles, never an
    internal one, a draft or an expired one."""
    return Article.objects.filter(live_q(), audience=Article.Audience.PUBLIC)


def portal_article_get(*, slug: str) -> Article:
    article = portal_articles().select_related("category").filter(slug=slug).first()
    if article is None:
        raise NotFound("No such article.")
    return article


def portal_article_list(*, category_id: int | None = None) -> QuerySet[Article]:
    articles = portal_articles().select_related("category")
    if category_id:
        articles = articles.filter(category_id__in=_category_ids(category_id))
    return articles


def portal_search(*, query: str, category_id: int | None = None, limit: int = 10) -> SearchResult:
    """Search over the public articles for the portal (anonymous visitors included)."""
    query = (query or "").strip()[:300]
    if not query:
        return SearchResult(query=query, hits=[])
    result = _search(query, audience=Article.Audience.PUBLIC, category_id=category_id, limit=limit)
    # belt and braces: only what portal_articles() allows ever leaves here
    allowed = set(
        portal_articles()
        .filter(pk__in=[h.article.pk for h in result.hits])
        .values_list("pk", flat=True)
    )
    result.hits = [h for h in result.hits if h.article.pk in allowed]
    return result


def portal_category_tree() -> list[CategoryNode]:
    return _tree(portal_articles(), show_empty=False)


def category_get(*, slug_path: str) -> Category:
    category = (
        Category.objects.filter(pk=int(slug_path)).first()
        if slug_path.isascii() and slug_path.isdigit()
        else None
    )
    if category is None:
        raise NotFound("No such category.")
    return category


def templates() -> QuerySet[ArticleTemplate]:
    return ArticleTemplate.objects.all()


# --- versions ---------------------------------------------------------------------------------


def article_versions(*, user: Any, article: Article) -> QuerySet[ArticleVersion]:
    if not can_edit(user):
        return ArticleVersion.objects.none()
    return article.versions.select_related("author").order_by("-number")


def article_version_get(*, user: Any, article: Article, number: int) -> ArticleVersion:
    version = article_versions(user=user, article=article).filter(number=number).first()
    if version is None:
        raise NotFound("No such version.")
    return version


def article_revision(article: Article) -> ArticleVersion | None:
    """The change to a published article waiting for review, if any."""
    if not article.revision_number:
        return None
    return article.versions.select_related("author").filter(number=article.revision_number).first()


@dataclass
class VersionDiff:
    old: ArticleVersion
    new: ArticleVersion
    lines: list[tuple[str, str]]  # (kind: "same" | "add" | "del" | "meta", text)


def version_diff(*, user: Any, article: Article, old: int, new: int) -> VersionDiff:
    """What changed in title, summary and body source between two versions."""
    versions = {
        v.number: v
        for v in article_versions(user=user, article=article).filter(number__in=[old, new])
    }
    if old not in versions or new not in versions:
        raise NotFound("No such version.")
    a, b = versions[old], versions[new]

    def text(v: ArticleVersion) -> list[str]:
        return [f"# {v.title}", "", *v.summary.splitlines(), "", *v.body_source.splitlines()]

    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(text(a), text(b), f"v{old}", f"v{new}", lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(("meta", line))
        elif line.startswith("+"):
            lines.append(("add", line[1:]))
        elif line.startswith("-"):
            lines.append(("del", line[1:]))
        else:
            lines.append(("same", line[1:]))
    return VersionDiff(old=a, new=b, lines=lines)


# --- the editors' overview --------------------------------------------------------------------


@dataclass
class OverviewRow:
    article: Article
    staleness_days: int | None
    overdue: bool
    helpful_rate: int | None
    answers: int  # customer messages this article answered (the resolved history)


# the editors' overview sorts by these columns (`?sort=`, see core.sorting)
OVERVIEW_SORTS = Sorts(
    columns={
        "title": ("title",),
        "status": ("status", "-updated_at"),
        "owner": ("owner__username",),
        "reviewed": ("last_review",),
        "views": ("views",),
        "helpful": ("helpful_yes",),
        "answers": ("answers",),
        "updated": ("updated_at",),
    },
    default="status",
)


def editors_overview_rows(
    *, user: Any, filters: ArticleFilters | None = None, sort: str = ""
) -> QuerySet[Article]:
    """The overview's articles, with the count of messages each answered and the last review
    (else the publication), sorted in the database: page it, then `overview_row` each."""
    if not can_edit(user):
        return Article.objects.none()
    articles = article_list(user=user, filters=filters or ArticleFilters())
    return articles.annotate(
        answers=Count("evidence", distinct=True),
        last_review=Coalesce("reviewed_at", "published_at"),
    ).order_by(*OVERVIEW_SORTS.order_by(sort))


def overview_row(article: Article) -> OverviewRow:
    """One row of the overview: an article from editors_overview_rows with its staleness."""
    reviewed = article.reviewed_at or article.published_at
    votes = article.helpful_yes + article.helpful_no
    return OverviewRow(
        article=article,
        staleness_days=(timezone.now() - reviewed).days if reviewed else None,
        overdue=bool(article.review_at and article.review_at < timezone.localdate()),
        helpful_rate=round(100 * article.helpful_yes / votes) if votes else None,
        answers=getattr(article, "answers", 0),
    )


def status_counts(*, user: Any, filters: ArticleFilters | None = None) -> dict[str, int]:
    """How many of the overview's articles are in each status (every status named)."""
    counts = {value: 0 for value in Article.Status.values}
    rows = (
        article_list(user=user, filters=filters or ArticleFilters())
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    counts.update({status: n for status, n in rows})
    return counts


@dataclass
class Gap:
    query: str
    count: int
    last_at: dt.datetime
    best_score: float
    where: str


def knowledge_gaps(*, user: Any, days: int = 90, limit: int = 20) -> dict[str, list[Gap]]:
    """Frequent searches with no good answer, and customer messages (portal contacts after a
    search) with no good answer, most frequent first."""
    if not can_edit(user):
        return {"searches": [], "messages": []}
    since = timezone.now() - dt.timedelta(days=days)
    weak = Q(results=0) | Q(top_score__lt=engine.GOOD_ANSWER)
    base = SearchQuery.objects.filter(created_at__gte=since).filter(weak)

    def grouped(rows: QuerySet[SearchQuery], where: str) -> list[Gap]:
        return [
            Gap(
                query=r["example"] or r["normalised"],
                count=r["n"],
                last_at=r["last"],
                best_score=r["best"] or 0.0,
                where=where,
            )
            for r in rows.values("normalised")
            .annotate(
                n=Count("id"), last=Max("created_at"), best=Max("top_score"), example=Max("query")
            )
            .order_by("-n", "-last")[:limit]
        ]

    return {
        "searches": grouped(base.exclude(where=SearchQuery.Where.MESSAGE), "search"),
        "messages": grouped(base.filter(where=SearchQuery.Where.MESSAGE), "message"),
    }


def search_stats(*, user: Any, days: int = 90) -> list[dict[str, Any]]:
    """Searches per whole week (Monday to Sunday, local time; the running week is left out, its
    few days would read as a drop): all, with no good answer, and clicked through."""
    if not can_edit(user):
        return []
    from django.db.models.functions import TruncWeek

    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    first = monday - dt.timedelta(weeks=max(1, days // 7))

    def start(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    rows = (
        SearchQuery.objects.filter(created_at__gte=start(first), created_at__lt=start(monday))
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(
            searches=Count("id"),
            unanswered=Count("id", filter=Q(results=0) | Q(top_score__lt=engine.GOOD_ANSWER)),
            clicked=Count("id", filter=Q(clicked_article__isnull=False)),
        )
        .order_by("week")
    )
    # the week as its Monday's date (TruncWeek gives local midnight as a datetime)
    return [
        {**row, "week": timezone.localtime(row["week"]).date() if row["week"] else None}
        for row in rows
    ]


@dataclass
class Usage:
    searches: int
    unanswered: int
    clicked: int
    portal_visits: int  # portal visitor sessions (per day) that searched or read an article
    portal_contacts: int  # ... of which sent us a message

    @property
    def click_through(self) -> float | None:
        return self.clicked / self.searches if self.searches else None

    @property
    def deflection(self) -> float | None:
        """Share of portal visits (searched or read) that did not end in a message to us."""
        if not self.portal_visits:
            return None
        return max(0.0, 1 - self.portal_contacts / self.portal_visits)


def usage_summary(*, user: Any, days: int = 90) -> Usage:
    """Searches, unanswered ones, click-through and the portal's deflection rate."""
    if not can_edit(user):
        return Usage(0, 0, 0, 0, 0)
    return usage_counts(days=days)


def usage_counts(*, days: int = 90) -> Usage:
    """The figures of usage_summary for a caller that has checked its own permission (totals
    only: no query text, no article)."""
    since = timezone.now() - dt.timedelta(days=days)
    weak = Q(results=0) | Q(top_score__lt=engine.GOOD_ANSWER)
    searches = SearchQuery.objects.filter(created_at__gte=since).exclude(
        where=SearchQuery.Where.MESSAGE
    )
    counts = searches.aggregate(
        n=Count("id"),
        weak=Count("id", filter=weak),
        clicked=Count("id", filter=Q(clicked_article__isnull=False)),
        portal=Count("id", filter=Q(where=SearchQuery.Where.PORTAL)),
    )
    from ckm.knowledge.models import PortalVisit

    visits = (
        PortalVisit.objects.filter(day__gte=since.date())
        .filter(Q(searches__gt=0) | Q(views__gt=0))
        .aggregate(n=Count("id"), contacted=Count("id", filter=Q(contacted=True)))
    )
    return Usage(counts["n"], counts["weak"], counts["clicked"], visits["n"], visits["contacted"])


def views_by_category(*, user: Any) -> list[dict[str, Any]]:
    """Views and helpful votes of the live articles per top-level category (for the chart)."""
    if not can_edit(user):
        return []
    totals: dict[str, dict[str, Any]] = {}
    rows = (
        Article.objects.filter(live_q())
        .select_related("category")
        .values_list("category__path", "views", "helpful_yes", "helpful_no")
    )
    for path, views, yes, no in rows:
        top = (path or "(none)").split(" / ")[0]
        entry = totals.setdefault(
            top, {"category": top, "views": 0, "helpful": 0, "not_helpful": 0}
        )
        entry["views"] += views
        entry["helpful"] += yes
        entry["not_helpful"] += no
    return sorted(totals.values(), key=lambda e: -e["views"])[:15]


def suggestion_model_active() -> SuggestionModel | None:
    """The suggestion model in use (shown on the pages)."""
    return SuggestionModel.objects.filter(active=True, status=SuggestionModel.Status.READY).first()


# --- suggestions ------------------------------------------------------------------------------


@dataclass
class Suggestion:
    article: Article
    confidence: float
    reason: str


@dataclass
class SuggestionResult:
    suggestions: list[Suggestion]
    abstained: bool
    model_version: str


def _search_suggest(
    *,
    text: str,
    user: Any,
    limit: int = 3,
    audience: str | None = None,
    min_confidence: float = 0.0,
) -> SuggestionResult:
    """Until the learned engine is installed: the hybrid search's best articles (a search score
    is no chance: min_confidence is taken for the learned engine's signature only)."""
    found = article_search(user=user, query=text[:300], audience=audience, limit=limit)
    return SuggestionResult(
        suggestions=[
            Suggestion(
                article=h.article,
                confidence=float(max(0.0, min(1.0, h.cosine if h.cosine is not None else 0.5))),
                reason="search match",
            )
            for h in found.hits[:limit]
        ],
        abstained=False,
        model_version="search",
    )


try:  # the learned engine (ckm.knowledge.suggestions) when it is installed
    from ckm.knowledge.suggestions.engine import (  # type: ignore[import-not-found,unused-ignore]
        SUGGESTION_FLOOR,
        article_suggest,
    )
except ImportError:  # pragma: no cover - depends on the engine being present
    article_suggest = _search_suggest  # type: ignore[assignment,unused-ignore]
    SUGGESTION_FLOOR = 0.05  # type: ignore[misc,unused-ignore]


# --- usage over time (the Usage page) ----------------------------------------------------------


@dataclass
class UsageWeek:
    week: dt.date
    views: int = 0
    searches: int = 0
    zero_results: int = 0
    clicked: int = 0
    helpful_yes: int = 0
    helpful_no: int = 0
    sessions: int = 0
    contacted: int = 0

    @property
    def zero_result_share(self) -> float | None:
        return self.zero_results / self.searches if self.searches else None

    @property
    def click_through(self) -> float | None:
        return self.clicked / self.searches if self.searches else None

    @property
    def helpfulness(self) -> float | None:
        votes = self.helpful_yes + self.helpful_no
        return self.helpful_yes / votes if votes else None

    @property
    def deflection(self) -> float | None:
        return 1 - self.contacted / self.sessions if self.sessions else None


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def usage_weekly(
    *,
    user: Any,
    weeks: int = 12,
    category_id: int | None = None,
    article_id: int | None = None,
    today: dt.date | None = None,
) -> list[UsageWeek]:
    """Week by week: views, searches, zero-result searches, click-through, helpfulness and the
    portal's deflection, for all articles or one category (with its subcategories) or article.

    Overall, searches and zero results come from the search log, click-through is the share of
    searches that led to an article, and deflection is the share of portal visits (a visitor
    session on a day) that searched or read and did not send a message. For a category or an
    article, searches stay the total, click-through is the share of them that led to its
    articles, zero results are left out (they cannot belong to an article) and deflection is 1 - visits that read one of its articles and then wrote / visits that read one."""
    if not can_edit(user):
        return []
    from django.db.models import Sum
    from django.db.models.functions import TruncDate

    from ckm.knowledge.models import ArticleUsageDaily, PortalVisit

    today = today or timezone.localdate()
    weeks = max(1, min(int(weeks), 104))
    start = _monday(today) - dt.timedelta(weeks=weeks - 1)
    table = {
        start + dt.timedelta(weeks=i): UsageWeek(week=start + dt.timedelta(weeks=i))
        for i in range(weeks)
    }
    scoped = bool(category_id or article_id)

    usage = ArticleUsageDaily.objects.filter(day__gte=start, day__lte=today)
    if article_id:
        usage = usage.filter(article_id=article_id)
    elif category_id:
        usage = usage.filter(article__category_id__in=_category_ids(category_id))
    for row in usage.values("day").annotate(
        v=Sum("views"),
        y=Sum("helpful_yes"),
        n=Sum("helpful_no"),
        s=Sum("sessions"),
        c=Sum("contacts"),
    ):
        week = table[_monday(row["day"])]
        week.views += row["v"] or 0
        week.helpful_yes += row["y"] or 0
        week.helpful_no += row["n"] or 0
        if scoped:
            week.sessions += row["s"] or 0
            week.contacted += row["c"] or 0

    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    searches = SearchQuery.objects.filter(created_at__gte=since).exclude(
        where=SearchQuery.Where.MESSAGE
    )
    if article_id:
        led = Q(clicked_article_id=article_id)
    elif category_id:
        led = Q(clicked_article__category_id__in=_category_ids(category_id))
    else:
        led = Q(clicked_article__isnull=False)
    rows = (
        searches.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            n=Count("id"),
            zero=Count("id", filter=Q(results=0)),
            led=Count("id", filter=led),
        )
    )
    for srow in rows:
        found = table.get(_monday(srow["day"]))
        if found is None:
            continue
        found.clicked += srow["led"]
        found.searches += srow["n"]
        if not scoped:
            found.zero_results += srow["zero"]

    if not scoped:
        visits = (
            PortalVisit.objects.filter(day__gte=start, day__lte=today)
            .filter(Q(searches__gt=0) | Q(views__gt=0))
            .values("day")
            .annotate(n=Count("id"), c=Count("id", filter=Q(contacted=True)))
        )
        for vrow in visits:
            visit_week = table[_monday(vrow["day"])]
            visit_week.sessions += vrow["n"]
            visit_week.contacted += vrow["c"]
    return list(table.values())


def usage_by_article(
    *, user: Any, weeks: int = 12, category_id: int | None = None, limit: int = 25
) -> list[dict[str, Any]]:
    """The most viewed articles of the period with their helpfulness and deflection."""
    if not can_edit(user):
        return []
    from django.db.models import Sum

    from ckm.knowledge.models import ArticleUsageDaily

    start = _monday(timezone.localdate()) - dt.timedelta(weeks=max(1, min(weeks, 104)) - 1)
    usage = ArticleUsageDaily.objects.filter(day__gte=start)
    if category_id:
        usage = usage.filter(article__category_id__in=_category_ids(category_id))
    rows = (
        usage.values("article_id", "article__title", "article__slug", "article__category__path")
        .annotate(
            views=Sum("views"),
            yes=Sum("helpful_yes"),
            no=Sum("helpful_no"),
            clicks=Sum("clicks_from_search"),
            sessions=Sum("sessions"),
            contacts=Sum("contacts"),
        )
        .order_by("-views")[:limit]
    )
    out = []
    for row in rows:
        votes = (row["yes"] or 0) + (row["no"] or 0)
        out.append(
            {
                **row,
                "helpfulness": row["yes"] / votes if votes else None,
                "deflection": 1 - row["contacts"] / row["sessions"] if row["sessions"] else None,
            }
        )
    return out
