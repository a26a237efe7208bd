"""The demo seed: templates, the imported articles published, idempotent."""

from __future__ import annotations

import pytest

from ckm.knowledge.models import Article, ArticleTemplate
from ckm.knowledge.services.demo import knowledge_seed_demo
from ckm.knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_seed_publishes_imported_drafts_and_adds_templates(admin_user, editor, monkeypatch) -> None:
    from ckm.knowledge.services import demo

    monkeypatch.setattr(demo, "articles_embed", lambda: 0)  # vectors: covered by the search tests
    imported = ArticleFactory(external_id="KB-001", status="draft", published_at=None)
    own = ArticleFactory(status="draft", published_at=None)
    result = knowledge_seed_demo(actor=admin_user)
    assert result["published"] == 1
    imported.refresh_from_db()
    assert imported.status == "published" and imported.owner == editor
    assert Article.objects.get(pk=own.pk).status == "draft"
    assert ArticleTemplate.objects.count() == 4
    assert result["usage_days"] > 0  # the charts have a history to show
    again = knowledge_seed_demo(actor=admin_user)
    assert again["published"] == 0 and again["usage_days"] == 0


def test_demo_searches_read_as_people_type_them() -> None:
    import numpy as np

    from ckm.knowledge.services.demo import typed_query

    rng = np.random.default_rng(3)
    title = "When will my new card arrive, and how do I activate it?"
    for _ in range(20):
        query = typed_query(title, rng)
        words = query.split()
        assert 2 <= len(words) <= 4
        assert set(words) <= {"new", "card", "arrive", "activate"}  # no filler words
        order = ["new", "card", "arrive", "activate"]
        assert words == sorted(words, key=order.index)  # in the title's order
    assert typed_query("Fees", rng) == "fees"
