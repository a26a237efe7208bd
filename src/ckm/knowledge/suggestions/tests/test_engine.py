"""The suggestion engine learns from resolved messages, abstains when nothing fits, and only
suggests what the user may read."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ckm.knowledge.models import Article, SuggestionModel
from ckm.knowledge.suggestions.engine import article_suggest
from ckm.knowledge.suggestions.learner import LearnerSettings, fit_suggester

pytestmark = pytest.mark.django_db


def test_a_new_message_like_the_history_ranks_its_article_first(trained: Any, agent: Any) -> None:
    result = article_suggest(text="my card still hasn't come, it's been ages", user=agent)
    assert not result.abstained
    assert result.model_version == f"v{trained.version}"
    assert result.suggestions[0].article.title == "Card delivery"
    assert 0.0 <= result.suggestions[0].confidence <= 1.0
    assert "resolved" in result.suggestions[0].reason

    result = article_suggest(text="I can't remember my password to sign in", user=agent)
    assert result.suggestions[0].article.title == "Reset your password"


def test_learns_from_evidence_not_from_the_article_title(desk: dict[str, Any], agent: Any) -> None:
    """A message with no word of the article's title is answered because similar messages were."""
    from ckm.knowledge import services
    from ckm.knowledge.suggestions.training import suggestion_model_train

    closing = desk["Closing an account"]
    for m, text in enumerate(
        ["I'm moving to another bank, goodbye", "I'm moving to a different bank for good"]
    ):
        services.article_link_resolution(
            actor=agent, article=closing, text=text, source="import", source_id=f"move-{m}"
        )
    suggestion_model_train(force=True)
    result = article_suggest(text="moving to another bank", user=agent, include_abstained=True)
    assert result.suggestions[0].article == closing


@pytest.mark.parametrize(
    "text", ["qwxz vbnmpl trrrk zzyx", "What will the weather be like in Lisbon on Saturday?"]
)
def test_abstains_on_gibberish_and_out_of_scope(trained: Any, agent: Any, text: str) -> None:
    result = article_suggest(text=text, user=agent)
    assert result.abstained
    assert result.suggestions == []
    shown = article_suggest(text=text, user=agent, include_abstained=True)
    assert shown.abstained and shown.suggestions  # "show me anyway" still ranks


def test_suggests_only_live_articles_the_user_may_read(
    trained: Any, desk: dict[str, Any], agent: Any
) -> None:
    card = desk["Card delivery"]
    Article.objects.filter(pk=card.pk).update(status=Article.Status.ARCHIVED)
    result = article_suggest(text="my new card has not arrived", user=agent, include_abstained=True)
    assert card not in [s.article for s in result.suggestions]
    public = article_suggest(
        text="I forgot my password", user=agent, audience=Article.Audience.PUBLIC
    )
    assert public.suggestions == []  # every article here is internal


def test_falls_back_to_search_before_any_training(desk: dict[str, Any], agent: Any) -> None:
    assert not SuggestionModel.objects.exists()
    result = article_suggest(text="exchange rates", user=agent)
    assert result.model_version == "search"


def test_learner_tunes_on_a_held_out_split_and_calibrates() -> None:
    """Pure learner: two well-separated clusters in vector space plus words."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 384)).astype(np.float32)
    texts, vectors, labels = [], [], []
    for label, words in enumerate(["card arrive post delivery", "password login reset locked"]):
        for i in range(60):
            v = centres[label] + 0.3 * rng.normal(size=384)
            vectors.append(v / np.linalg.norm(v))
            texts.append(f"{words.split()[i % 4]} {words.split()[(i + 1) % 4]} number {i}")
            labels.append(label)
    article_vectors = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    model = fit_suggester(
        texts=texts,
        vectors=np.array(vectors, dtype=np.float32),
        labels=np.array(labels),
        article_ids=[11, 12],
        article_texts=["Card delivery", "Password reset"],
        article_vectors=article_vectors,
        settings=LearnerSettings(min_holdout=10),
    )
    assert model.metrics["n_holdout"] >= 20
    assert model.metrics["holdout_top1"] == 1.0
    assert 0.0 < model.threshold <= 1.0
    assert sum(model.weights) == pytest.approx(1.0)
    assert model.calibrated(1.0) == pytest.approx(1.0)


def test_pages_leave_out_unlikely_suggestions_under_a_confident_one(
    trained: Any, agent: Any
) -> None:
    from ckm.knowledge.suggestions.engine import SUGGESTION_FLOOR
    from ckm.knowledge.suggestions.panel import message_suggestions

    text = "my card still hasn't come, it's been ages"
    everything = article_suggest(text=text, user=agent, limit=3)
    assert any(s.confidence < SUGGESTION_FLOOR for s in everything.suggestions[1:])
    panel = message_suggestions(user=agent, text=text)
    assert panel is not None
    shown = panel["result"].suggestions
    assert shown[0].article.title == "Card delivery"
    assert all(s.confidence >= SUGGESTION_FLOOR for s in shown[1:])
    assert len(shown) < len(everything.suggestions)


def test_the_first_suggestion_stays_whatever_the_floor(trained: Any, agent: Any) -> None:
    result = article_suggest(text="I forgot my password", user=agent, min_confidence=1.01)
    assert not result.abstained
    assert [s.article.title for s in result.suggestions] == ["Reset your password"]
