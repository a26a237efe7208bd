"""Article suggestions for a customer message, learned from the resolved history.

`article_suggest` embeds the message once, scores it with the active suggestion model (loaded
lazily from its artefact and cached per process; reloaded when another version becomes active)
and returns the articles the user may read, with a calibrated confidence and a reason - or
abstains when nothing fits. Before any model is trained it falls back to article search."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from ckm.knowledge.suggestions.learner import Prediction, Suggester

_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "model": None}
CANDIDATES = 20  # best-scored articles checked against what the user may read
# Below this calibrated chance an article listed under a better one is right less than once in
# twenty: on the agent's panel it is noise ("< 1 %") that makes the confident answer look unsure.
SUGGESTION_FLOOR = 0.05


@dataclass
class Suggestion:
    article: Any  # ckm.knowledge.models.Article
    confidence: float
    reason: str


@dataclass
class SuggestionResult:
    suggestions: list[Suggestion]
    abstained: bool
    model_version: str


def model_cache_clear() -> None:
    """Forget the loaded model (tests; a new version is picked up without this)."""
    with _cache_lock:
        _cache.update(key=None, model=None)


def active_model() -> tuple[Any, Suggester] | None:
    """The active SuggestionModel row and its fitted model, loaded once per process and version."""
    from ckm.core.artifacts import artifact_load
    from ckm.knowledge.models import SuggestionModel

    row = (
        SuggestionModel.objects.filter(active=True, status=SuggestionModel.Status.READY)
        .only("id", "version", "artifact_path", "threshold")
        .first()
    )
    if row is None or not row.artifact_path:
        return None
    key = (row.pk, row.artifact_path)
    with _cache_lock:
        if _cache["key"] != key:
            try:
                model = artifact_load(row.artifact_path)
            except (OSError, ValueError):
                return None  # the file is gone: suggest by search until the next training
            _cache.update(key=key, model=model)
        return row, _cache["model"]


def embed_message(text: str) -> np.ndarray:
    """The vector of one message (the shared model runs a single text on one thread)."""
    from ckm.knowledge.embeddings import embed

    return embed([text])[0]


def reason_for(model: Suggester, prediction: Prediction, index: int) -> str:
    """Why an article is suggested, in the agent's words (no other customer's text is shown)."""
    count = int(model.evidence_counts[index])
    nearest = float(prediction.nearest[index])
    similarity = float(prediction.article_similarity[index])
    if count and nearest >= 0.75:
        return f"very like a message it answered before ({count} resolved)"
    if count and nearest >= max(similarity, 0.5):
        return f"like messages it answered ({count} resolved)"
    if count:
        return f"learned from {count} resolved message{'s' if count != 1 else ''}"
    return "matches the article's text (no resolved messages yet)"


def rank(model: Suggester, text: str, vector: np.ndarray | None = None) -> Prediction:
    """Score one message against every article of the model."""
    if vector is None:
        vector = embed_message(text)
    with _one_blas_thread():
        return model.predict([text], np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]


def _one_blas_thread() -> Any:
    """One BLAS thread while scoring one message: threaded products of a single row wait for
    busy cores (measured 20x slower on a loaded two-core box), and requests run side by side."""
    controller = _cache.get("blas")
    if controller is None:
        from threadpoolctl import ThreadpoolController

        controller = _cache["blas"] = ThreadpoolController()
    return controller.limit(limits=1, user_api="blas")


def article_suggest(
    *,
    text: str,
    user: Any,
    limit: int = 3,
    audience: str | None = None,
    include_abstained: bool = False,
    min_confidence: float = 0.0,
) -> SuggestionResult:
    """The articles that answer this customer message best, among those the user may read;
    abstains (no suggestions) when the model is not confident. `include_abstained` returns the
    ranked suggestions even then (for evaluation and "show me anyway"). `min_confidence` leaves
    out the suggestions after the first that the model gives less chance (pages pass
    SUGGESTION_FLOOR); the first one always stays."""
    from ckm.knowledge.models import Article
    from ckm.knowledge.selectors import article_queryset, live_q

    text = (text or "").strip()
    if not text:
        return SuggestionResult(suggestions=[], abstained=True, model_version="")
    loaded = active_model()
    if loaded is None:
        return _search_fallback(text=text, user=user, limit=limit, audience=audience)
    row, model = loaded
    prediction = rank(model, text[:2000])
    order = np.argsort(-prediction.probabilities)[: max(CANDIDATES, limit)]
    wanted = [int(model.article_ids[i]) for i in order]
    visible = set(
        article_queryset(user=user, audience=audience)
        .filter(live_q(), pk__in=wanted)
        .values_list("pk", flat=True)
    )
    chosen = [i for i in order if int(model.article_ids[i]) in visible][:limit]
    articles = Article.objects.select_related("category").in_bulk(
        [int(model.article_ids[i]) for i in chosen]
    )
    suggestions = [
        Suggestion(
            article=articles[int(model.article_ids[i])],
            confidence=round(model.calibrated(float(prediction.probabilities[i])), 4),
            reason=reason_for(model, prediction, int(i)),
        )
        for i in chosen
        if int(model.article_ids[i]) in articles
    ]
    abstained = (
        not suggestions
        or model.abstains(prediction)
        or float(prediction.probabilities[chosen[0]]) < model.threshold
    )
    if abstained and not include_abstained:
        suggestions = []
    suggestions = suggestions[:1] + [s for s in suggestions[1:] if s.confidence >= min_confidence]
    return SuggestionResult(
        suggestions=suggestions, abstained=abstained, model_version=f"v{row.version}"
    )


def _search_fallback(*, text: str, user: Any, limit: int, audience: str | None) -> SuggestionResult:
    """No trained model yet: the hybrid search's best articles, marked as such."""
    from ckm.knowledge.selectors import article_search

    found = article_search(user=user, query=text[:300], audience=audience, limit=limit)
    suggestions = [
        Suggestion(
            article=hit.article,
            confidence=float(max(0.0, min(1.0, hit.cosine if hit.cosine is not None else 0.5))),
            reason="search match (suggestions have not learned yet)",
        )
        for hit in found.hits[:limit]
    ]
    return SuggestionResult(
        suggestions=suggestions, abstained=not suggestions, model_version="search"
    )
