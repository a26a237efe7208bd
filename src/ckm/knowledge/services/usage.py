"""How articles are used: views, "did this help?" votes and the search log (knowledge gaps)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ckm.core.audit import audit_record
from ckm.core.errors import ValidationError
from ckm.core.permissions import require_perm
from ckm.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleUsageDaily,
    PortalVisit,
    SearchQuery,
    UsageSource,
)


def normalise_query(query: str) -> str:
    """One spelling per question for counting: lower case, single spaces, no punctuation."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", query.lower())).strip()[:300]


def _source(where: str) -> str:
    return UsageSource.PORTAL if where == SearchQuery.Where.PORTAL else UsageSource.AGENT


def usage_bump(
    *, article_id: int, source: str, day: dt.date | None = None, **counters: int
) -> None:
    """Add to one article's counters of one day (an upsert; negative amounts never go below 0)."""
    day = day or timezone.localdate()
    row = ArticleUsageDaily.objects.filter(article_id=article_id, day=day, source=source).first()
    if row is None:
        try:
            with transaction.atomic():
                row = ArticleUsageDaily.objects.create(
                    article_id=article_id, day=day, source=source
                )
        except IntegrityError:  # created meanwhile by a concurrent request
            row = ArticleUsageDaily.objects.get(article_id=article_id, day=day, source=source)
    for name, amount in counters.items():
        rows = ArticleUsageDaily.objects.filter(pk=row.pk)
        if amount < 0:
            rows = rows.filter(**{f"{name}__gte": -amount})
        rows.update(**{name: F(name) + amount})


def _visit(session: str) -> PortalVisit:
    """Today's record of a portal visitor session (created on first use)."""
    day = timezone.localdate()
    visit = PortalVisit.objects.filter(session=session, day=day).first()
    if visit is None:
        try:
            with transaction.atomic():
                visit = PortalVisit.objects.create(session=session, day=day)
        except IntegrityError:
            visit = PortalVisit.objects.get(session=session, day=day)
    return visit


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "Message from the help centre"


def article_view_record(*, article: Article, where: str = "agent", session: str = "") -> None:
    """Count one view: the running counter and the day's usage; on the portal also the visitor
    session's visit (for deflection). Views are not audited."""
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)
    source = _source(where)
    first_in_session = False
    if source == UsageSource.PORTAL and session:
        visit = _visit(session)
        first_in_session = article.pk not in visit.articles
        if first_in_session:
            visit.articles = [*visit.articles, article.pk][-200:]
        visit.views += 1
        visit.save(update_fields=["articles", "views"])
    usage_bump(article_id=article.pk, source=source, views=1, sessions=1 if first_in_session else 0)


@transaction.atomic
def portal_contact_record(
    *,
    session: str,
    subject: str,
    text: str,
    customer_id: int | None = None,
    reference: str = "",
) -> Any:
    """A portal visitor sent us a message although the help centre was there: the visit counts as
    not deflected (and so does every article it read today); when the sender's e-mail matched a
    customer, the message also goes on that customer's contact history as an inbound web
    interaction (idempotent per reference). Returns the interaction or None."""
    if session:
        visit = _visit(session)
        if not visit.contacted:
            visit.contacted = True
            visit.save(update_fields=["contacted"])
            for article_id in Article.objects.filter(pk__in=visit.articles).values_list(
                "pk", flat=True
            ):
                usage_bump(article_id=article_id, source=UsageSource.PORTAL, contacts=1)
    if customer_id is None:
        return None
    from ckm.interactions.models import Channel, Direction, Interaction

    external_id = f"portal-{reference}"[:64] if reference else ""
    if external_id:
        existing = Interaction.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing
    interaction = Interaction.objects.create(
        external_id=external_id or f"portal-{secrets.token_hex(8)}",
        customer_id=customer_id,
        channel=Channel.WEB,
        direction=Direction.INBOUND,
        subject=(subject.strip() or _first_line(text))[:255],
        text=text.strip(),
        outcome="Sent from the help centre",
        occurred_at=timezone.now(),
    )
    audit_record(
        actor=None,
        action="create",
        obj=interaction,
        customer_id=customer_id,
        summary=f"Message from the help centre: {interaction.subject[:150]}",
    )
    return interaction


def search_query_record(
    *,
    user: Any,
    query: str,
    where: str = SearchQuery.Where.AGENT,
    results: int = 0,
    top_score: float = 0.0,
    session: str = "",
) -> SearchQuery | None:
    """Log one search (or customer message) and how good its best answer was. `session` is the
    portal visitor's hashed session (anonymous visitors have no user)."""
    normalised = normalise_query(query)
    if not normalised:
        return None
    authenticated = getattr(user, "is_authenticated", False)
    if where == SearchQuery.Where.PORTAL and session:
        visit = _visit(session)
        PortalVisit.objects.filter(pk=visit.pk).update(searches=F("searches") + 1)
    if authenticated or session:
        # search as you type: a query that extends the user's previous one within a minute
        # replaces it, so the log (and the knowledge gaps) hold what people meant to ask
        mine = {"user": user} if authenticated else {"session": session, "user__isnull": True}
        previous = (
            SearchQuery.objects.filter(
                **mine, where=where, created_at__gte=timezone.now() - dt.timedelta(minutes=1)
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
        user=user if authenticated else None,
        where=where,
        results=results,
        top_score=float(top_score),
        session=session,
    )


def search_click_record(*, search_id: int, article: Article, user: Any, session: str = "") -> None:
    """The article a search led to (click-through): only the searcher's own search counts."""
    if getattr(user, "is_authenticated", False):
        mine = SearchQuery.objects.filter(user=user)
    elif session:
        mine = SearchQuery.objects.filter(session=session, user__isnull=True)
    else:
        return
    search = mine.filter(pk=search_id, clicked_article__isnull=True).first()
    if search is None:
        return
    if SearchQuery.objects.filter(pk=search.pk, clicked_article__isnull=True).update(
        clicked_article=article
    ):
        usage_bump(article_id=article.pk, source=_source(search.where), clicks_from_search=1)


@transaction.atomic
def article_feedback_record(
    *,
    actor: Any,
    article: Article,
    helpful: bool,
    comment: str = "",
    where: str = SearchQuery.Where.AGENT,
    session: str = "",
) -> ArticleFeedback:
    """A "did this help?" vote; one per user (or, for an anonymous portal visitor, one per
    session) and article: a new vote replaces the old one. Staff vote on the knowledge pages
    (knowledge.give_feedback); on the portal anyone may vote on a live public article.
    Anonymous votes are not audited (like views); staff votes are."""
    anonymous = not getattr(actor, "is_authenticated", False)
    if where != SearchQuery.Where.PORTAL:
        require_perm(actor, "knowledge.give_feedback")
    elif article.audience != Article.Audience.PUBLIC:
        raise ValidationError({"article": "Only public articles take votes on the portal."})
    if anonymous and (where != SearchQuery.Where.PORTAL or not session):
        raise ValidationError({"session": "An anonymous vote needs a portal session."})
    mine = (
        ArticleFeedback.objects.filter(article=article, session=session, user__isnull=True)
        if anonymous
        else ArticleFeedback.objects.filter(article=article, user=actor)
    )
    source = _source(where)
    previous = mine.first()
    if previous is not None:
        if previous.helpful == helpful:
            return previous
        old = "helpful_yes" if previous.helpful else "helpful_no"
        Article.objects.filter(pk=article.pk, **{f"{old}__gt": 0}).update(**{old: F(old) - 1})
        usage_bump(
            article_id=article.pk,
            source=_source(previous.where),
            day=timezone.localdate(previous.created_at),
            **{old: -1},
        )
        previous.delete()
    vote = ArticleFeedback.objects.create(
        article=article,
        user=None if anonymous else actor,
        session=session if anonymous else "",
        helpful=helpful,
        comment=comment.strip()[:500],
        where=where,
    )
    counter = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    usage_bump(
        article_id=article.pk,
        source=source,
        helpful_yes=1 if helpful else 0,
        helpful_no=0 if helpful else 1,
    )
    if anonymous:
        return vote
    audit_record(
        actor=actor,
        action="create",
        obj=vote,
        summary=f"{'helpful' if helpful else 'not helpful'}: {article.title[:150]}",
    )
    return vote
