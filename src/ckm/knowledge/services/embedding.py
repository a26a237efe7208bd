"""Article and evidence vectors: computed with the local sentence model when their text changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
from django.conf import settings
from django.db import transaction

from ckm.knowledge import embeddings
from ckm.knowledge.models import Article, ArticleEvidence


def article_embedding_text(article: Article) -> str:
    """What an article's vector is computed from: title, summary and the start of the body."""
    return f"{article.title}. {article.summary}\n{article.body_text[:1500]}"


# how the vectors are made from the text; a new recipe makes every stored vector stale (see
# articles_embed(outdated_only=True), which `ckm knowledge-schedule` runs)
EMBEDDING_RECIPE = "text|title"


def text_hash(text: str) -> str:
    """The embedded_hash of a text: the recipe and the SHA-256 of the text (64 characters)."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{EMBEDDING_RECIPE}:{digest[: 63 - len(EMBEDDING_RECIPE)]}"


def article_vectors(articles: Sequence[Article]) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors per article: of its whole text (what the suggestions learn from) and of
    its title (search adds the two; see search.search_matrix)."""
    if not articles:
        empty = np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
        return empty, empty
    texts = [article_embedding_text(a) for a in articles]
    both = embeddings.embed([*texts, *(a.title for a in articles)])
    return both[: len(articles)], both[len(articles) :]


def embed_on_save() -> bool:
    """Whether saving an article computes its vector in the background (on by default)."""
    return bool(getattr(settings, "CKM_KNOWLEDGE_EMBED_ON_SAVE", True))


def embed_after_commit(article_ids: Iterable[int]) -> None:
    """Queue the vectors of these articles after the transaction commits."""
    ids = list(article_ids)
    if not ids or not embed_on_save():
        return
    from ckm.knowledge.tasks import article_embed_task

    transaction.on_commit(lambda: article_embed_task.enqueue(article_ids=ids))


def articles_embed(*, article_ids: Iterable[int] | None = None, outdated_only: bool = False) -> int:
    """Compute the vectors of articles whose text changed since; returns how many were computed.
    With outdated_only: only those without a vector or made by an older recipe (a cheap query)."""
    articles = Article.objects.only("id", "title", "summary", "body_text", "embedded_hash")
    if article_ids is not None:
        articles = articles.filter(pk__in=list(article_ids))
    if outdated_only:
        articles = articles.exclude(embedded_hash__startswith=f"{EMBEDDING_RECIPE}:")
    stale: list[tuple[Article, str, str]] = []
    for article in articles.iterator(chunk_size=2000):
        text = article_embedding_text(article)
        digest = text_hash(text)
        if digest != article.embedded_hash:
            stale.append((article, text, digest))
    done = 0
    for start in range(0, len(stale), 512):
        chunk = stale[start : start + 512]
        texts, titles = article_vectors([a for a, _, _ in chunk])
        for (article, _, digest), text, title in zip(chunk, texts, titles, strict=True):
            Article.objects.filter(pk=article.pk).update(
                embedding=embeddings.to_bytes(text),
                title_embedding=embeddings.to_bytes(title),
                embedded_hash=digest,
            )
        done += len(chunk)
    if done:
        from ckm.knowledge.search import semantic_index_clear

        semantic_index_clear()
    return done


def evidence_embed(*, evidence_ids: Iterable[int] | None = None) -> int:
    """Compute the vectors of resolved messages that have none."""
    rows = ArticleEvidence.objects.filter(embedding__isnull=True)
    if evidence_ids is not None:
        rows = rows.filter(pk__in=list(evidence_ids))
    pending = list(rows.values_list("id", "text"))
    for start in range(0, len(pending), 512):
        chunk = pending[start : start + 512]
        vectors = embeddings.embed([t for _, t in chunk], cache=True)
        for (pk, _), vector in zip(chunk, vectors, strict=True):
            ArticleEvidence.objects.filter(pk=pk).update(embedding=embeddings.to_bytes(vector))
    return len(pending)
