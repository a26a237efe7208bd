"""Knowledge search at scale: the product's search selector against the raw engine query.

Writes N synthetic articles (default 100k: titles and bodies from a banking vocabulary with a long
tail of rare words, categories, both audiences; every article published) in bulk, so the database's
own triggers fill the full-text index. Then, for the same queries (words taken from random
articles, some with a typo), times:

- product, lexical:  `ckm.knowledge.selectors.article_search(mode="lexical")` — the engine's match
  plus what the product adds: visibility (status, expiry, audience), highlighted snippets, typo
  correction when little matches, loading the articles;
- raw engine:        the bare FTS5 `MATCH ... ORDER BY rank LIMIT 20` (PostgreSQL: the tsquery
  match ordered by ts_rank_cd on the GIN index);
- product, hybrid:   the same selector fused with semantic search (the query embedded by the local
  model, brute-force cosine over all article vectors). The synthetic articles get random unit
  vectors: embedding 100k texts would take an hour on two cores and does not change the timing.

Goal: p95 of the product's lexical search ≤ 2 × p95 of the raw engine query.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from typing import Any

from django.db import connection

from ckm.bench.report import table

WORDS = [
    "account",
    "card",
    "block",
    "lost",
    "stolen",
    "replacement",
    "pin",
    "change",
    "limit",
    "transfer",
    "standing",
    "order",
    "direct",
    "debit",
    "overdraft",
    "interest",
    "rate",
    "mortgage",
    "loan",
    "repayment",
    "savings",
    "deposit",
    "fixed",
    "term",
    "fund",
    "portfolio",
    "dividend",
    "tax",
    "statement",
    "fee",
    "charge",
    "refund",
    "dispute",
    "chargeback",
    "fraud",
    "phishing",
    "online",
    "banking",
    "app",
    "login",
    "password",
    "reset",
    "address",
    "move",
    "name",
    "marriage",
    "inheritance",
    "power",
    "attorney",
    "death",
    "certificate",
    "branch",
    "appointment",
    "advisor",
    "insurance",
    "travel",
    "abroad",
    "currency",
    "exchange",
    "cash",
    "machine",
    "withdrawal",
    "contactless",
    "wallet",
    "apple",
    "google",
    "pay",
    "notification",
    "sms",
    "code",
    "device",
    "token",
    "credit",
    "score",
    "salary",
    "account",
    "opening",
    "closing",
    "complaint",
    "delay",
    "error",
    "duplicate",
    "payment",
    "reversal",
    "foreign",
    "instant",
    "sepa",
    "swift",
    "iban",
    "bic",
    "beneficiary",
    "cheque",
    "coin",
    "student",
    "pension",
    "retirement",
    "child",
    "junior",
    "business",
    "merchant",
    "terminal",
    "invoice",
]


def add_arguments(parser: Any) -> None:
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--hybrid-queries", type=int, default=100)
    parser.add_argument(
        "--reuse", action="store_true", help="the scratch database is already loaded (--keep-db)"
    )


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(1000 * ordered[-1], 2),
    }


def _rare(rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(letters) for _ in range(rng.randint(5, 9)))


def _write_articles(n: int, *, seed: int = 7) -> None:
    import numpy as np
    from django.utils import timezone

    from ckm.knowledge.embeddings import DIMENSIONS
    from ckm.knowledge.models import Article, Category

    rng = random.Random(seed)
    vectors = np.random.default_rng(seed)
    categories = [
        Category.objects.create(name=f"Topic {i}", slug=f"topic-{i}", path=f"Topic {i}")
        for i in range(40)
    ]
    # a Zipf-shaped vocabulary, as in real text: a few words in most articles, most words in few
    vocabulary = WORDS + [_rare(rng) for _ in range(30_000)]
    cumulative = list(
        itertools.accumulate(1.0 / (rank + 1) ** 1.1 for rank in range(len(vocabulary)))
    )
    now = timezone.now()
    batch: list[Article] = []
    started = time.perf_counter()
    for i in range(n):
        title_words = rng.choices(vocabulary[:400], k=3) + rng.choices(
            vocabulary, cum_weights=cumulative, k=2
        )
        body_words = rng.choices(vocabulary, cum_weights=cumulative, k=80)
        title = " ".join(title_words).capitalize()
        body = " ".join(body_words)
        vector = vectors.standard_normal(DIMENSIONS).astype(np.float32)
        vector /= np.linalg.norm(vector)
        batch.append(
            Article(
                title=title,
                slug=f"bench-{i}",
                summary=" ".join(body_words[:14]),
                body_source=body,
                body_html=f"<p>{body}</p>",
                body_text=body,
                category=categories[i % len(categories)],
                audience="public" if i % 3 else "internal",
                status="published",
                published_at=now,
                embedding=vector.tobytes(),
                embedded_hash="bench",
            )
        )
        if len(batch) == 5000:
            Article.objects.bulk_create(batch)
            batch = []
    if batch:
        Article.objects.bulk_create(batch)
    print(f"wrote {n:,} articles in {time.perf_counter() - started:.0f} s")


def _queries(n: int, *, seed: int = 11) -> list[str]:
    from ckm.knowledge.models import Article

    rng = random.Random(seed)
    top = Article.objects.order_by("-id").values_list("id", flat=True).first() or 0
    picks = list(
        Article.objects.filter(
            id__in=[rng.randrange(1, top + 1) for _ in range(n * 2)]
        ).values_list("title", "body_text")[:n]
    )
    queries = []
    for i, (title, body) in enumerate(picks):
        words = (title + " " + body).split()
        query = rng.sample(words[:40], min(len(words), rng.randint(2, 4)))
        if i % 10 == 0:  # one in ten with a typo (two letters swapped)
            word = query[0]
            if len(word) > 4:
                j = rng.randrange(1, len(word) - 2)
                query[0] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        queries.append(" ".join(query))
    return queries


def run(*, articles: int, queries: int, hybrid_queries: int, reuse: bool = False) -> dict[str, Any]:
    from ckm.core.models import Role, User
    from ckm.knowledge import search as engine
    from ckm.knowledge.embeddings import embed_one
    from ckm.knowledge.models import Article
    from ckm.knowledge.selectors import article_search

    if not reuse or not Article.objects.exists():
        _write_articles(articles)
    total = Article.objects.count()
    agent, _ = User.objects.get_or_create(username="bench-agent", defaults={"role": Role.AGENT})
    workload = _queries(queries)
    raw = engine.pg_raw if connection.vendor == "postgresql" else engine.sqlite_raw

    # warm both paths (page cache, vocabulary for typo correction, the embedding model)
    for q in workload[:10]:
        raw(q)
        article_search(user=agent, query=q, mode="lexical")
    embed_one("warm up")

    raw_times, product_times, found = [], [], 0
    for q in workload:
        started = time.perf_counter()
        raw(q)
        raw_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = article_search(user=agent, query=q, mode="lexical")
        product_times.append(time.perf_counter() - started)
        found += bool(result.hits)
    hybrid_times = []
    for q in workload[:hybrid_queries]:
        started = time.perf_counter()
        article_search(user=agent, query=q, mode="hybrid")
        hybrid_times.append(time.perf_counter() - started)

    product, baseline, hybrid = _ms(product_times), _ms(raw_times), _ms(hybrid_times)
    ratio = round(product["p95_ms"] / baseline["p95_ms"], 2) if baseline["p95_ms"] else None
    print(
        table(
            [
                [
                    "raw engine query (baseline)",
                    len(raw_times),
                    baseline["p50_ms"],
                    baseline["p95_ms"],
                    "1.00",
                ],
                [
                    "product search, lexical",
                    len(product_times),
                    product["p50_ms"],
                    product["p95_ms"],
                    f"{ratio:.2f}" if ratio else "-",
                ],
                [
                    "product search, hybrid",
                    len(hybrid_times),
                    hybrid["p50_ms"],
                    hybrid["p95_ms"],
                    f"{hybrid['p95_ms'] / baseline['p95_ms']:.2f}" if baseline["p95_ms"] else "-",
                ],
            ],
            ["path", "queries", "p50 ms", "p95 ms", "p95 / raw"],
            title=f"\nknowledge search over {total:,} articles ({connection.vendor})",
        )
    )
    print(
        f"goal: product lexical p95 ≤ 2 × raw p95 — {'met' if ratio and ratio <= 2 else 'NOT met'}"
    )
    return {
        "database": connection.vendor,
        "articles": total,
        "queries": len(workload),
        "found_rate": round(found / max(1, len(workload)), 3),
        "raw": baseline,
        "product_lexical": product,
        "product_hybrid": hybrid,
        "p95_ms": product["p95_ms"],
        "baseline_p95_ms": baseline["p95_ms"],
        "p95_ratio": ratio,
        "goal_met": bool(ratio and ratio <= 2),
    }
