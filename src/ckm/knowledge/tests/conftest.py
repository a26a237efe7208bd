"""Fixtures of the knowledge tests. Saving an article computes its vector in the background; the
tests that are not about semantic search switch that off so they do not load the sentence model."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_embedding_on_save(settings: Any, request: Any) -> None:
    if "with_embeddings" not in request.fixturenames:
        settings.CKM_KNOWLEDGE_EMBED_ON_SAVE = False


@pytest.fixture
def with_embeddings(settings: Any) -> None:
    """Articles get their vectors when saved (loads the sentence model once per process)."""
    settings.CKM_KNOWLEDGE_EMBED_ON_SAVE = True


@pytest.fixture(autouse=True)
def _fresh_search_caches() -> Any:
    from ckm.knowledge.search import semantic_index_clear, vocabulary_clear

    semantic_index_clear()
    vocabulary_clear()
    yield
    semantic_index_clear()
    vocabulary_clear()
