"""The knowledge pages: permissions, search, article page, editor pages, overview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ckm.knowledge import services
from ckm.knowledge.models import Article, ArticleFeedback, SearchQuery
from ckm.knowledge.tests.docx import docx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(editor):
    article = services.article_create(
        actor=editor,
        title="Lost or stolen card",
        body_source="Block the card **at once**.",
        category="Cards / Lost",
        audience="public",
    )
    return services.article_publish(actor=editor, article=article)


def test_pages_need_login_and_permission(client, login, make_user, published) -> None:
    response = client.get("/knowledge/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    agent = make_user("agent", username="a1")
    login(agent)
    assert client.get("/knowledge/overview/").status_code == 403
    assert client.get("/knowledge/new/").status_code == 403
    assert client.post(f"/knowledge/a/{published.slug}/archive/").status_code == 403


def test_agent_searches_and_opens_an_article_with_breadcrumbs(login, agent, published) -> None:
    client = login(agent)
    response = client.get("/knowledge/", {"q": "blocking card"})
    assert response.status_code == 200
    assert "Lost or stolen card" in response.content.decode()
    search = SearchQuery.objects.get()
    assert search.results == 1 and search.user == agent
    page = client.get(f"/knowledge/a/{published.slug}/?s={search.pk}").content.decode()
    assert '<nav class="small muted" aria-label="Breadcrumb">' in page and ">Cards</a>" in page
    assert "<strong>at once</strong>" in page
    published.refresh_from_db()
    assert published.views == 1
    search.refresh_from_db()
    assert search.clicked_article == published


def test_htmx_search_returns_the_results_fragment(login, agent, published) -> None:
    response = login(agent).get("/knowledge/", {"q": "card"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "Lost or stolen card" in body


def test_agent_votes_helpful_with_htmx(login, agent, published) -> None:
    response = login(agent).post(
        f"/knowledge/a/{published.slug}/feedback/", {"helpful": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert ArticleFeedback.objects.get().helpful is True


def test_agents_cannot_open_drafts(login, agent, editor) -> None:
    draft = services.article_create(actor=editor, title="Secret draft")
    assert login(agent).get(f"/knowledge/a/{draft.slug}/").status_code == 404


def test_editor_writes_previews_publishes_and_restores(login, editor) -> None:
    client = login(editor)
    preview = client.post(
        "/knowledge/preview/", {"body_source": "# Hi\n<script>x</script>", "source_format": "md"}
    )
    assert "<h2>Hi</h2>" in preview.content.decode() and "<script" not in preview.content.decode()
    response = client.post(
        "/knowledge/new/",
        {
            "title": "Card fees abroad",
            "summary": "",
            "category": "Cards / Fees",
            "audience": "public",
            "tags": "fees, abroad",
            "source_format": "md",
            "body_source": "One percent per payment.",
        },
    )
    article = Article.objects.get(title="Card fees abroad")
    assert response.status_code == 302 and response["Location"] == f"/knowledge/a/{article.slug}/"
    client.post(
        f"/knowledge/a/{article.slug}/edit/",
        {
            "title": "Card fees abroad",
            "audience": "public",
            "source_format": "md",
            "body_source": "Two percent per payment.",
            "note": "new fee",
            "tags": "fees, abroad",
        },
    )
    assert (
        'data-testid="revision-note"'
        not in client.get(f"/knowledge/a/{article.slug}/edit/").content.decode()
    )
    client.post(f"/knowledge/a/{article.slug}/publish/", {})
    article.refresh_from_db()
    assert article.status == "published" and article.tags == ["fees", "abroad"]
    versions = client.get(f"/knowledge/a/{article.slug}/versions/").content.decode()
    assert "One percent" in versions and "Two percent" in versions
    # restoring on the published article prepares a revision; the live text stays
    response = client.post(f"/knowledge/a/{article.slug}/versions/1/restore/")
    assert response["Location"] == f"/knowledge/a/{article.slug}/"
    article.refresh_from_db()
    assert article.body_source == "Two percent per payment." and article.version_number == 3
    assert article.revision_number == 4
    page = client.get(f"/knowledge/a/{article.slug}/").content.decode()
    assert 'data-testid="revision-waiting"' in page and "Restored version 1" in page
    assert "stays live until an editor publishes it" in page


def test_a_published_article_changes_by_a_revision_that_an_editor_publishes(login, editor) -> None:
    from ckm.knowledge import services

    article = services.article_create(
        actor=editor, title="Card fees abroad", body_source="One percent.", audience="public"
    )
    article = services.article_publish(actor=editor, article=article)
    client = login(editor)
    edit = client.get(f"/knowledge/a/{article.slug}/edit/").content.decode()
    assert 'data-testid="revision-note"' in edit and "customers' portal" in edit
    form = {
        "title": "Card fees abroad",
        "audience": "public",
        "source_format": "md",
        "body_source": "Two percent from January.",
        "note": "new fee",
        "tags": "fees",
    }
    client.post(f"/knowledge/a/{article.slug}/edit/", form)
    article.refresh_from_db()
    # still live as it was; the change waits as a revision
    assert article.body_source == "One percent." and article.revision_number == 3
    page = client.get(f"/knowledge/a/{article.slug}/").content.decode()
    assert 'data-testid="revision-waiting"' in page and "One percent." in page
    assert "Two percent" in client.get(f"/knowledge/a/{article.slug}/edit/").content.decode()
    assert "Two percent" not in client.get("/knowledge/", {"q": "card fees"}).content.decode()
    assert "revision 3" in client.get("/").content.decode()  # waiting on the editor's start page
    client.post(f"/knowledge/a/{article.slug}/publish/", {})
    article.refresh_from_db()
    assert article.body_source == "Two percent from January." and article.revision_number is None
    assert article.tags == ["fees"] and article.status == "published"
    # a second revision, discarded: nothing changes
    client.post(f"/knowledge/a/{article.slug}/edit/", {**form, "body_source": "Three."})
    client.post(f"/knowledge/a/{article.slug}/discard/", {})
    article.refresh_from_db()
    assert article.body_source == "Two percent from January." and article.revision_number is None
    # an editor may also change the live article at once
    client.post(
        f"/knowledge/a/{article.slug}/edit/", {**form, "body_source": "Now.", "publish_now": "1"}
    )
    article.refresh_from_db()
    assert article.body_source == "Now."


def test_editor_uploads_a_docx(login, editor) -> None:
    data = docx_bytes(
        title="Changing your PIN",
        paragraphs=["At any cash machine."],
        hidden="<script>alert(1)</script>",
    )
    response = login(editor).post(
        "/knowledge/upload/",
        {
            "file": SimpleUploadedFile("pin.docx", data),
            "title": "Changing your PIN",
            "audience": "public",
            "category": "Cards",
        },
    )
    article = Article.objects.get(title="Changing your PIN")
    assert response.status_code == 302
    assert article.source_format == "docx" and "<script" not in article.body_html


def test_upload_refuses_other_files(login, editor) -> None:
    response = login(editor).post(
        "/knowledge/upload/", {"file": SimpleUploadedFile("x.pdf", b"%PDF"), "audience": "public"}
    )
    assert response.status_code == 200 and "Word document" in response.content.decode()


def test_overview_lists_articles_and_gaps(login, editor, agent, published, client) -> None:
    for _ in range(3):
        services.search_query_record(user=None, query="crypto wallet", results=0)
    services.search_query_record(
        user=None, query="how to close my account", where="message", results=0
    )
    page = login(editor).get("/knowledge/overview/").content.decode()
    assert "Lost or stolen card" in page
    assert "crypto wallet" in page and "how to close my account" in page
    # the chart counts whole weeks: this week's searches wait for Sunday
    assert "No whole week of searches yet" in page
    SearchQuery.objects.update(created_at=timezone.now() - dt.timedelta(days=8))
    assert "<svg" in login(editor).get("/knowledge/overview/").content.decode()


def test_the_overview_sorts_in_the_database_and_counts_the_answers(login, editor) -> None:
    import re

    from ckm.knowledge.models import ArticleEvidence

    titles = ["Alpha fees", "Beta cards", "Gamma loans"]
    articles = [
        services.article_publish(
            actor=editor,
            article=services.article_create(actor=editor, title=t, body_source="Text."),
        )
        for t in titles
    ]
    for n, article in zip((1, 3, 0), articles, strict=True):
        for i in range(n):
            ArticleEvidence.objects.create(
                article=article, text=f"message {i}", source="import", source_id=f"{article.pk}-{i}"
            )
    client = login(editor)

    def order(query: str) -> list[str]:
        page = client.get(f"/knowledge/overview/{query}").content.decode()
        table = page[page.index('id="article-table"') :]
        return [t for t in re.findall(r">([A-Z][a-z]+ [a-z]+)</a>", table) if t in titles]

    assert order("?sort=-answers") == ["Beta cards", "Alpha fees", "Gamma loans"]
    assert order("?sort=title") == titles and order("?sort=-title") == titles[::-1]
    assert order("?sort=nonsense")  # an unknown sort is the default order, not an error
    page = client.get("/knowledge/overview/?sort=-answers&status=published").content.decode()
    assert 'aria-sort="descending"' in page and 'name="sort" value="-answers"' in page
    assert "Published" in page and ">3</td>" in page


def test_overview_shows_deflection_and_click_through(login, editor) -> None:
    for n in range(4):
        services.search_query_record(
            user=None, query="lost card", where="portal", results=1, top_score=0.9, session=f"s{n}"
        )
    services.portal_contact_record(session="s3", subject="Card", text="close account please")
    page = login(editor).get("/knowledge/overview/").content.decode()
    assert "75 %" in page  # 1 of 4 visits that searched wrote to us
    assert "1 of 4 visits wrote to us" in page


def test_list_pages_do_not_grow_queries_with_articles(
    login, editor, django_assert_max_num_queries
) -> None:
    from ckm.knowledge.tests.factories import ArticleFactory, CategoryFactory

    category = CategoryFactory(name="Cards")
    for i in range(30):
        ArticleFactory(
            title=f"Card topic {i}", category=category, owner=editor, body_source="card block"
        )
    client = login(editor)
    client.get("/knowledge/overview/")  # warm caches (content types, sessions)
    with django_assert_max_num_queries(25):
        assert client.get("/knowledge/overview/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get("/knowledge/", {"q": "card"}).status_code == 200


def test_versions_page_names_statuses_and_asks_before_restoring(login, editor, published) -> None:
    services.article_update(actor=editor, article=published, body_source="Call us.")
    article = services.article_reopen(actor=editor, article=published)
    article = services.article_submit(actor=editor, article=article)
    client = login(editor)
    page = client.get(f"/knowledge/a/{article.slug}/versions/").content.decode()
    assert "<td>In review</td>" in page and "<td>Published</td>" in page
    assert "<td>in_review</td>" not in page
    assert page.count("hx-confirm=") == article.versions.count() - 1
    # the confirmed (htmx) restore of a draft opens the versions page again
    response = client.post(
        f"/knowledge/a/{article.slug}/versions/1/restore/", HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == f"/knowledge/a/{article.slug}/versions/"
    article.refresh_from_db()
    assert article.body_source == "Block the card **at once**."


def test_a_next_review_before_today_is_refused_at_the_field_keeping_the_text(login, editor) -> None:
    client = login(editor)
    form = {
        "title": "Card fees abroad",
        "audience": "internal",
        "source_format": "md",
        "body_source": "One percent per payment.",
        "review_at": "1999-01-01",
    }
    response = client.post("/knowledge/new/", form)
    assert response.status_code == 200 and not Article.objects.exists()
    errors = response.context["form"].errors
    assert "review_at" in errors and "before today" in errors["review_at"][0]
    page = response.content.decode()
    assert 'value="1999-01-01"' in page and "One percent per payment." in page


def test_the_overview_offers_writing_and_upload_once(login, editor) -> None:
    page = login(editor).get("/knowledge/overview/").content.decode()
    assert page.count('href="/knowledge/new/"') == 1
    assert page.count('href="/knowledge/upload/"') == 1


def test_a_revision_without_a_body_is_refused_at_the_body(login, editor, published) -> None:
    form = {"title": published.title, "audience": "public", "source_format": "md"}
    response = login(editor).post(f"/knowledge/a/{published.slug}/edit/", form)
    assert response.status_code == 200
    assert "Write the article" in response.content.decode().split('id="id_body_source"')[1]
