"""Usage over time: daily counters from views, clicks and votes; weekly lines; deflection from
portal visits; the Usage page with its charts and filters; the demo's backfilled history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ckm.knowledge import selectors, services
from ckm.knowledge.models import ArticleUsageDaily, PortalVisit, SearchQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(editor):
    def make(title: str, category: str, audience: str = "public"):
        article = services.article_create(
            actor=editor,
            title=title,
            body_source=f"{title} explained.",
            category=category,
            audience=audience,
        )
        return services.article_publish(actor=editor, article=article)

    return make


def test_views_clicks_and_votes_increment_the_day(editor, agent, published) -> None:
    card = published("Lost card", "Cards")
    services.article_view_record(article=card)
    services.article_view_record(article=card)
    search = services.search_query_record(user=agent, query="lost card", results=1, top_score=0.8)
    services.search_click_record(search_id=search.pk, article=card, user=agent)
    services.search_click_record(search_id=search.pk, article=card, user=agent)  # once only
    services.article_feedback_record(actor=agent, article=card, helpful=True)
    services.article_feedback_record(actor=agent, article=card, helpful=False)  # replaces it
    row = ArticleUsageDaily.objects.get(article=card, source="agent", day=timezone.localdate())
    assert (row.views, row.clicks_from_search, row.helpful_yes, row.helpful_no) == (2, 1, 0, 1)
    assert not ArticleUsageDaily.objects.filter(source="portal").exists()


def test_portal_deflection_per_visit_and_per_article(published) -> None:
    card = published("Lost card", "Cards")
    fees = published("Fees abroad", "Payments")
    # three visitors: two read the card article, one of them then wrote; one only searched
    services.article_view_record(article=card, where="portal", session="a")
    services.article_view_record(article=card, where="portal", session="b")
    services.article_view_record(article=fees, where="portal", session="b")
    services.search_query_record(user=None, query="fees", where="portal", results=1, session="c")
    services.portal_contact_record(session="b", subject="Card", text="Still stuck with my card")
    services.portal_contact_record(session="b", subject="Card", text="again")  # counted once
    assert PortalVisit.objects.filter(contacted=True).count() == 1
    usage = ArticleUsageDaily.objects.get(article=card, source="portal")
    assert (usage.sessions, usage.contacts) == (2, 1)


def test_usage_weekly_lines(editor, published) -> None:
    card = published("Lost card", "Cards / Lost and stolen")
    fees = published("Fees abroad", "Payments")
    today = timezone.localdate()
    last_week = today - dt.timedelta(days=7)
    services.usage_bump(
        article_id=card.pk,
        source="portal",
        day=last_week,
        views=10,
        helpful_yes=3,
        helpful_no=1,
        sessions=4,
        contacts=1,
    )
    services.usage_bump(article_id=fees.pk, source="agent", views=5)
    for n, results in enumerate([3, 0, 2, 0]):
        services.search_query_record(
            user=None, query=f"question {n}", where="portal", results=results, session=f"s{n}"
        )
    search = SearchQuery.objects.filter(results=3).get()
    services.search_click_record(search_id=search.pk, article=fees, user=None, session="s0")
    services.portal_contact_record(session="s1", subject="x", text="no answer found")

    rows = selectors.usage_weekly(user=editor, weeks=4)
    assert len(rows) == 4 and rows[-1].week <= today < rows[-1].week + dt.timedelta(days=7)
    this, before = rows[-1], rows[-2]
    assert before.views == 10 and before.helpfulness == 0.75
    assert this.views == 5  # a click is not a view
    assert this.searches == 4 and this.zero_result_share == 0.5 and this.click_through == 0.25
    assert this.deflection == 0.75  # 4 visits searched, 1 wrote

    cards = selectors.usage_weekly(user=editor, weeks=4, category_id=card.category.parent_id)
    assert cards[-2].views == 10 and cards[-2].deflection == 0.75 and cards[-1].views == 0
    assert cards[-1].click_through == 0  # the one click went to a payments article
    one = selectors.usage_weekly(user=editor, weeks=4, article_id=fees.pk)
    assert one[-1].click_through == 0.25 and one[-2].views == 0
    assert selectors.usage_weekly(user=AnonymousLike(), weeks=4) == []


class AnonymousLike:
    is_authenticated = False

    def has_perm(self, perm: str) -> bool:
        return False


def test_usage_page_renders_charts_and_filters(login, editor, agent, published) -> None:
    card = published("Lost card", "Cards")
    services.usage_bump(
        article_id=card.pk, source="portal", views=7, helpful_yes=2, sessions=3, contacts=1
    )
    services.search_query_record(
        user=None, query="lost card", where="portal", results=1, session="v"
    )
    last_week = timezone.localdate() - dt.timedelta(days=7)
    services.usage_bump(article_id=card.pk, source="portal", day=last_week, views=2, helpful_yes=1)
    client = login(editor)
    page = client.get("/knowledge/usage/").content.decode()
    assert page.count("<svg") == 2 and "Views and searches per week" in page
    assert "Lost card" in page and "Zero results" in page
    by_category = client.get("/knowledge/usage/", {"category": card.category_id}).content.decode()
    assert "Zero results" not in by_category and "<svg" in by_category
    by_article = client.get("/knowledge/usage/", {"article": card.pk, "weeks": 4}).content.decode()
    assert 'id="usage-scope"' in by_article and "67 %" in by_article  # 1 of 3 wrote
    assert "Shares per week" in by_article
    assert client.get("/knowledge/usage/", {"article": 999999}).status_code == 404
    overview = client.get("/knowledge/overview/").content.decode()
    assert "/knowledge/usage/" in overview
    assert login(agent).get("/knowledge/usage/").status_code == 403


def test_usage_page_without_history_says_so(login, editor) -> None:
    page = login(editor).get("/knowledge/usage/").content.decode()
    assert "No usage recorded in this period yet." in page


def test_demo_backfill_is_plausible_and_idempotent(editor, published) -> None:
    from ckm.knowledge.services.demo import usage_history_backfill

    published("Lost card", "Cards")
    published("Card checklist", "Cards", audience="internal")
    written = usage_history_backfill(weeks=4)
    assert written > 20
    assert usage_history_backfill(weeks=4) == 0
    rows = selectors.usage_weekly(user=editor, weeks=5)
    assert sum(r.views for r in rows) > 0 and sum(r.searches for r in rows) > 0
    rates = [r.deflection for r in rows if r.deflection is not None]
    assert rates and all(0 <= d <= 1 for d in rates)
    assert not ArticleUsageDaily.objects.filter(
        source="portal", article__audience="internal"
    ).exists()


def test_demo_backfill_brings_the_articles_counters_along(editor, published) -> None:
    """The editors' overview reads each article's counters: after the demo's history they must
    not say 0 views and 0 votes next to a usage chart of thousands."""
    from django.db.models import Sum

    from ckm.knowledge.services.demo import usage_history_backfill

    article = published("Lost card", "Cards")
    usage_history_backfill(weeks=4)
    history = ArticleUsageDaily.objects.filter(article=article).aggregate(
        views=Sum("views"), yes=Sum("helpful_yes"), no=Sum("helpful_no")
    )
    article.refresh_from_db()
    assert history["views"] > 0
    assert (article.views, article.helpful_yes, article.helpful_no) == (
        history["views"],
        history["yes"],
        history["no"],
    )
    row = selectors.overview_row(selectors.editors_overview_rows(user=editor).get(pk=article.pk))
    assert row.article.views == history["views"]


def test_searches_per_week_count_whole_weeks_by_their_monday(editor) -> None:
    import datetime as dt

    from django.utils import timezone

    from ckm.knowledge.models import SearchQuery

    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    last_week = timezone.make_aware(dt.datetime.combine(monday - dt.timedelta(days=3), dt.time(12)))
    for at in (last_week, last_week, timezone.now()):
        row = SearchQuery.objects.create(query="fees", results=1, top_score=0.9)
        SearchQuery.objects.filter(pk=row.pk).update(created_at=at)
    stats = selectors.search_stats(user=editor)
    # the running week is left out: its few days would read as a drop
    assert [(r["week"], r["searches"]) for r in stats] == [(monday - dt.timedelta(days=7), 2)]
