"""The case classifier: which product and which issue category a new case is about.

Features: TF-IDF over words (1-2 grams) and characters (2-5 grams, robust to typos and masked
text), sentence embeddings (all-MiniLM-L6-v2 via ckm.knowledge.embeddings) of the opening and the
closing of the text, the channel, and the product families the customer holds. Per target two
logistic regressions with balanced class weights (so the small classes count), one on the TF-IDF
features and one on the embeddings, whose probabilities are blended; each C and the blend weight
are chosen by stratified cross-validation on the training cases for the best macro-F1. A target
with too few examples per class is left out. Pure: no database; the services feed examples in and
store the fitted object as an artefact."""

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
# the embedding model reads the opening of a case (about 130 word pieces) and, when the case is
# longer than TAIL_MIN_CHARS, its closing as well; the TF-IDF features read the whole text
EMBED_CHARS = 600
TAIL_MIN_CHARS = 800
DEFAULT_C = 10.0
DEFAULT_C_EMBED = 10.0
# choices made by stratified cross-validation on the training cases when there are enough of them
CV_FOLDS = 5
CV_MIN_EXAMPLES = 100
CV_MAX_EXAMPLES = 5000  # a larger history is subsampled for the choice (the fit uses all of it)
C_GRID_TEXT = (3.0, 10.0, 30.0)
C_GRID_EMBED = (1.0, 3.0, 10.0)
BLEND_WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))


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


def embedding_pieces(text: str) -> list[str]:
    """What the embedding model reads of a text: its opening and, for a long text, its closing
    (the request is often at the end), each about 130 word pieces."""
    if len(text) <= TAIL_MIN_CHARS:
        return [text[:EMBED_CHARS]]
    return [text[:EMBED_CHARS], text[-EMBED_CHARS:]]


def text_vectors(texts: Sequence[str], embed: EmbedFn) -> np.ndarray:
    """One unit vector per text: the mean of its pieces' embeddings, renormalised."""
    pieces = [embedding_pieces(t) for t in texts]
    flat = [piece for group in pieces for piece in group]
    vectors = np.asarray(embed(flat), dtype=np.float32) if flat else np.zeros((0, 0))
    out = []
    at = 0
    for group in pieces:
        mean = vectors[at : at + len(group)].mean(axis=0)
        at += len(group)
        out.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
    return np.vstack(out) if out else np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0))


@dataclass
class CaseMatrix:
    """The features of some examples: sparse TF-IDF words, characters and context for the text
    model; dense embeddings and context for the embedding model (None without embeddings)."""

    sparse: Any
    dense: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.sparse.shape  # type: ignore[no-any-return]

    def rows(self, index: Sequence[int] | np.ndarray) -> CaseMatrix:
        index = np.asarray(index, dtype=int)
        return CaseMatrix(
            sparse=self.sparse[index], dense=None if self.dense is None else self.dense[index]
        )


@dataclass
class CaseFeatures:
    """Turns examples into features: words, characters, embeddings, context."""

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
        context = self.context.transform([_context_tokens(e) for e in examples])
        matrix = CaseMatrix(
            sparse=sparse.hstack(
                [self.words.transform(texts), self.chars.transform(texts), context]
            ).tocsr()
        )
        if self.use_embeddings:
            if embed is None:
                raise ValueError("this classifier needs the embedding model")
            vectors = text_vectors(texts, embed)
            matrix.dense = np.hstack([vectors * EMBED_WEIGHT, context.toarray()]).astype(np.float32)
        return matrix

    def legacy_transform(self, examples: Sequence[CaseExample], embed: EmbedFn | None) -> Any:
        """The single matrix of classifiers stored before the blend (opening embeddings only)."""
        from scipy import sparse

        texts = [e.text for e in examples]
        parts = [
            self.words.transform(texts),
            self.chars.transform(texts),
            self.context.transform([_context_tokens(e) for e in examples]),
        ]
        if self.use_embeddings and embed is not None:
            vectors = embed([t[:EMBED_CHARS] for t in texts])
            parts.append(sparse.csr_matrix(np.asarray(vectors) * EMBED_WEIGHT))
        return sparse.hstack(parts).tocsr()


@dataclass
class BlendModel:
    """Two logistic regressions with balanced class weights, one on the TF-IDF features and one on
    the embeddings, whose probabilities are averaged with the weight `text_weight`; the C of each
    and the weight are chosen by stratified cross-validation on the training cases."""

    text_model: Any
    embed_model: Any | None
    text_weight: float
    choice: dict[str, Any] = field(default_factory=dict)

    @property
    def classes_(self) -> np.ndarray:
        return self.text_model.classes_  # type: ignore[no-any-return]

    def predict_proba(self, matrix: CaseMatrix) -> np.ndarray:
        proba = self.text_model.predict_proba(matrix.sparse)
        if self.embed_model is None or matrix.dense is None or self.text_weight >= 1.0:
            return proba  # type: ignore[no-any-return]
        other = self.embed_model.predict_proba(matrix.dense)
        return self.text_weight * proba + (1.0 - self.text_weight) * other  # type: ignore[no-any-return]


@dataclass
class CaseClassifier:
    """The fitted product and category models with the features they share."""

    features: CaseFeatures
    models: dict[str, Any] = field(default_factory=dict)  # "product" / "category" -> BlendModel

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
        if any(not isinstance(m, BlendModel) for m in self.models.values()):
            return self.predict_matrix(self.features.legacy_transform(examples, embed))
        return self.predict_matrix(self.features.transform(examples, embed))


def usable_labels(labels: Sequence[str]) -> set[str]:
    """Classes with enough examples to learn from."""
    counts = Counter(label for label in labels if label)
    return {label for label, count in counts.items() if count >= MIN_PER_CLASS}


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced")


def _out_of_fold(
    x: Any, y: np.ndarray, folds: list[Any], grid: Sequence[float]
) -> dict[float, np.ndarray]:
    """Cross-validated class probabilities (columns in sorted class order) for each C of the
    grid. Within a fold the Cs are fitted from the smallest up, each starting from the previous
    solution (a warm start reaches the same optimum in a fraction of the iterations)."""
    classes = np.unique(y)
    probas = {c: np.zeros((len(y), len(classes))) for c in grid}
    for train, test in folds:
        model = _logistic(min(grid))
        model.set_params(warm_start=True)
        for c in sorted(grid):
            model.set_params(C=c).fit(x[train], y[train])
            columns = np.searchsorted(classes, model.classes_)
            probas[c][np.ix_(test, columns)] = model.predict_proba(x[test])
    return probas


def _macro_f1(y: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    guessed = np.unique(y)[proba.argmax(axis=1)]
    return float(f1_score(y, guessed, average="macro"))


def _choose(x: CaseMatrix, y: np.ndarray, c: float | None) -> dict[str, Any]:
    """The C of each model and the blend weight with the best cross-validated macro-F1 (the small
    classes count as much as the large ones); defaults when there are too few cases to tell."""
    from sklearn.model_selection import StratifiedKFold

    with_embeddings = x.dense is not None
    default = {
        "c_text": c or DEFAULT_C,
        "c_embed": DEFAULT_C_EMBED,
        "text_weight": 0.5 if with_embeddings else 1.0,
        "cv": None,
    }
    smallest = min(Counter(y.tolist()).values())
    n_splits = min(CV_FOLDS, smallest)
    if c is not None or len(y) < CV_MIN_EXAMPLES or n_splits < 3:
        return default
    if len(y) > CV_MAX_EXAMPLES:
        sample = np.sort(np.random.default_rng(0).permutation(len(y))[:CV_MAX_EXAMPLES])
        x, y = x.rows(sample), y[sample]
        n_splits = min(CV_FOLDS, min(Counter(y.tolist()).values()))
        if n_splits < 3:
            return default
    folds = list(StratifiedKFold(n_splits, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    scores: dict[str, dict[float, float]] = {"text": {}, "embed": {}}
    probas: dict[tuple[str, float], np.ndarray] = {}
    for grid_c, proba in _out_of_fold(x.sparse, y, folds, C_GRID_TEXT).items():
        probas["text", grid_c] = proba
        scores["text"][grid_c] = _macro_f1(y, proba)
    c_text = max(C_GRID_TEXT, key=lambda k: scores["text"][k])
    best = {"c_text": c_text, "c_embed": DEFAULT_C_EMBED, "text_weight": 1.0}
    best_f1 = scores["text"][c_text]
    if with_embeddings:
        for grid_c, proba in _out_of_fold(x.dense, y, folds, C_GRID_EMBED).items():
            probas["embed", grid_c] = proba
            scores["embed"][grid_c] = _macro_f1(y, proba)
        c_embed = max(C_GRID_EMBED, key=lambda k: scores["embed"][k])
        best["c_embed"] = c_embed
        for weight in BLEND_WEIGHTS:
            blended = weight * probas["text", c_text] + (1 - weight) * probas["embed", c_embed]
            f1 = _macro_f1(y, blended)
            if f1 > best_f1 + 1e-9:
                best_f1, best["text_weight"] = f1, weight
    return {
        **best,
        "cv": {
            "folds": n_splits,
            "macro_f1": round(best_f1, 4),
            "text": {str(k): round(v, 4) for k, v in scores["text"].items()},
            "embed": {str(k): round(v, 4) for k, v in scores["embed"].items()},
        },
    }


def _fit_target(
    matrix: CaseMatrix,
    labels: Sequence[str],
    c: float | None,
    choice: dict[str, Any] | None = None,
) -> BlendModel | None:
    keep = usable_labels(labels)
    if len(keep) < MIN_CLASSES:
        return None
    rows = [i for i, label in enumerate(labels) if label in keep]
    x = matrix.rows(rows)
    y = np.asarray([labels[i] for i in rows])
    choice = choice or _choose(x, y, c)
    text_model = _logistic(choice["c_text"]).fit(x.sparse, y)
    embed_model = None
    if x.dense is not None and choice["text_weight"] < 1.0:
        embed_model = _logistic(choice["c_embed"]).fit(x.dense, y)
    return BlendModel(
        text_model=text_model,
        embed_model=embed_model,
        text_weight=float(choice["text_weight"]),
        choice=choice,
    )


def classifier_fit(
    examples: Sequence[CaseExample],
    *,
    embed: EmbedFn | None,
    use_embeddings: bool = True,
    c: float | None = None,
    matrix: Any = None,
    choices: dict[str, dict[str, Any]] | None = None,
) -> CaseClassifier:
    """Fit the product and category models on labelled examples (a target whose labels are
    too few is skipped). `c` fixes the regularisation instead of choosing it by cross-validation;
    `choices` reuses the choice of an earlier fit per target (the final refit after the trial);
    `matrix` may pass precomputed features."""
    features = CaseFeatures(use_embeddings=use_embeddings and embed is not None).fit(examples)
    x = matrix if matrix is not None else features.transform(examples, embed)
    classifier = CaseClassifier(features=features)
    for target in ("product", "category"):
        labels = [getattr(e, target) for e in examples]
        model = _fit_target(x, labels, c, (choices or {}).get(target))
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
