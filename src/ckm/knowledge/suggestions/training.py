"""Training the suggestion model on the resolved history: gather live articles and the messages
they answered, fit (learner.py), save the artefact, register a new SuggestionModel version and make
it the active one. Debounced: without `force` it trains only when the history has grown by
CKM_SUGGESTIONS_RETRAIN_EVERY messages (default 20) or the set of live articles has changed."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from ckm.core.audit import audit_record
from ckm.knowledge.models import Article, ArticleEvidence, SuggestionModel
from ckm.knowledge.suggestions.learner import LearnerSettings, fit_suggester

logger = logging.getLogger(__name__)


def retrain_every() -> int:
    """How many new resolved messages make a retraining worth it."""
    return int(getattr(settings, "CKM_SUGGESTIONS_RETRAIN_EVERY", 20))


def auto_retrain() -> bool:
    """Whether linking an article queues a retraining (bulk loads switch it off and train once)."""
    return bool(getattr(settings, "CKM_SUGGESTIONS_AUTO_RETRAIN", True))


@dataclass
class TrainingData:
    texts: list[str]
    vectors: np.ndarray
    labels: np.ndarray
    article_ids: list[int]
    article_texts: list[str]
    article_vectors: np.ndarray

    @property
    def articles_hash(self) -> str:
        return hashlib.sha256(",".join(map(str, self.article_ids)).encode()).hexdigest()[:16]


def article_text(article: Article) -> str:
    """What the model reads of an article: title, summary, tags and the start of the body."""
    tags = " ".join(str(t) for t in (article.tags or []))
    return f"{article.title}. {article.summary} {tags}\n{article.body_text[:1000]}".strip()


def live_articles() -> list[Article]:
    from ckm.knowledge.selectors import live_q

    return list(
        Article.objects.filter(live_q())
        .only("id", "title", "summary", "tags", "body_text", "embedding")
        .order_by("pk")
    )


def evidence_count(article_ids: list[int] | None = None) -> int:
    rows = ArticleEvidence.objects.all()
    if article_ids is not None:
        rows = rows.filter(article_id__in=article_ids)
    return rows.count()


def training_data() -> TrainingData:
    """Live articles and every resolved message that points at one, with their vectors (computed
    here for any that have none yet)."""
    from ckm.knowledge import embeddings
    from ckm.knowledge.services import evidence_embed

    articles = live_articles()
    ids = [a.pk for a in articles]
    texts = [article_text(a) for a in articles]
    # the search index's vector of an article where it has one (same text, bar the tags)
    article_vectors = np.zeros((len(articles), embeddings.DIMENSIONS), dtype=np.float32)
    missing = [i for i, a in enumerate(articles) if not a.embedding]
    for i, a in enumerate(articles):
        if a.embedding:
            article_vectors[i] = embeddings.from_bytes(bytes(a.embedding))
    if missing:
        article_vectors[missing] = embeddings.embed([texts[i] for i in missing])
    evidence_embed()
    index = {pk: i for i, pk in enumerate(ids)}
    rows = list(
        ArticleEvidence.objects.filter(article_id__in=ids, embedding__isnull=False)
        .order_by("pk")
        .values_list("text", "embedding", "article_id")
    )
    vectors = embeddings.stack([bytes(r[1] or b"") for r in rows])
    return TrainingData(
        texts=[r[0] for r in rows],
        vectors=vectors,
        labels=np.array([index[r[2]] for r in rows], dtype=np.int64),
        article_ids=ids,
        article_texts=texts,
        article_vectors=np.asarray(article_vectors, dtype=np.float32),
    )


def needs_training(*, current: SuggestionModel | None) -> bool:
    """True when there is no model, the live articles changed, or enough new history arrived."""
    ids = [a.pk for a in live_articles()]
    if not ids:
        return False
    if current is None:
        return True
    articles_hash = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    if current.metrics.get("articles_hash") != articles_hash:
        return True
    return evidence_count(ids) - current.n_evidence >= retrain_every()


def _new_row(n_evidence: int, n_articles: int) -> SuggestionModel:
    for _ in range(5):
        version = (SuggestionModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        try:
            with transaction.atomic():
                return SuggestionModel.objects.create(
                    version=version, n_evidence=n_evidence, n_articles=n_articles
                )
        except IntegrityError:  # another worker took the number
            continue
    raise RuntimeError("could not number a new suggestion model")


def suggestion_model_train(
    *, actor: Any = None, force: bool = False, learner: LearnerSettings | None = None
) -> SuggestionModel | None:
    """Train, register and activate a new suggestion model; None when nothing changed enough
    (unless `force`) or there is no live article. A failed training is recorded, not raised."""
    from ckm.core.artifacts import artifact_save

    current = SuggestionModel.objects.filter(
        active=True, status=SuggestionModel.Status.READY
    ).first()
    if not force and not needs_training(current=current):
        return None
    data = training_data()
    if not data.article_ids:
        return None
    row = _new_row(len(data.texts), len(data.article_ids))
    try:
        model = fit_suggester(
            texts=data.texts,
            vectors=data.vectors,
            labels=data.labels,
            article_ids=data.article_ids,
            article_texts=data.article_texts,
            article_vectors=data.article_vectors,
            settings=learner,
        )
        key = artifact_save(model, kind="suggestions")
    except Exception as exc:
        logger.exception("suggestion training failed")
        row.status = SuggestionModel.Status.FAILED
        row.message = f"{type(exc).__name__}: {exc}"[:300]
        row.save(update_fields=["status", "message"])
        return row
    with transaction.atomic():
        SuggestionModel.objects.filter(active=True).exclude(pk=row.pk).update(active=False)
        row.status = SuggestionModel.Status.READY
        row.active = True
        row.artifact_path = key
        row.threshold = float(model.threshold)
        row.metrics = {**model.metrics, "articles_hash": data.articles_hash}
        row.message = f"{len(data.texts)} resolved messages, {len(data.article_ids)} articles" + (
            f", held-out top-1 {model.metrics['holdout_top1']:.1%}"
            if "holdout_top1" in model.metrics
            else ""
        )
        row.save()
        audit_record(
            actor=actor,
            action="train",
            obj=row,
            summary=f"suggestions v{row.version} trained and activated: {row.message}"[:300],
            after={
                "version": row.version,
                "n_evidence": row.n_evidence,
                "threshold": row.threshold,
            },
        )
    return row


def suggestion_retrain_request(*, actor: Any) -> None:
    """Queue a retraining now (the "retrain" button), whatever the history's growth."""
    from ckm.core.permissions import require_perm
    from ckm.knowledge.suggestions.tasks import suggestion_retrain

    require_perm(actor, "knowledge.change_article")
    transaction.on_commit(lambda: suggestion_retrain.enqueue(force=True))
