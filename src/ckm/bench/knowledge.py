"""Knowledge suggestions: learned article suggestions on intent data (e.g. Banking77).

Any folder with train.csv and test.csv (`text,category`) works, optionally with oos_test.csv
(out-of-scope messages, any columns but `text`). One article per category is written and published
through the product's services (title from the category name, a short generated body); every
train message is linked to its article as a resolved customer message with
`article_link_resolution`; the product's training function fits the suggestion model; then
`article_suggest` is asked for every test message. In the same run, two baselines: the product's
lexical search over the articles alone, and lexical (TF-IDF) nearest neighbour over the history;
and the hybrid search agents and the portal use, with and without the title vectors.
`--shots N` keeps N random train messages per category (few-shot)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ckm.bench.report import table

GOALS = {"top1": 0.95, "top5": 0.993, "p95_ms": 30.0, "top1_shots10": 0.90, "oos_recall": 0.90}


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/data/banking77"),
        help="folder with train.csv and test.csv (text,category), optionally oos_test.csv",
    )
    parser.add_argument("--shots", type=int, default=0, help="train messages per category (0: all)")
    parser.add_argument(
        "--oos-categories",
        type=int,
        default=0,
        help="without an oos_test.csv: hold out this many categories (no article, no history) "
        "and use their test messages as out-of-scope",
    )
    parser.add_argument("--limit-test", type=int, default=0, help="ask for this many test messages")
    parser.add_argument("--seed", type=int, default=7)


def read_rows(path: Path) -> list[tuple[str, str]]:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    category = frame["category"] if "category" in frame.columns else [""] * len(frame)
    return [
        (t.strip(), c.strip()) for t, c in zip(frame["text"], category, strict=True) if t.strip()
    ]


def title_of(category: str) -> str:
    words = category.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def article_body(category: str) -> tuple[str, str]:
    """A short generated summary and body: what an editor would write first, knowing only the topic."""
    title = title_of(category)
    summary = f"What to do about: {title.lower()}."
    body = (
        f"## {title}\n\nThis article answers customers who ask about {title.lower()}.\n\n"
        "1. Check the customer's details.\n2. Explain the steps.\n3. Offer further help."
    )
    return summary, body


def few_shot(rows: Sequence[tuple[str, str]], shots: int, seed: int) -> list[tuple[str, str]]:
    by: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        by.setdefault(row[1], []).append(row)
    rng = random.Random(seed)
    chosen: list[tuple[str, str]] = []
    for category in sorted(by):
        members = by[category]
        chosen += rng.sample(members, min(shots, len(members)))
    return chosen


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def lexical_history_baseline(
    train: Sequence[tuple[str, str]], test: Sequence[tuple[str, str]]
) -> float:
    """TF-IDF nearest neighbour over the resolved history: top-1 accuracy."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    history = vectorizer.fit_transform([t for t, _ in train])
    queries = vectorizer.transform([t for t, _ in test])
    labels = np.array([c for _, c in train])
    best = np.asarray((queries @ history.T).argmax(axis=1)).ravel()
    return float(np.mean(labels[best] == np.array([c for _, c in test])))


def run(
    *,
    data: Path,
    shots: int = 0,
    oos_categories: int = 0,
    limit_test: int = 0,
    seed: int = 7,
) -> dict[str, Any]:
    from django.test import override_settings

    from ckm.core.models import Role, User
    from ckm.knowledge import services
    from ckm.knowledge.selectors import article_search
    from ckm.knowledge.services.articles import TAG_MAX_LENGTH
    from ckm.knowledge.suggestions.engine import article_suggest, embed_message
    from ckm.knowledge.suggestions.training import suggestion_model_train

    data = data.expanduser().resolve()
    train = read_rows(data / "train.csv")
    test = read_rows(data / "test.csv")
    oos = read_rows(data / "oos_test.csv") if (data / "oos_test.csv").exists() else []
    if not oos and oos_categories:
        held = set(random.Random(seed).sample(sorted({c for _, c in train}), oos_categories))
        oos = [row for row in test if row[1] in held]
        train = [row for row in train if row[1] not in held]
        test = [row for row in test if row[1] not in held]
    if shots:
        train = few_shot(train, shots, seed)
    if limit_test:
        test = random.Random(seed).sample(test, min(limit_test, len(test)))
        oos = oos[:limit_test]
    categories = sorted({c for _, c in train})
    print(
        f"{data.name}: {len(categories)} categories, {len(train):,} train, {len(test):,} test"
        f"{f', {len(oos):,} out-of-scope' if oos else ''}{f' ({shots}-shot)' if shots else ''}"
    )

    editor, _ = User.objects.get_or_create(
        username="bench-editor", defaults={"role": Role.KNOWLEDGE_EDITOR}
    )
    agent, _ = User.objects.get_or_create(username="bench-agent", defaults={"role": Role.AGENT})

    # one article per category, written and published like an editor would
    started = time.perf_counter()
    articles: dict[str, Any] = {}
    with override_settings(CKM_KNOWLEDGE_EMBED_ON_SAVE=False):
        for category in categories:
            summary, body = article_body(category)
            article = services.article_create(
                actor=editor,
                title=title_of(category),
                summary=summary,
                body_source=body,
                # a tag is at most TAG_MAX_LENGTH characters; the title names the category whole
                tags=[category[:TAG_MAX_LENGTH]],
            )
            articles[category] = services.article_publish(actor=editor, article=article)
    services.articles_embed()
    articles_s = time.perf_counter() - started

    # the resolved history: each train message answered by its category's article
    from django.db import transaction

    started = time.perf_counter()
    with override_settings(CKM_SUGGESTIONS_AUTO_RETRAIN=False):
        for start in range(0, len(train), 500):
            with transaction.atomic():
                for n, (text, category) in enumerate(train[start : start + 500], start=start):
                    services.article_link_resolution(
                        actor=agent,
                        article=articles[category],
                        text=text,
                        source="bench",
                        source_id=f"bench-{n}",
                    )
    link_s = time.perf_counter() - started
    started = time.perf_counter()
    services.evidence_embed()
    embed_s = time.perf_counter() - started

    started = time.perf_counter()
    version = suggestion_model_train(force=True)
    train_s = time.perf_counter() - started
    if version is None or version.status != "ready":
        raise RuntimeError(f"training failed: {getattr(version, 'message', '')}")
    print(
        f"articles {articles_s:.1f} s, linking {link_s:.1f} s, embedding history {embed_s:.1f} s, "
        f"training {train_s:.1f} s -> suggestions v{version.version}: {version.message}"
    )

    article_category = {a.pk: c for c, a in articles.items()}
    embed_message("warm up")
    article_suggest(text="warm up", user=agent, limit=5, include_abstained=True)

    def ask(rows: Sequence[tuple[str, str]]) -> tuple[list[list[str]], list[bool], list[float]]:
        ranked, abstained, seconds = [], [], []
        for text, _ in rows:
            t0 = time.perf_counter()
            result = article_suggest(text=text, user=agent, limit=5, include_abstained=True)
            seconds.append(time.perf_counter() - t0)
            ranked.append([article_category.get(s.article.pk, "") for s in result.suggestions])
            abstained.append(result.abstained)
        return ranked, abstained, seconds

    ranked, abstained, seconds = ask(test)
    truth = [c for _, c in test]
    top1 = float(np.mean([bool(r) and r[0] == c for r, c in zip(ranked, truth, strict=True)]))
    top5 = float(np.mean([c in r[:5] for r, c in zip(ranked, truth, strict=True)]))
    mrr = float(
        np.mean(
            [1 / (r.index(c) + 1) if c in r else 0.0 for r, c in zip(ranked, truth, strict=True)]
        )
    )
    at_threshold = float(
        np.mean(
            [
                (not a) and bool(r) and r[0] == c
                for r, a, c in zip(ranked, abstained, truth, strict=True)
            ]
        )
    )
    oos_recall: float | None = None
    if oos:
        _, oos_abstained, oos_seconds = ask(oos)
        oos_recall = float(np.mean(oos_abstained))
        seconds += oos_seconds

    # baselines, same run: lexical search over the articles alone; lexical nearest neighbour
    started = time.perf_counter()
    search_hits = []
    for text, category in test:
        found = article_search(user=agent, query=text, mode="lexical", limit=1)
        search_hits.append(
            bool(found.hits) and article_category.get(found.hits[0].article.pk) == category
        )
    baseline_search = float(np.mean(search_hits))
    baseline_history = lexical_history_baseline(train, test)
    baseline_s = time.perf_counter() - started

    # the search agents and the portal use (lexical fused with semantic, no history): with the
    # title vector beside the text vector, and with the text vector alone (as before)
    def search_quality() -> tuple[float, float]:
        hits = []
        for text, _ in test:
            found = article_search(user=agent, query=text, limit=5)
            hits.append([article_category.get(h.article.pk) for h in found.hits])
        return (
            float(np.mean([bool(h) and h[0] == c for h, (_, c) in zip(hits, test, strict=True)])),
            float(np.mean([c in h for h, (_, c) in zip(hits, test, strict=True)])),
        )

    from ckm.knowledge.models import Article
    from ckm.knowledge.search import semantic_index_clear

    search_top1, search_top5 = search_quality()
    titles = dict(Article.objects.values_list("pk", "title_embedding"))
    Article.objects.update(title_embedding=None)
    semantic_index_clear()
    text_only_top1, text_only_top5 = search_quality()
    for pk, vector in titles.items():
        Article.objects.filter(pk=pk).update(title_embedding=vector)
    semantic_index_clear()

    result: dict[str, Any] = {
        "dataset": str(data.name),
        "categories": len(categories),
        "train": len(train),
        "test": len(test),
        "shots": shots or None,
        "oos_test": len(oos) or None,
        "top1": round(top1, 4),
        "top5": round(top5, 4),
        "mrr": round(mrr, 4),
        "abstained_share": round(float(np.mean(abstained)), 4),
        "top1_at_threshold": round(at_threshold, 4) if oos else None,
        "in_scope_top1_at_threshold": round(at_threshold, 4),
        "oos_recall": round(oos_recall, 4) if oos_recall is not None else None,
        "threshold": version.threshold,
        "p50_ms": round(1000 * percentile(seconds, 50), 2),
        "p95_ms": round(1000 * percentile(seconds, 95), 2),
        "train_s": round(train_s, 1),
        "embed_history_s": round(embed_s, 1),
        "link_s": round(link_s, 1),
        "baseline_top1": round(max(baseline_search, baseline_history), 4),
        "baseline_search_top1": round(baseline_search, 4),
        "baseline_history_top1": round(baseline_history, 4),
        "baseline_s": round(baseline_s, 1),
        "search_top1": round(search_top1, 4),
        "search_top5": round(search_top5, 4),
        "search_text_only_top1": round(text_only_top1, 4),
        "search_text_only_top5": round(text_only_top5, 4),
        "model_version": f"v{version.version}",
        "model_metrics": version.metrics,
        "goals": GOALS,
    }
    print(
        table(
            [
                ["product: learned suggestions", top1, top5, mrr],
                ["baseline: lexical search over articles", baseline_search, None, None],
                ["baseline: lexical nearest neighbour (history)", baseline_history, None, None],
                ["search (hybrid), text + title vectors", search_top1, search_top5, None],
                ["search (hybrid), text vector only", text_only_top1, text_only_top5, None],
            ],
            ["method", "top-1", "top-5", "MRR"],
            title="\nknowledge suggestions",
        )
    )
    print(
        table(
            [
                [
                    result["p50_ms"],
                    result["p95_ms"],
                    result["train_s"],
                    result["abstained_share"],
                    result["in_scope_top1_at_threshold"],
                    result["oos_recall"],
                ]
            ],
            [
                "p50 ms",
                "p95 ms",
                "train s",
                "abstained (in-scope)",
                "top-1 at threshold",
                "OOS recall",
            ],
        )
    )
    return result


def write_folder(
    folder: Path, train: Sequence[tuple[str, str]], test: Sequence[tuple[str, str]]
) -> Path:
    """A train/test folder in the bench's format (tests build tiny ones)."""
    import csv

    for name, rows in (("train.csv", train), ("test.csv", test)):
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "category"])
            writer.writerows(rows)
    return folder
