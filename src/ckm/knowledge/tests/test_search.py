"""Search: FTS5 ranking and snippets, typo tolerance, filters, visibility, semantic fusion."""

from __future__ import annotations

import pytest
from django.db import connection

from ckm.customers.tests.factories import ProductFactory
from ckm.knowledge import search, selectors, services
from ckm.knowledge.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(editor):
    def add(title, body, category, audience="internal", publish=True, products=()):
        article = services.article_create(
            actor=editor,
            title=title,
            body_source=body,
            category=category,
            audience=audience,
            products=products,
        )
        return services.article_publish(actor=editor, article=article) if publish else article

    card = ProductFactory(name="Debit card")
    return {
        "lost": add(
            "Lost or stolen card",
            "Block your card at once in the app. Blocking is free.",
            "Cards / Lost",
            "public",
            products=[card.pk],
        ),
        "pin": add(
            "Changing your PIN",
            "You can change the PIN at any cash machine.",
            "Cards / PIN",
            "public",
        ),
        "mortgage": add(
            "Mortgage interest rates", "Fixed interest for ten years.", "Loans", "internal"
        ),
        "draft": add("Blocking draft", "Block things.", "Cards", publish=False),
        "card": card,
    }


def test_stemmed_match_ranks_title_first_with_highlighted_snippet(agent, library) -> None:
    found = selectors.article_search(user=agent, query="blocking cards", mode="lexical")
    assert [h.article.pk for h in found.hits][:1] == [library["lost"].pk]
    assert "<mark>" in found.hits[0].snippet
    assert library["draft"].pk not in [h.article.pk for h in found.hits]  # drafts are not live


def test_snippets_are_escaped(editor, agent) -> None:
    article = services.article_create(
        actor=editor, title="Escaping", body_source="Type `<b>block</b>` to block"
    )
    services.article_publish(actor=editor, article=article)
    hit = selectors.article_search(user=agent, query="block", mode="lexical").hits[0]
    # SQLite escapes the text; PostgreSQL's ts_headline drops tags: either way no markup gets out
    assert "<b>" not in hit.snippet and "<mark>block</mark>" in hit.snippet


def test_typos_are_corrected_from_the_vocabulary(agent, library) -> None:
    found = selectors.article_search(user=agent, query="mortgaeg intrest", mode="lexical")
    assert found.corrected or connection.vendor == "postgresql"  # PostgreSQL: title trigrams
    assert found.hits and found.hits[0].article.pk == library["mortgage"].pk


def test_filters_audience_category_product(agent, library) -> None:
    public = selectors.article_search(
        user=agent, query="card OR mortgage interest pin", audience="public", mode="lexical"
    )
    assert {h.article.audience for h in public.hits} == {"public"}
    cards = selectors.article_list(user=agent, filters=selectors.ArticleFilters())
    assert library["draft"] not in cards
    category = library["lost"].category.parent  # "Cards" includes its children
    in_cards = selectors.article_search(
        user=agent, query="card pin", category_id=category.pk, mode="lexical"
    )
    assert {h.article.pk for h in in_cards.hits} == {library["lost"].pk, library["pin"].pk}
    by_product = selectors.article_search(
        user=agent, query="card pin", product_id=library["card"].pk, mode="lexical"
    )
    assert [h.article.pk for h in by_product.hits] == [library["lost"].pk]


def test_raw_engine_query_finds_the_same_best_article(library) -> None:
    raw = search.pg_raw if connection.vendor == "postgresql" else search.sqlite_raw
    assert raw("blocking cards")[0] == library["lost"].pk


def test_fusion_adds_reciprocal_ranks() -> None:
    fused = search.fuse(
        [search.Hit(1, lexical_rank=1), search.Hit(2, lexical_rank=2)],
        [search.Hit(2, semantic_rank=1, cosine=0.8), search.Hit(3, semantic_rank=2, cosine=0.5)],
    )
    assert [h.article_id for h in fused] == [2, 1, 3]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


def test_edit_distance_counts_swaps_once() -> None:
    assert search.edit_distance("intrest", "interest") == 1
    assert search.edit_distance("mortgaeg", "mortgage") == 1
    assert search.edit_distance("card", "zebra", limit=2) == 3


def test_semantic_search_finds_a_paraphrase(with_embeddings, agent, library) -> None:
    services.articles_embed()  # what the background task does after the commit
    query = "a thief took my wallet yesterday"
    found = selectors.article_search(user=agent, query=query)
    assert found.hits[0].article.pk == library["lost"].pk
    assert found.hits[0].cosine and found.top_score == found.hits[0].cosine
    public = selectors.article_search(
        user=agent, query="fixed interest for my home loan", audience="public"
    )
    assert library["mortgage"].pk not in [h.article.pk for h in public.hits]


def test_search_adds_the_title_vector_and_an_older_recipe_is_redone(
    with_embeddings, library, capsys
) -> None:
    import numpy as np
    from django.core.management import call_command

    from ckm.knowledge import embeddings
    from ckm.knowledge.services.embedding import EMBEDDING_RECIPE, article_embedding_text

    services.articles_embed()
    lost = Article.objects.get(pk=library["lost"].pk)
    text, title = embeddings.embed([article_embedding_text(lost), lost.title])
    # the stored text vector is the text's alone: the suggestions learn from it
    assert np.allclose(embeddings.from_bytes(bytes(lost.embedding)), text, atol=1e-5)
    assert np.allclose(embeddings.from_bytes(bytes(lost.title_embedding)), title, atol=1e-5)
    searched = search.search_matrix([bytes(lost.embedding)], [bytes(lost.title_embedding)])[0]
    assert searched @ title > text @ title and np.linalg.norm(searched) == pytest.approx(1.0)
    # an article without a title vector yet is searched by its text vector
    assert np.allclose(search.search_matrix([bytes(lost.embedding)], [b""])[0], text)
    assert lost.embedded_hash.startswith(f"{EMBEDDING_RECIPE}:") and len(lost.embedded_hash) <= 64
    # vectors made by an older recipe (same text) are computed again by the scheduled command
    Article.objects.filter(pk=lost.pk).update(title_embedding=None, embedded_hash="0" * 64)
    call_command("knowledge-schedule")
    assert "computed 1 article vectors" in capsys.readouterr().out
    lost.refresh_from_db()
    assert np.allclose(embeddings.from_bytes(bytes(lost.title_embedding)), title, atol=1e-5)
    call_command("knowledge-schedule")
    assert "article vectors" not in capsys.readouterr().out


def test_only_portal_users_are_limited_to_public_articles(make_user, library, settings) -> None:
    settings.CKM_ROLE_PERMISSIONS = {"product_manager": ["knowledge.use_portal"]}
    customer_like = make_user("product_manager", username="portal")
    found = selectors.article_search(
        user=customer_like, query="card pin mortgage interest", mode="lexical"
    )
    assert found.hits and {h.article.audience for h in found.hits} == {"public"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored vector")
def test_postgresql_ranks_by_the_stored_vector_which_follows_every_edit(editor, agent) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_generated FROM information_schema.columns "
            "WHERE table_name = 'knowledge_article' AND column_name = 'search_vector'"
        )
        assert cursor.fetchone() == ("ALWAYS",)
    article = services.article_create(
        actor=editor, title="Standing orders", body_source="Set one up in the app.", category="Pay"
    )
    services.article_publish(actor=editor, article=article)
    assert not selectors.article_search(user=agent, query="quarterly", mode="lexical").hits
    services.article_update(
        actor=editor, article=article, body_source="A quarterly standing order is possible."
    )
    [hit] = selectors.article_search(user=agent, query="quarterly", mode="lexical").hits
    assert hit.article.pk == article.pk
