"""The topic engine on its own (no database): clusters, the other bucket, labels, assignment."""

from __future__ import annotations

import numpy as np
import pytest

from ckm.feedback.topics import (
    OTHER,
    discover_topics,
    topic_assign,
    topic_keywords,
    topic_labels,
)


def _blobs(rng: np.random.Generator, centres: int, per: int, dim: int = 16) -> np.ndarray:
    points = []
    for c in range(centres):
        centre = np.zeros(dim)
        centre[c] = 1.0
        points.append(centre + 0.05 * rng.standard_normal((per, dim)))
    return np.vstack(points)


def test_clusters_follow_the_vectors_and_names_follow_the_words() -> None:
    rng = np.random.default_rng(0)
    vectors = _blobs(rng, 3, 20)
    words = ["refund fee charged", "card lost blocked", "mortgage rate offer"]
    texts = [f"{words[i // 20]} case {i}" for i in range(60)]
    result = discover_topics(texts, embeddings=vectors, k=3, min_size=5)
    assert len(result.topics) == 3 and result.other_size == 0
    assert len({tuple(result.labels[i * 20 : (i + 1) * 20]) for i in range(3)}) == 3
    labels = sorted(t.label for t in result.topics)
    assert any("mortgage" in label for label in labels)
    assert all(len(set(result.labels[i * 20 : (i + 1) * 20])) == 1 for i in range(3))
    for topic in result.topics:
        assert result.labels[topic.examples[0]] == topic.index


def test_far_texts_and_tiny_clusters_go_to_other() -> None:
    rng = np.random.default_rng(1)
    vectors = np.vstack([_blobs(rng, 2, 30), -np.ones((1, 16))])
    texts = ["a b c"] * 61
    result = discover_topics(texts, embeddings=vectors, k=3, min_size=5)
    assert result.labels[-1] == OTHER
    assert len(result.topics) == 2


def test_assignment_respects_the_bar() -> None:
    centroids = np.eye(2, dtype=np.float32)
    labels, sims = topic_assign(
        np.array([[1, 0], [0.6, 0.8], [-1, 0]], dtype=np.float32), centroids, min_similarity=0.7
    )
    assert labels.tolist() == [0, 1, OTHER]
    assert sims[0] == 1.0


def test_keywords_prefer_words_of_the_topic_over_shared_ones() -> None:
    texts = ["late fee refund account", "late fee charged account", "card stolen account"]
    keywords = topic_keywords(texts, np.array([0, 0, 1]), n_topics=2)
    assert "account" not in keywords[0][:2]
    assert "fee" in " ".join(keywords[0][:2]) or "late" in " ".join(keywords[0][:2])


def test_keywords_leave_out_contraction_stubs_and_filler() -> None:
    import numpy as np

    from ckm.feedback.topics import topic_keywords

    texts = [
        "The app doesn't open, I don't know why; it hasn't worked since the update",
        "My app doesn't start since the update, I used it instead of the website",
        "Card blocked at the shop, the terminal says the PIN is wrong",
        "PIN refused at the terminal, my card is blocked now",
    ]
    keywords = topic_keywords(texts, np.array([0, 0, 1, 1]), n_topics=2)
    words = {w for topic in keywords for phrase in topic for w in phrase.split()}
    assert {"app", "update", "pin", "terminal"} <= words
    assert not words & {"doesn", "don", "hasn", "instead", "used"}


def test_topics_with_the_same_first_keywords_get_labels_that_differ() -> None:
    wallet = ["card", "block", "stolen", "block card", "wallet", "station"]
    replacement = ["card", "block", "stolen", "block card", "replacement", "station"]
    fees = ["fee", "refund", "charged"]
    labels = topic_labels([wallet, replacement, fees])
    # the next keyword the other does not share (not "block card": its words are in the name)
    assert labels == [
        "card · block · stolen · wallet",
        "card · block · stolen · replacement",
        "fee · refund · charged",
    ]
    # nothing tells them apart: a number does; no keywords at all: a number too
    same = topic_labels([wallet, wallet, [], []])
    assert same == [
        "card · block · stolen",
        "card · block · stolen (2)",
        "Unlabelled topic",
        "Unlabelled topic (2)",
    ]
    # a name a person gave another topic is kept free
    assert topic_labels([fees], taken=["Fee · Refund · Charged"]) == ["fee · refund · charged (2)"]
    assert topic_labels([[*fees, "statement"]], taken=["fee · refund · charged"]) == [
        "fee · refund · charged · statement"
    ]


def test_discovered_topics_never_share_a_label(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    vectors = _blobs(rng, 3, 20)
    texts = [f"text {i}" for i in range(60)]
    same = ["card", "block", "stolen", "wallet", "app"]

    def keywords(texts: object, labels: object, *, n_topics: int, top: int = 8) -> list[list[str]]:
        return [list(same) for _ in range(n_topics)]

    monkeypatch.setattr("ckm.feedback.topics.topic_keywords", keywords)
    result = discover_topics(texts, embeddings=vectors, k=3, min_size=5)
    labels = [t.label for t in result.topics]
    assert len(labels) == 3 and len(set(labels)) == 3
