"""What knowledge sets up on the demo bank after its package is imported: the house templates,
the imported articles published (reviewed by the editor), their vectors computed."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ckm.core.models import User
from ckm.knowledge.models import Article
from ckm.knowledge.services.articles import _set_status
from ckm.knowledge.services.embedding import articles_embed
from ckm.knowledge.services.taxonomy import HOUSE_TEMPLATES, template_save

# what customers and agents search for that no article answers (the demo's unanswered searches)
UNANSWERED = (
    "crypto wallet transfer",
    "payee name check",
    "name does not match transfer",
    "apple pay",
    "safe deposit box",
    "child account",
)
_FILLER = frozenset((
    "a", "an", "and", "are", "can", "do", "does", "for", "from", "how", "i", "if", "in", "is",
    "it", "my", "of", "on", "or", "the", "to", "was", "what", "when", "where", "which", "who",
    "why", "will", "with", "you", "your",
))  # fmt: skip


def typed_query(title: str, rng: Any) -> str:
    """A search as people type it for the article with this title: two to four of its words
    that carry meaning, in their order ("When will my new card arrive?" -> "new card arrive")."""
    words = [w for w in re.findall(r"[a-zäöüß0-9]+", title.lower()) if w not in _FILLER]
    if len(words) <= 2:
        return " ".join(words) or title.lower()
    n = int(rng.integers(2, min(4, len(words)) + 1))
    keep = sorted(rng.choice(len(words), size=n, replace=False))
    return " ".join(words[i] for i in keep)


def knowledge_seed_demo(*, actor: Any) -> dict[str, int]:
    """Templates, the imported demo articles published, vectors computed (idempotent)."""
    for spec in HOUSE_TEMPLATES:
        template_save(
            actor=actor,
            name=spec["name"],
            sections=spec["sections"],
            description=spec["description"],
        )
    editor = User.objects.filter(username="editor").first() or actor
    published = 0
    with transaction.atomic():
        now = timezone.now()
        drafts = Article.objects.filter(
            external_id__isnull=False, status__in=[Article.Status.DRAFT, Article.Status.IN_REVIEW]
        )
        for article in drafts:
            if article.owner_id is None:
                Article.objects.filter(pk=article.pk).update(owner=editor)
            _set_status(
                actor=editor,
                article=article,
                target=Article.Status.PUBLISHED,
                note="Published (demo)",
                published_at=now,
                reviewed_at=now,
            )
            published += 1
    embedded = articles_embed()
    history = usage_history_backfill()
    return {
        "templates": len(HOUSE_TEMPLATES),
        "published": published,
        "embedded": embedded,
        "usage_days": history,
    }


def usage_history_backfill(*, weeks: int = 12, seed: int = 7) -> int:
    """Plausible usage history for the demo's charts: a seeded random walk (no real traffic
    exists on a fresh demo) of daily views, votes and clicks per live article, portal visits with
    a slowly improving deflection, and the search log. Idempotent: does nothing when any history
    before today exists. Returns the number of article-days written."""
    import datetime as dt
    import hashlib

    import numpy as np

    from ckm.knowledge.models import ArticleUsageDaily, PortalVisit, SearchQuery, UsageSource
    from ckm.knowledge.selectors import live_q
    from ckm.knowledge.services.usage import normalise_query

    today = timezone.localdate()
    if ArticleUsageDaily.objects.filter(day__lt=today).exists():
        return 0
    articles = list(Article.objects.filter(live_q()).values_list("pk", "audience", "title"))
    if not articles:
        return 0
    rng = np.random.default_rng(seed)
    days = [today - dt.timedelta(days=n) for n in range(weeks * 7, 0, -1)]
    popularity = rng.gamma(1.5, 1.0, len(articles))
    level = 1.0
    usage: list[ArticleUsageDaily] = []
    visits: list[PortalVisit] = []
    searches: list[tuple[SearchQuery, dt.datetime]] = []
    for i, day in enumerate(days):
        level = float(np.clip(level * np.exp(rng.normal(0.01, 0.08)), 0.5, 2.5))
        weekday = 0.4 if day.weekday() >= 5 else 1.0
        contact_rate = float(np.clip(0.32 - 0.12 * i / len(days) + rng.normal(0, 0.03), 0.05, 0.6))
        portal_visits = int(rng.poisson(25 * level * weekday))
        for n in range(portal_visits):
            read = [
                articles[int(j)][0]
                for j in rng.choice(
                    len(articles), size=int(rng.integers(0, 3)), p=popularity / popularity.sum()
                )
                if articles[int(j)][1] == Article.Audience.PUBLIC
            ]
            key = hashlib.sha256(f"demo:{day}:{n}".encode()).hexdigest()
            visits.append(
                PortalVisit(
                    session=key,
                    day=day,
                    searches=int(rng.integers(1, 3)),
                    views=len(read),
                    articles=read,
                    contacted=bool(rng.random() < contact_rate),
                )
            )
        for idx, (pk, audience, _title) in enumerate(articles):
            mean = popularity[idx] * level * weekday
            for source in (UsageSource.AGENT, UsageSource.PORTAL):
                if source == UsageSource.PORTAL and audience != Article.Audience.PUBLIC:
                    continue
                views = int(rng.poisson(mean * (2.0 if source == UsageSource.AGENT else 1.0)))
                if source == UsageSource.PORTAL:
                    readers = (
                        [v for v in visits[-portal_visits:] if pk in v.articles]
                        if portal_visits
                        else []
                    )
                    views += len(readers)
                    sessions = len(readers)
                    contacts = sum(1 for v in readers if v.contacted)
                else:
                    sessions = contacts = 0
                if not views:
                    continue
                yes = int(rng.binomial(views, 0.12))
                no = int(rng.binomial(views, 0.04))
                usage.append(
                    ArticleUsageDaily(
                        article_id=pk,
                        day=day,
                        source=source,
                        views=views,
                        helpful_yes=yes,
                        helpful_no=no,
                        clicks_from_search=int(rng.binomial(views, 0.55)),
                        sessions=sessions,
                        contacts=contacts,
                    )
                )
        for _ in range(int(rng.poisson(30 * level * weekday))):
            pk, audience, title = articles[int(rng.integers(len(articles)))]
            zero = rng.random() < 0.08
            query = str(rng.choice(UNANSWERED)) if zero else typed_query(title, rng)
            moment = timezone.make_aware(
                dt.datetime.combine(day, dt.time(int(rng.integers(7, 21)), int(rng.integers(60))))
            )
            searches.append(
                (
                    SearchQuery(
                        query=query,
                        normalised=normalise_query(query),
                        where=SearchQuery.Where.PORTAL
                        if audience == Article.Audience.PUBLIC and rng.random() < 0.5
                        else SearchQuery.Where.AGENT,
                        results=0 if zero else int(rng.integers(1, 10)),
                        top_score=0.0 if zero else float(rng.uniform(0.4, 0.9)),
                        clicked_article_id=None if zero or rng.random() > 0.6 else pk,
                    ),
                    moment,
                )
            )
    with transaction.atomic():
        ArticleUsageDaily.objects.bulk_create(usage, batch_size=1000)
        PortalVisit.objects.bulk_create(visits, batch_size=1000, ignore_conflicts=True)
        created = SearchQuery.objects.bulk_create([q for q, _ in searches], batch_size=1000)
        for logged, (_, moment) in zip(created, searches, strict=True):
            logged.created_at = moment
        SearchQuery.objects.bulk_update(created, ["created_at"], batch_size=1000)
        # the articles' running counters (the editors' overview, the portal's "found it
        # helpful") tell the same story as the daily history
        totals: dict[int, list[int]] = {}
        for row in usage:
            counts = totals.setdefault(row.article_id, [0, 0, 0])
            counts[0] += row.views
            counts[1] += row.helpful_yes
            counts[2] += row.helpful_no
        for pk, (views, yes, no) in totals.items():
            Article.objects.filter(pk=pk).update(
                views=F("views") + views,
                helpful_yes=F("helpful_yes") + yes,
                helpful_no=F("helpful_no") + no,
            )
    return len(usage)
