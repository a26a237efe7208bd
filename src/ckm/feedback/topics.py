"""Topic discovery over short customer texts (case subjects and bodies, complaint narratives).

The engine knows nothing of the database: it takes texts (or their embeddings) and returns topics,
so the topic refresh task, the complaints benchmark and the tests run the same code.

How it works:
1. Embed every text with the local sentence model (ckm.knowledge.embeddings, in batches).
2. Fit spherical k-means (k-means on unit vectors) on a sample of at most `sample_size` texts.
   k is chosen from a small grid by the silhouette (cosine) on that sample, unless given.
3. Assign every text to its nearest centroid (a dot product); texts far from every centroid, and
   clusters smaller than `min_size`, go to an "other" bucket (topic id -1).
4. Label each topic from class-based TF-IDF keywords (words frequent in the topic and rare in the
   others, as in BERTopic's c-TF-IDF) and keep its most central texts as examples.
New texts are later assigned with `topic_assign` against the stored centroids, without refitting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

OTHER = -1
"""The topic id of texts that fit no topic."""

NEAR_BEST = 0.9
"""A number of topics whose silhouette is within this share of the best counts as near-best."""
OTHER_CEILING = 0.4
"""The highest similarity to its nearest topic at which a text may still count as "other"."""

Progress = Callable[[int, int, str], None]

# Words that say nothing about a topic in customer messages (masking, greetings, filler).
_EXTRA_STOP_WORDS = {
    "xx",
    "xxxx",
    "xxxxxxxx",
    "hello",
    "hi",
    "dear",
    "thanks",
    "thank",
    "regards",
    "kind",
    "best",
    "sir",
    "madam",
    "please",
    "help",
    "just",
    "like",
    "know",
    "got",
    "get",
    "did",
    "does",
    "told",
    "said",
    "asked",
    "called",
    "also",
    "would",
    "could",
    "need",
    "want",
    "im",
    "ive",
    "dont",
    "didnt",
    "cant",
    "doesnt",
    "wasnt",
    "ok",
    "yes",
    "time",
    "times",
    "day",
    "days",
    "today",
    "yesterday",
    "week",
    "month",
    "months",
    "year",
    "years",
    "company",
    "customer",
    "bank",
    "account",
    # what is left of a contraction once the apostrophe splits it ("doesn't" -> "doesn")
    "doesn",
    "don",
    "hasn",
    "haven",
    "isn",
    "aren",
    "didn",
    "wasn",
    "weren",
    "won",
    "couldn",
    "wouldn",
    "shouldn",
    # words that tell how people write, not what about
    "instead",
    "doing",
    "different",
    "mentions",
    "mentioned",
    "use",
    "used",
    "using",
    "later",
    "appeared",
    "ask",
    "asks",
    "asking",
    "say",
    "says",
    "tried",
    "try",
    "really",
    "still",
    "ago",
    "make",
}
_TOKEN = re.compile(r"(?u)\b[^\W\d_]{3,}\b")


@dataclass
class Topic:
    """One discovered topic."""

    index: int
    label: str
    keywords: list[str]
    size: int
    centroid: np.ndarray
    examples: list[int]  # indexes of the most central texts, most central first
    cohesion: float  # mean cosine similarity of its texts to the centroid


@dataclass
class TopicResult:
    """Discovered topics and the assignment of every text."""

    topics: list[Topic]
    labels: np.ndarray  # (n,) topic index per text, OTHER for the other bucket
    similarity: np.ndarray  # (n,) cosine similarity to the assigned (or nearest) centroid
    k: int
    silhouette: float | None
    params: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    embeddings: np.ndarray | None = None

    @property
    def other_size(self) -> int:
        return int((self.labels == OTHER).sum())

    @property
    def centroids(self) -> np.ndarray:
        if not self.topics:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([t.centroid for t in self.topics]).astype(np.float32)


def _no_progress(done: int, total: int, message: str) -> None:
    pass


def embed_texts(
    texts: Sequence[str], *, batch_size: int = 256, max_chars: int = 1200, progress: Progress | None
) -> np.ndarray:
    """Unit vectors of the texts, embedded in batches so progress can be reported.

    Texts are cut at `max_chars`: the model reads at most 256 word pieces anyway, and a long
    narrative's opening says what it is about."""
    from ckm.knowledge.embeddings import DIMENSIONS, embed

    report = progress or _no_progress
    total = len(texts)
    out = np.zeros((total, DIMENSIONS), dtype=np.float32)
    for start in range(0, total, batch_size):
        chunk = [(t or "")[:max_chars] for t in texts[start : start + batch_size]]
        out[start : start + len(chunk)] = embed(chunk, batch_size=64, cache=True)
        report(min(start + batch_size, total), total, "Reading the texts")
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


def _kmeans(x: np.ndarray, k: int, random_state: int, *, n_init: int = 3) -> np.ndarray:
    """Unit-length centroids of k-means on unit vectors (spherical k-means, approximately)."""
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state, max_iter=100)
    model.fit(x)
    return _normalise(model.cluster_centers_)


K_GRID = [6, 9, 12, 16, 20, 25, 30, 40, 50, 60, 80]
"""The numbers of topics tried. Up to 80: a desk of a few thousand cases a month has that many
distinct themes, and a new problem of a few dozen cases should not hide inside an old topic
that shares its words (the payee name check inside "late transfer to the landlord")."""


def _candidate_ks(n: int, min_size: int) -> list[int]:
    upper = max(2, min(K_GRID[-1], n // max(min_size, 1)))
    grid = K_GRID
    ks = [k for k in grid if k <= upper]
    return ks or [max(2, min(upper, n - 1))]


def choose_k(
    x: np.ndarray,
    *,
    min_size: int,
    random_state: int = 42,
    progress: Progress | None = None,
) -> tuple[int, float, dict[int, float]]:
    """The number of topics with the best cosine silhouette on the (sampled) vectors."""
    from sklearn.metrics import silhouette_score

    report = progress or _no_progress
    ks = _candidate_ks(len(x), min_size)
    scores: dict[int, float] = {}
    rng = np.random.default_rng(random_state)
    # one k-means start per k on at most 3,000 texts: enough to rank the candidates
    fit = x if len(x) <= 3000 else x[rng.choice(len(x), 3000, replace=False)]
    probe = fit if len(fit) <= 2000 else fit[rng.choice(len(fit), 2000, replace=False)]
    for i, k in enumerate(ks):
        centroids = _kmeans(fit, k, random_state, n_init=1)
        labels = np.argmax(probe @ centroids.T, axis=1)
        if len(set(labels.tolist())) < 2:
            continue
        scores[k] = float(silhouette_score(probe, labels, metric="cosine"))
        report(i + 1, len(ks), f"Trying {k} topics")
    if not scores:
        return ks[0], float("nan"), scores
    best = max(scores, key=lambda k: scores[k])
    # sentence-embedding silhouettes are flat across k; among the near-best, the finer topics
    # are the ones people can act on ("late fee refused" rather than "fees")
    near = [k for k, s in scores.items() if s >= NEAR_BEST * scores[best]]
    chosen = max(near)
    return chosen, scores[chosen], scores


def topic_assign(
    vectors: np.ndarray, centroids: np.ndarray, *, min_similarity: float
) -> tuple[np.ndarray, np.ndarray]:
    """The nearest topic of each vector and its cosine similarity; OTHER when below the bar."""
    if len(vectors) == 0 or len(centroids) == 0:
        n = len(vectors)
        return np.full(n, OTHER, dtype=np.int64), np.zeros(n, dtype=np.float32)
    sims = vectors @ centroids.T
    nearest = np.argmax(sims, axis=1)
    best = sims[np.arange(len(vectors)), nearest].astype(np.float32)
    labels = np.where(best >= min_similarity, nearest, OTHER).astype(np.int64)
    return labels, best


def topic_keywords(
    texts: Sequence[str], labels: np.ndarray, *, n_topics: int, top: int = 8
) -> list[list[str]]:
    """Class-based TF-IDF keywords per topic: words (and pairs) frequent in it, rare elsewhere."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    docs = [" ".join(texts[int(i)] for i in np.flatnonzero(labels == t)) for t in range(n_topics)]
    if not any(docs):
        return [[] for _ in range(n_topics)]
    stop = sorted(ENGLISH_STOP_WORDS | _EXTRA_STOP_WORDS)
    vectorizer = CountVectorizer(
        stop_words=stop,
        token_pattern=_TOKEN.pattern,
        ngram_range=(1, 2),
        min_df=1,
        max_features=40000,
        lowercase=True,
    )
    try:
        counts = vectorizer.fit_transform(docs).astype(np.float64)
    except ValueError:  # only stop words
        return [[] for _ in range(n_topics)]
    words = vectorizer.get_feature_names_out()
    tf = counts.multiply(1.0 / np.maximum(counts.sum(axis=1), 1.0)).tocsr()
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = counts.sum() / max(n_topics, 1)
    idf = np.log(1.0 + average / np.maximum(frequency, 1.0))
    weights = tf.multiply(idf).tocsr()
    result: list[list[str]] = []
    for t in range(n_topics):
        row = weights.getrow(t).toarray().ravel()
        ranked = [str(words[j]) for j in np.argsort(-row)[: top * 6] if row[j] > 0]
        # the name: the three most telling single words (pairs across a removed stop word read
        # oddly: "reissued disputes"); then the pairs and words that add to them
        chosen = [w for w in ranked if " " not in w][:3]
        for word in ranked:
            if len(chosen) >= top:
                break
            if word in chosen or (" " not in word and any(word in k.split() for k in chosen)):
                continue
            chosen.append(word)
        result.append(chosen)
    return result


def _distinct(order: np.ndarray, texts: Sequence[str], limit: int) -> np.ndarray:
    """The first `limit` indexes whose texts differ (ignoring case and spacing)."""
    seen: set[str] = set()
    kept: list[int] = []
    for i in order:
        key = " ".join(str(texts[int(i)]).lower().split())
        if key in seen:
            continue
        seen.add(key)
        kept.append(int(i))
        if len(kept) >= limit:
            break
    return np.array(kept, dtype=np.int64)


def topic_label(keywords: Sequence[str], *, words: int = 3) -> str:
    """A short readable label from the keywords ("fee · refund · statement")."""
    if not keywords:
        return "Unlabelled topic"
    return " · ".join(keywords[:words])


def topic_labels(
    keywords: Sequence[Sequence[str]], *, taken: Iterable[str] = (), words: int = 3
) -> list[str]:
    """Labels for several topics that tell them apart: topics whose first keywords give the same
    label (or a label in `taken`, such as the names people gave other topics) get their next
    keyword that the others do not share ("card · block · stolen · wallet"); what is still the
    same then gets a number ("card · block · stolen (2)")."""
    labels = [topic_label(k, words=words) for k in keywords]
    reserved = {t.casefold() for t in taken}
    groups: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label.casefold(), []).append(i)
    for key, members in groups.items():
        if len(members) < 2 and key not in reserved:
            continue
        for i in members:
            others = {w for j in members if j != i for w in keywords[j]}
            shown = set(labels[i].split(" · "))
            extra = next(
                (w for w in keywords[i][words:] if w not in others and not set(w.split()) <= shown),
                None,
            )
            if extra is not None:
                labels[i] = f"{labels[i]} · {extra}"
    seen = set(reserved)
    for i, label in enumerate(labels):
        unique, n = label, 2
        while unique.casefold() in seen:
            unique, n = f"{label} ({n})", n + 1
        seen.add(unique.casefold())
        labels[i] = unique
    return labels


def discover_topics(
    texts: Sequence[str],
    *,
    min_size: int = 10,
    random_state: int = 42,
    k: int | None = None,
    sample_size: int = 6000,
    other_quantile: float = 0.03,
    n_examples: int = 5,
    embeddings: np.ndarray | None = None,
    progress: Progress | None = None,
) -> TopicResult:
    """Topics of the texts: k-means on a sample of their embeddings, every text assigned to the
    nearest topic, outliers and tiny clusters in the "other" bucket, labels from keywords.

    `embeddings` (unit vectors, one per text) skips the embedding step; `k` skips the search for
    the number of topics. `other_quantile` is the share of the sample's least typical texts that
    marks the similarity below which a text counts as "other"."""
    report = progress or _no_progress
    n = len(texts)
    seconds: dict[str, float] = {}
    params: dict[str, Any] = {
        "min_size": min_size,
        "random_state": random_state,
        "sample_size": sample_size,
        "other_quantile": other_quantile,
        "method": "kmeans-cosine",
    }
    if n == 0:
        return TopicResult([], np.zeros(0, dtype=np.int64), np.zeros(0), 0, None, params)
    started = time.perf_counter()
    if embeddings is None:
        vectors = embed_texts(texts, progress=report)
    else:
        vectors = _normalise(np.asarray(embeddings, dtype=np.float32))
    seconds["embed"] = time.perf_counter() - started

    started = time.perf_counter()
    rng = np.random.default_rng(random_state)
    sample = np.arange(n) if n <= sample_size else np.sort(rng.choice(n, sample_size, False))
    x = vectors[sample]
    silhouette: float | None = None
    # one thread: k-means' OpenMP threads crawl when the cores are shared with the web server
    # and other workers (measured: 4x slower under load than a single thread)
    with threadpool_limits(limits=1):
        if n < max(2 * min_size, 4):
            chosen_k = 1
        elif k is None:
            chosen_k, silhouette, scores = choose_k(
                x, min_size=min_size, random_state=random_state, progress=report
            )
            params["silhouettes"] = {str(key): round(val, 4) for key, val in scores.items()}
        else:
            chosen_k = max(1, min(k, len(x)))
        centroids = (
            _normalise(x.mean(axis=0, keepdims=True))
            if chosen_k == 1
            else _kmeans(x, chosen_k, random_state)
        )
    seconds["cluster"] = time.perf_counter() - started
    report(0, 1, "Assigning the texts")

    started = time.perf_counter()
    raw, sims = topic_assign(vectors, centroids, min_similarity=-1.0)
    sample_sims = sims[sample]
    bar = float(np.quantile(sample_sims, other_quantile)) if other_quantile > 0 else -1.0
    # tight topics (templated texts) would push the bar so high that a differently worded text
    # about the same thing lands in "other": the bar never rises above OTHER_CEILING
    bar = min(bar, OTHER_CEILING)
    params["min_similarity"] = round(bar, 4)
    sizes = np.bincount(raw[raw >= 0], minlength=len(centroids))
    keep = np.flatnonzero(sizes >= min_size)
    if len(keep) < len(centroids):
        # tiny clusters: their texts go to the next nearest kept topic if close enough
        centroids = centroids[keep]
        raw, sims = topic_assign(vectors, centroids, min_similarity=-1.0)
    labels = np.where(sims >= bar, raw, OTHER).astype(np.int64)
    keywords = topic_keywords(texts, labels, n_topics=len(centroids))
    topics: list[Topic] = []
    for t in range(len(centroids)):
        members = np.flatnonzero(labels == t)
        if len(members) == 0:
            continue
        # the centroid of the members actually assigned (not only of the sample)
        centroid = _normalise(vectors[members].mean(axis=0, keepdims=True))[0]
        member_sims = vectors[members] @ centroid
        central = _distinct(members[np.argsort(-member_sims)], texts, n_examples)
        topics.append(
            Topic(
                index=len(topics),
                label=topic_label(keywords[t]),
                keywords=keywords[t],
                size=len(members),
                centroid=centroid,
                examples=[int(i) for i in central],
                cohesion=float(member_sims.mean()),
            )
        )
    for found, label in zip(topics, topic_labels([t.keywords for t in topics]), strict=True):
        found.label = label
    # renumber: topics without members were dropped
    mapping = {old: new for new, old in enumerate(sorted({int(v) for v in labels if v >= 0}))}
    labels = np.array([mapping.get(int(v), OTHER) for v in labels], dtype=np.int64)
    seconds["assign"] = time.perf_counter() - started
    report(1, 1, f"{len(topics)} topics")
    return TopicResult(
        topics=topics,
        labels=labels,
        similarity=sims,
        k=chosen_k,
        silhouette=silhouette,
        params=params,
        seconds=seconds,
        embeddings=vectors,
    )
