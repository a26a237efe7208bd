"""The case classifier: which product and which issue category a new case is about.

Features: TF-IDF over words (1-2 grams) and characters (2-5 grams, robust to typos and masked
text), sentence embeddings (all-MiniLM-L6-v2 via ckm.knowledge.embeddings), the channel, and the
product families the customer holds. One linear model per target (logistic regression, whose
probabilities are calibrated by construction and checked by the Brier score); a target with too
few examples per class is left out. Pure: no database; the services feed examples in and store
the fitted object as an artefact."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EmbedFn = Callable[[Sequence[str]], np.ndarray]
MIN_PER_CLASS = 3
MIN_CLASSES = 2
EMBED_WEIGHT = 1.0
# the opening of a case feeds the embedding model (about 130 word pieces): it carries the gist, the
# TF-IDF features read the whole text, and it keeps a case's classification fast on a plain CPU
EMBED_CHARS = 600


@dataclass(frozen=True)
class CaseExample:
    """One case as the classifier sees it; labels are "" when unknown."""

    text: str
    channel: str = ""
    holdings: tuple[str, ...] = ()
    product: str = ""
    category: str = ""


@dataclass(frozen=True)
class Guess:
    label: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    product: Guess | None
    category: Guess | None


def _context_tokens(example: CaseExample) -> str:
    tokens = [f"channel_{example.channel or 'none'}"]
    tokens += [f"holds_{h}" for h in example.holdings]
    return " ".join(tokens)


@dataclass
class CaseFeatures:
    """Turns examples into one sparse matrix: words, characters, embeddings, context."""

    use_embeddings: bool = True
    words: Any = None
    chars: Any = None
    context: Any = None

    def fit(self, examples: Sequence[CaseExample]) -> CaseFeatures:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        texts = [e.text for e in examples]
        min_df = 2 if len(texts) >= 50 else 1
        self.words = TfidfVectorizer(
            sublinear_tf=True, ngram_range=(1, 2), min_df=min_df, max_features=200_000
        ).fit(texts)
        self.chars = TfidfVectorizer(
            sublinear_tf=True,
            analyzer="char_wb",
            ngram_range=(2, 5),
            min_df=min_df,
            max_features=150_000,
        ).fit(texts)
        self.context = CountVectorizer(binary=True, token_pattern=r"\S+").fit(
            [_context_tokens(e) for e in examples]
        )
        return self

    def transform(self, examples: Sequence[CaseExample], embed: EmbedFn | None = None) -> Any:
        from scipy import sparse

        texts = [e.text for e in examples]
        parts = [
            self.words.transform(texts),
            self.chars.transform(texts),
            self.context.transform([_context_tokens(e) for e in examples]),
        ]
        if self.use_embeddings:
            if embed is None:
                raise ValueError("this classifier needs the embedding model")
            vectors = embed([t[:EMBED_CHARS] for t in texts])
            parts.append(sparse.csr_matrix(np.asarray(vectors) * EMBED_WEIGHT))
        return sparse.hstack(parts).tocsr()


@dataclass
class CaseClassifier:
    """The fitted product and category models with the features they share."""

    features: CaseFeatures
    models: dict[str, Any] = field(default_factory=dict)  # "product" / "category" -> estimator

    @property
    def targets(self) -> list[str]:
        return sorted(self.models)

    def predict_matrix(self, matrix: Any) -> list[Prediction]:
        guesses: dict[str, list[Guess | None]] = {}
        n = matrix.shape[0]
        for target in ("product", "category"):
            model = self.models.get(target)
            if model is None:
                guesses[target] = [None] * n
                continue
            proba = model.predict_proba(matrix)
            best = proba.argmax(axis=1)
            guesses[target] = [
                Guess(label=str(model.classes_[b]), confidence=float(proba[i, b]))
                for i, b in enumerate(best)
            ]
        return [
            Prediction(product=guesses["product"][i], category=guesses["category"][i])
            for i in range(n)
        ]

    def predict(
        self, examples: Sequence[CaseExample], embed: EmbedFn | None = None
    ) -> list[Prediction]:
        """Product and category guesses with their probability for each example."""
        if not examples:
            return []
        return self.predict_matrix(self.features.transform(examples, embed))


def usable_labels(labels: Sequence[str]) -> set[str]:
    """Classes with enough examples to learn from."""
    counts = Counter(label for label in labels if label)
    return {label for label, count in counts.items() if count >= MIN_PER_CLASS}


def _fit_target(matrix: Any, labels: Sequence[str], c: float) -> Any | None:
    from sklearn.linear_model import LogisticRegression

    keep = usable_labels(labels)
    if len(keep) < MIN_CLASSES:
        return None
    rows = [i for i, label in enumerate(labels) if label in keep]
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(matrix[rows], [labels[i] for i in rows])
    return model


def classifier_fit(
    examples: Sequence[CaseExample],
    *,
    embed: EmbedFn | None,
    use_embeddings: bool = True,
    c: float = 10.0,
    matrix: Any = None,
) -> CaseClassifier:
    """Fit the product and category models on labelled examples (a target whose labels are
    too few is skipped). `matrix` may pass precomputed features (the benchmark reuses them)."""
    features = CaseFeatures(use_embeddings=use_embeddings and embed is not None).fit(examples)
    x = matrix if matrix is not None else features.transform(examples, embed)
    classifier = CaseClassifier(features=features)
    for target in ("product", "category"):
        labels = [getattr(e, target) for e in examples]
        model = _fit_target(x, labels, c)
        if model is not None:
            classifier.models[target] = model
    return classifier


def evaluate(
    classifier: CaseClassifier,
    examples: Sequence[CaseExample],
    *,
    embed: EmbedFn | None,
) -> dict[str, Any]:
    """Accuracy, macro-F1 and Brier score per target on held-out labelled examples, and the
    time per case."""
    from sklearn.metrics import accuracy_score, f1_score

    started = time.perf_counter()
    predictions = classifier.predict(examples, embed)
    per_case_ms = 1000 * (time.perf_counter() - started) / max(1, len(examples))
    out: dict[str, Any] = {"n_test": len(examples), "ms_per_case": round(per_case_ms, 2)}
    for target in ("product", "category"):
        pairs = [
            (getattr(e, target), getattr(p, target))
            for e, p in zip(examples, predictions, strict=True)
            if getattr(e, target) and getattr(p, target) is not None
        ]
        if not pairs:
            continue
        truth = [t for t, _ in pairs]
        guessed = [g.label for _, g in pairs]
        out[target] = {
            "n": len(pairs),
            "accuracy": round(float(accuracy_score(truth, guessed)), 4),
            "macro_f1": round(float(f1_score(truth, guessed, average="macro")), 4),
            # one-vs-rest Brier of the top guess: 0 is perfect, lower is better calibrated
            "brier_top": round(
                float(
                    np.mean(
                        [(g.confidence - (1.0 if g.label == t else 0.0)) ** 2 for t, g in pairs]
                    )
                ),
                4,
            ),
        }
    return out
