"""The suggestion learner: pure machine learning over texts, vectors and article indices (no
database). Three views of a customer message are combined:

- a linear classifier (multinomial logistic regression) over TF-IDF word and character n-grams and
  the sentence vector, trained on the resolved history plus each article's own text;
- nearest neighbours among the resolved messages (their sentence vectors);
- the similarity of the message to each article's text (carries articles with little history).

The mixture weights, the calibration of the top score and the abstention thresholds are chosen on
a held-out part of the history (never on anything the caller evaluates on), then the model is
refitted on all of it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LearnerSettings:
    holdout: float = 0.2  # share of each well-evidenced article's messages held out for tuning
    min_holdout: int = 40  # below this, default weights and thresholds are used
    min_per_article_holdout: int = 5  # an article needs this many messages to lend some out
    C: float = 20.0
    embedding_weight: float = 2.0
    knn_k: int = 10
    knn_temperature: float = 0.05
    article_temperature: float = 0.05
    keep_correct: float = 0.99  # abstention keeps this share of the correct held-out answers
    default_threshold: float = 0.25
    default_novelty: float = 0.3
    max_iter: int = 1000
    seed: int = 7


# the mixture weights tried on the held-out split: (classifier, neighbours, article text)
WEIGHT_GRID: tuple[tuple[float, float, float], ...] = tuple(
    (round(float(a), 2), round(float(b), 2), round(float(1 - a - b), 2))
    for a in np.arange(0.3, 0.96, 0.05)
    for b in np.arange(0.0, 0.71, 0.05)
    if 0.05 - 1e-9 <= 1 - a - b <= 0.3 + 1e-9
)
DEFAULT_WEIGHTS = (0.7, 0.2, 0.1)


@dataclass
class Prediction:
    """Scores of one message: mixture probability per article index, and why."""

    probabilities: np.ndarray  # (K,)
    nearest: np.ndarray  # (K,) highest cosine to a resolved message of each article (or -1)
    article_similarity: np.ndarray  # (K,) cosine to each article's text
    novelty: float  # highest cosine to anything known (history or article)


@dataclass
class Suggester:
    """A fitted suggestion model (what the artefact file holds)."""

    article_ids: np.ndarray  # (K,) article primary keys, the class order
    evidence_counts: np.ndarray  # (K,)
    word: Any
    char: Any
    classifier: Any | None  # LogisticRegression over class indices, or None (one article)
    classifier_classes: np.ndarray  # class indices the classifier knows
    evidence_vectors: np.ndarray  # (n, 384) float32
    evidence_labels: np.ndarray  # (n,) class index
    article_vectors: np.ndarray  # (K, 384) float32
    settings: LearnerSettings
    weights: tuple[float, float, float] = DEFAULT_WEIGHTS
    threshold: float = 0.25  # abstain when the top mixture probability is below
    novelty_threshold: float = 0.3  # or when nothing known is at least this similar
    calibration_x: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0]))
    calibration_y: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0]))
    metrics: dict[str, Any] = field(default_factory=dict)

    # --- scoring ---------------------------------------------------------------------------

    def features(self, texts: Sequence[str], vectors: np.ndarray) -> Any:
        import scipy.sparse as sp

        return sp.hstack(
            [
                self.word.transform(texts),
                self.char.transform(texts),
                sp.csr_matrix(vectors * self.settings.embedding_weight),
            ]
        ).tocsr()

    def components(
        self, texts: Sequence[str], vectors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per message: classifier, neighbour and article-text distributions over the K articles,
        the best cosine per article among its resolved messages, and cosine to article texts."""
        m, k = len(texts), len(self.article_ids)
        classifier = np.zeros((m, k), dtype=np.float64)
        if self.classifier is not None and m:
            classifier[:, self.classifier_classes] = self.classifier.predict_proba(
                self.features(texts, vectors)
            )
        neighbours, nearest = knn_distribution(
            vectors,
            self.evidence_vectors,
            self.evidence_labels,
            k,
            top=self.settings.knn_k,
            temperature=self.settings.knn_temperature,
        )
        similarity = cosines(vectors, self.article_vectors) if k else np.zeros((m, 0))
        articles = softmax(similarity / self.settings.article_temperature)
        return classifier, neighbours, articles, nearest, similarity

    def predict(self, texts: Sequence[str], vectors: np.ndarray) -> list[Prediction]:
        classifier, neighbours, articles, nearest, similarity = self.components(texts, vectors)
        a, b, c = self.weights
        mixture = a * classifier + b * neighbours + c * articles
        known = np.maximum(
            nearest.max(axis=1) if nearest.shape[1] else -1.0,
            similarity.max(axis=1) if similarity.shape[1] else -1.0,
        )
        return [
            Prediction(mixture[i], nearest[i], similarity[i], float(known[i]))
            for i in range(len(texts))
        ]

    def calibrated(self, score: float) -> float:
        """The chance that the top suggestion is right, from the held-out calibration."""
        return float(np.clip(np.interp(score, self.calibration_x, self.calibration_y), 0.0, 1.0))

    def abstains(self, prediction: Prediction) -> bool:
        return bool(
            prediction.probabilities.max(initial=0.0) < self.threshold
            or prediction.novelty < self.novelty_threshold
        )


def cosines(queries: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """queries @ matrix.T; one query as a matrix-vector product, which BLAS runs on one thread (a
    threaded matrix product for a single row waits for busy cores: 100x slower on a loaded box)."""
    if len(queries) == 1:
        out: np.ndarray = (matrix @ queries[0])[None, :]
        return out
    product: np.ndarray = queries @ matrix.T
    return product


def softmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def knn_distribution(
    queries: np.ndarray,
    vectors: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    top: int,
    temperature: float,
    chunk: int = 512,
) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour vote per article (softmax-weighted top `top` cosines) and best cosine per article."""
    m = len(queries)
    votes = np.zeros((m, k), dtype=np.float64)
    nearest = np.full((m, k), -1.0, dtype=np.float64)
    if not len(vectors) or not m or not k:
        return votes, nearest
    top = min(top, len(vectors))
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    run_starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    run_labels = sorted_labels[run_starts]
    for start in range(0, m, chunk):
        sims = cosines(queries[start : start + chunk], vectors)  # (c, n)
        rows = np.arange(sims.shape[0])[:, None]
        idx = np.argpartition(-sims, top - 1, axis=1)[:, :top]
        best = sims[rows, idx]
        weight = np.exp((best - best.max(axis=1, keepdims=True)) / temperature)
        block = np.zeros((sims.shape[0], k))
        np.add.at(block, (np.repeat(rows, top, axis=1), labels[idx]), weight)
        votes[start : start + chunk] = block / block.sum(axis=1, keepdims=True)
        # best cosine per article: max over each article's messages (contiguous runs of labels)
        per = np.full((sims.shape[0], k), -1.0)
        per[:, run_labels] = np.maximum.reduceat(sims[:, order], run_starts, axis=1)
        nearest[start : start + chunk] = per
    return votes, nearest


def _vectorizers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    return word, char


def fit_suggester(
    *,
    texts: Sequence[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    article_ids: Sequence[int],
    article_texts: Sequence[str],
    article_vectors: np.ndarray,
    settings: LearnerSettings | None = None,
    tune: bool = True,
) -> Suggester:
    """Fit on the resolved history (texts, their vectors, class index of their article) and the
    articles' own texts; with `tune`, choose weights, calibration and thresholds on a held-out
    part first, then refit on everything."""
    settings = settings or LearnerSettings()
    started = time.perf_counter()
    labels = np.asarray(labels, dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, article_vectors.shape[1])
    holdout = _holdout_indices(labels, len(article_ids), settings) if tune else np.array([], int)
    metrics: dict[str, Any] = {
        "n_evidence": len(texts),
        "n_articles": len(article_ids),
        "n_holdout": len(holdout),
    }
    tuned: dict[str, Any] = {}
    if len(holdout) >= settings.min_holdout:
        keep = np.setdiff1d(np.arange(len(texts)), holdout)
        trial = _fit(
            texts=[texts[i] for i in keep],
            vectors=vectors[keep],
            labels=labels[keep],
            article_ids=article_ids,
            article_texts=article_texts,
            article_vectors=article_vectors,
            settings=settings,
        )
        tuned = _tune(trial, [texts[i] for i in holdout], vectors[holdout], labels[holdout])
        metrics.update(tuned.pop("metrics"))
    model = _fit(
        texts=texts,
        vectors=vectors,
        labels=labels,
        article_ids=article_ids,
        article_texts=article_texts,
        article_vectors=article_vectors,
        settings=settings,
    )
    for key, value in tuned.items():
        setattr(model, key, value)
    if not tuned:
        model.threshold = max(settings.default_threshold, 1.5 / max(1, len(article_ids)))
        model.novelty_threshold = settings.default_novelty
    metrics["train_s"] = round(time.perf_counter() - started, 2)
    metrics["weights"] = [float(w) for w in model.weights]
    metrics["threshold"] = round(model.threshold, 4)
    metrics["novelty_threshold"] = round(model.novelty_threshold, 4)
    model.metrics = metrics
    return model


def _holdout_indices(labels: np.ndarray, k: int, settings: LearnerSettings) -> np.ndarray:
    rng = np.random.default_rng(settings.seed)
    chosen: list[np.ndarray] = []
    for label in range(k):
        members = np.flatnonzero(labels == label)
        if len(members) < settings.min_per_article_holdout:
            continue
        n = max(1, round(len(members) * settings.holdout))
        chosen.append(rng.choice(members, size=n, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.array([], dtype=np.int64)


def _fit(
    *,
    texts: Sequence[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    article_ids: Sequence[int],
    article_texts: Sequence[str],
    article_vectors: np.ndarray,
    settings: LearnerSettings,
) -> Suggester:
    from sklearn.linear_model import LogisticRegression

    k = len(article_ids)
    # every article's own text is one more example of it: articles without history still count
    all_texts = list(texts) + list(article_texts)
    all_vectors = np.vstack([vectors, article_vectors]).astype(np.float32)
    all_labels = np.concatenate([labels, np.arange(k)])
    word, char = _vectorizers()
    try:
        word.fit(all_texts)
    except ValueError:  # no words at all (e.g. only punctuation)
        word.set_params(analyzer="char_wb", ngram_range=(1, 1)).fit([*all_texts, "a"])
    try:
        char.fit(all_texts)
    except ValueError:  # too few texts for min_df
        char.set_params(min_df=1).fit(all_texts)
    model = Suggester(
        article_ids=np.asarray(article_ids, dtype=np.int64),
        evidence_counts=np.bincount(labels, minlength=k),
        word=word,
        char=char,
        classifier=None,
        classifier_classes=np.array([], dtype=np.int64),
        evidence_vectors=vectors.astype(np.float32),
        evidence_labels=labels,
        article_vectors=article_vectors.astype(np.float32),
        settings=settings,
    )
    classes = np.unique(all_labels)
    if len(classes) >= 2:
        classifier = LogisticRegression(C=settings.C, max_iter=settings.max_iter)
        classifier.fit(model.features(all_texts, all_vectors), all_labels)
        model.classifier = classifier
        model.classifier_classes = classifier.classes_.astype(np.int64)
    return model


def _tune(
    model: Suggester, texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray
) -> dict[str, Any]:
    """Weights, calibration and thresholds from held-out messages the model has not seen."""
    from sklearn.isotonic import IsotonicRegression

    classifier, neighbours, articles, nearest, similarity = model.components(texts, vectors)
    rows = np.arange(len(labels))
    best: tuple[float, tuple[float, float, float]] | None = None
    for weights in WEIGHT_GRID:
        a, b, c = weights
        mixture = a * classifier + b * neighbours + c * articles
        accuracy = float((mixture.argmax(axis=1) == labels).mean())
        nll = float(-np.log(np.clip(mixture[rows, labels], 1e-9, 1)).mean())
        objective = accuracy - 1e-3 * nll
        if best is None or objective > best[0]:
            best = (objective, weights)
    assert best is not None
    weights = best[1]
    a, b, c = weights
    mixture = a * classifier + b * neighbours + c * articles
    top = mixture.max(axis=1)
    correct = mixture.argmax(axis=1) == labels
    known = np.maximum(nearest.max(axis=1), similarity.max(axis=1))
    calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    calibrator.fit(top, correct.astype(float))
    # spend the abstention budget (share of correct answers given up) half on each test
    budget = (1 - model.settings.keep_correct) / 2
    threshold = float(np.quantile(top[correct], budget)) if correct.any() else 0.0
    novelty = float(np.quantile(known[correct], budget)) if correct.any() else 0.0
    kept = (top >= threshold) & (known >= novelty)
    return {
        "weights": weights,
        "threshold": threshold,
        "novelty_threshold": novelty,
        "calibration_x": np.asarray(calibrator.X_thresholds_, dtype=np.float64),
        "calibration_y": np.asarray(calibrator.y_thresholds_, dtype=np.float64),
        "metrics": {
            "holdout_top1": round(float(correct.mean()), 4),
            "holdout_top1_classifier": round(float((classifier.argmax(1) == labels).mean()), 4),
            "holdout_top1_neighbours": round(float((neighbours.argmax(1) == labels).mean()), 4),
            "holdout_top1_articles": round(float((articles.argmax(1) == labels).mean()), 4),
            "holdout_coverage": round(float(kept.mean()), 4),
            "holdout_top1_at_threshold": round(float((correct & kept).mean()), 4),
        },
    }


def describe(model: Suggester) -> dict[str, Any]:
    """A short summary for logs and pages."""
    return {
        "articles": len(model.article_ids),
        "evidence": len(model.evidence_labels),
        **{k: v for k, v in dataclasses.asdict(model.settings).items() if k in ("C", "knn_k")},
        **model.metrics,
    }
