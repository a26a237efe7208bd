"""Article search: lexical by the database's own engine (SQLite FTS5 or PostgreSQL full-text),
corrected for typos, fused by reciprocal rank with semantic search over the stored sentence
vectors (brute-force cosine with numpy). `ckm.knowledge.selectors.article_search` is the public face;
this module is the engine behind it and takes already-allowed article filters.

Ranking: each engine returns its best candidates in order; the fused score of an article is
Σ 1 / (RRF_K + rank) over the engines that found it (Cormack et al., 2009). RRF needs no score
calibration between bm25 and cosine, which is why it is used rather than a weighted sum.
"""

from __future__ import annotations

import html
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection

from ckm.core.text import edit_distance
from ckm.knowledge import embeddings

RRF_K = 60
CANDIDATES = 50
# below this cosine a semantic match does not count as an answer (knowledge gaps, the portal)
GOOD_ANSWER = 0.45
# a semantic candidate must be at least this close to take part in the fusion at all
SEMANTIC_FLOOR = 0.25
TRIGRAM_MIN = 0.45
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)

# the weighted vector of title (A), summary (B) and body (C), stored with its GIN index
# (migrations/0005_search_vector_column): ranking reads it instead of parsing every match again
PG_VECTOR = "knowledge_article.search_vector"


@dataclass(frozen=True)
class Scope:
    """Which articles a search may return (already restricted to what the user may see)."""

    statuses: tuple[str, ...] = ("published",)
    audiences: tuple[str, ...] = ("internal", "public")
    category_ids: tuple[int, ...] = ()
    product_id: int | None = None
    # published articles past their expiry, approved ones past their time: checked on read
    # (the database's own form of "now", see scope_now)
    now: Any = None


@dataclass
class Hit:
    article_id: int
    score: float = 0.0
    lexical_rank: int | None = None
    semantic_rank: int | None = None
    cosine: float | None = None
    snippet: str = ""


@dataclass
class EngineResult:
    hits: list[Hit]
    corrected: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    top_cosine: float | None = None


def scope_now() -> Any:
    """Now, as the database compares it with stored datetimes."""
    from django.utils import timezone

    return connection.ops.adapt_datetimefield_value(timezone.now())


def tokens(query: str) -> list[str]:
    """The words of a query, lower case, without stop words (all words if only stop words)."""
    words = re.findall(r"\w+", query.lower())
    kept = [w for w in words if w not in STOP_WORDS and len(w) > 1]
    return kept or [w for w in words if len(w) > 1]


def safe_snippet(raw: str) -> str:
    """An engine's snippet as HTML: the text escaped, only the match marks kept."""
    escaped = html.escape(raw or "")
    return escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


# --- SQLite FTS5 -----------------------------------------------------------------------------


def fts5_match(words: list[str], *, prefix_last: bool = True) -> str:
    """An FTS5 query: any of the words (bm25 ranks articles with more of them higher)."""
    terms = []
    for i, word in enumerate(words):
        quoted = '"' + word.replace('"', "") + '"'
        if prefix_last and i == len(words) - 1 and len(word) >= 3:
            quoted += "*"
        terms.append(quoted)
    return " OR ".join(terms)


def _scope_sql(scope: Scope, alias: str = "a") -> tuple[str, list[Any]]:
    clauses = [
        f"({alias}.status = 'published' AND ({alias}.expires_at IS NULL OR {alias}.expires_at > %s)"
        f" OR {alias}.status = 'in_review' AND {alias}.publish_at <= %s"
        f" AND ({alias}.expires_at IS NULL OR {alias}.expires_at > %s))"
        if scope.statuses == ("published",)
        else f"{alias}.status IN ({', '.join(['%s'] * len(scope.statuses))})"
    ]
    params: list[Any] = (
        [scope.now] * 3 if scope.statuses == ("published",) else list(scope.statuses)
    )
    if tuple(sorted(scope.audiences)) != ("internal", "public"):
        clauses.append(f"{alias}.audience IN ({', '.join(['%s'] * len(scope.audiences))})")
        params += list(scope.audiences)
    if scope.category_ids:
        clauses.append(f"{alias}.category_id IN ({', '.join(['%s'] * len(scope.category_ids))})")
        params += list(scope.category_ids)
    if scope.product_id is not None:
        clauses.append(
            f"EXISTS (SELECT 1 FROM knowledge_article_products p WHERE p.article_id = {alias}.id"
            " AND p.product_id = %s)"
        )
        params.append(scope.product_id)
    return " AND ".join(clauses), params


def sqlite_lexical(words: list[str], scope: Scope, *, limit: int = CANDIDATES) -> list[Hit]:
    """FTS5 MATCH ranked by bm25 (title weighs most), with highlighted snippets."""
    if not words:
        return []
    where, params = _scope_sql(scope)
    match = fts5_match(words)
    # rank first, then make snippets for the best rows only (snippet() is the costly part)
    sql = (
        "WITH top AS (SELECT f.rowid AS id, bm25(knowledge_article_fts, 10.0, 4.0, 1.0, 2.0) AS r "
        "FROM knowledge_article_fts f JOIN knowledge_article a ON a.id = f.rowid "
        f"WHERE knowledge_article_fts MATCH %s AND {where} ORDER BY r LIMIT %s) "
        "SELECT top.id, top.r, "
        f"snippet(knowledge_article_fts, 2, '{MARK_OPEN}', '{MARK_CLOSE}', ' … ', 24) "
        "FROM knowledge_article_fts JOIN top ON knowledge_article_fts.rowid = top.id "
        "WHERE knowledge_article_fts MATCH %s ORDER BY top.r"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, limit, match])
        rows = cursor.fetchall()
    return [
        Hit(article_id=row[0], lexical_rank=i, snippet=safe_snippet(row[2]))
        for i, row in enumerate(rows, 1)
    ]


def sqlite_raw(query: str, *, limit: int = 20) -> list[int]:
    """The engine alone: FTS5 MATCH ordered by bm25, nothing else (the benchmark's baseline)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM knowledge_article_fts WHERE knowledge_article_fts MATCH %s "
            "ORDER BY rank LIMIT %s",
            [fts5_match(tokens(query)), limit],
        )
        return [row[0] for row in cursor.fetchall()]


# --- PostgreSQL full-text ---------------------------------------------------------------------


def pg_tsquery(words: list[str]) -> str:
    """A to_tsquery text: any of the words, the last as a prefix."""
    parts = []
    for i, word in enumerate(words):
        clean = re.sub(r"[^\w]", "", word)
        if not clean:
            continue
        parts.append(clean + (":*" if i == len(words) - 1 and len(clean) >= 3 else ""))
    return " | ".join(parts)


def pg_lexical(words: list[str], scope: Scope, *, limit: int = CANDIDATES) -> list[Hit]:
    """to_tsquery against the stored, GIN-indexed weighted vector, ranked by ts_rank_cd, with
    ts_headline snippets (SearchRank / SearchHeadline in SQL form)."""
    text = pg_tsquery(words)
    if not text:
        return []
    where, params = _scope_sql(scope, alias="knowledge_article")
    sql = (
        "WITH q AS (SELECT to_tsquery('english'::regconfig, %s) AS query), "
        "top AS (SELECT knowledge_article.id, knowledge_article.body_text, "
        f"ts_rank_cd({PG_VECTOR}, q.query) AS r FROM knowledge_article, q "
        f"WHERE {PG_VECTOR} @@ q.query AND {where} ORDER BY r DESC LIMIT %s) "
        "SELECT top.id, top.r, ts_headline('english'::regconfig, top.body_text, q.query, "
        f"'StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, MaxWords=30, MinWords=12') "
        "FROM top, q ORDER BY top.r DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [text, *params, limit])
        rows = cursor.fetchall()
    return [
        Hit(article_id=row[0], lexical_rank=i, snippet=safe_snippet(row[2]))
        for i, row in enumerate(rows, 1)
    ]


def pg_raw(query: str, *, limit: int = 20) -> list[int]:
    """The engine alone: tsquery match ordered by rank (the benchmark's baseline)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH q AS (SELECT to_tsquery('english'::regconfig, %s) AS query) "
            f"SELECT knowledge_article.id FROM knowledge_article, q WHERE {PG_VECTOR} @@ q.query "
            f"ORDER BY ts_rank_cd({PG_VECTOR}, q.query) DESC LIMIT %s",
            [pg_tsquery(tokens(query)), limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _pg_has_trigram() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def pg_title_trigram(query: str, scope: Scope, *, limit: int = 10) -> list[Hit]:
    """Typo tolerance on PostgreSQL: titles whose words are close to the query's (pg_trgm
    word similarity, averaged over the query's words)."""
    words = tokens(query)[:6]
    if not words or not _pg_has_trigram():
        return []
    where, params = _scope_sql(scope, alias="knowledge_article")
    similarity = " + ".join(["word_similarity(%s, knowledge_article.title)"] * len(words))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, ({similarity}) / %s AS s FROM knowledge_article WHERE {where} "
            f"AND ({similarity}) / %s > %s ORDER BY s DESC LIMIT %s",
            [*words, len(words), *params, *words, len(words), TRIGRAM_MIN, limit],
        )
        rows = cursor.fetchall()
    return [Hit(article_id=row[0], lexical_rank=i) for i, row in enumerate(rows, 1)]


# --- typo correction (SQLite: the FTS vocabulary; both: edit distance) -----------------------

_vocab_lock = threading.Lock()
_vocab: dict[str, Any] = {"at": 0.0, "terms": frozenset(), "by_len": {}}
VOCAB_TTL = 120.0


def _vocabulary() -> tuple[frozenset[str], dict[int, list[str]]]:
    """The indexed (stemmed) terms, cached for a while in the process."""
    with _vocab_lock:
        if time.monotonic() - _vocab["at"] > VOCAB_TTL:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT term FROM knowledge_article_fts_vocab WHERE doc >= 1 AND length(term) > 2"
                )
                terms = frozenset(row[0] for row in cursor.fetchall() if row[0] not in STOP_WORDS)
            by_len: dict[int, list[str]] = {}
            # in a fixed order: among equally close terms the same one wins in every process
            for term in sorted(terms):
                by_len.setdefault(len(term), []).append(term)
            _vocab.update(at=time.monotonic(), terms=terms, by_len=by_len)
        return _vocab["terms"], _vocab["by_len"]


def vocabulary_clear() -> None:
    with _vocab_lock:
        _vocab["at"] = 0.0


def _known(word: str, terms: frozenset[str]) -> bool:
    if word in terms or len(word) <= 3:
        return True
    # stems are prefixes of the word, give or take the last letters ("blocking" -> "block")
    return any(word[:n] in terms for n in range(len(word) - 1, max(3, len(word) - 4), -1))


def correct_words(words: list[str]) -> list[str]:
    """Each unknown word replaced by the closest indexed term (edit distance ≤ 1, or ≤ 2 for
    long words); known words stay."""
    if connection.vendor != "sqlite":
        return words
    terms, by_len = _vocabulary()
    corrected = []
    for word in words:
        if _known(word, terms):
            corrected.append(word)
            continue
        limit = 1 if len(word) <= 5 else 2
        best, best_d = word, limit + 1
        for length in range(max(4, len(word) - limit - 3), len(word) + limit + 1):
            for term in by_len.get(length, ()):
                d = edit_distance(word, term, limit=limit)
                if d > limit and len(word) - 3 <= len(term) < len(word):
                    # a stem is shorter than its word ("interest" for "intrests"): compare the
                    # word cut to the stem's length, allowing one edit
                    d = edit_distance(word[: len(term)], term, limit=1) + 1
                if d < best_d or (d == best_d and len(term) > len(best)):
                    best, best_d = term, d
        corrected.append(best)
    return corrected


# --- semantic --------------------------------------------------------------------------------

_index_lock = threading.Lock()
_index: dict[str, Any] = {"at": 0.0, "ids": None}
INDEX_TTL = 60.0


@dataclass
class SemanticIndex:
    ids: np.ndarray
    matrix: np.ndarray
    audience_public: np.ndarray
    category: np.ndarray


def semantic_index_clear() -> None:
    """Forget the cached vectors (after new ones were computed in this process)."""
    with _index_lock:
        _index["at"] = 0.0


def search_matrix(texts: list[bytes], titles: list[bytes]) -> np.ndarray:
    """The vectors search compares a query with: each article's text vector plus its title
    vector, normalised (the text vector alone where the title's is missing). Questions are short
    and name what a title names; the whole text's vector alone blurs that (the demo's resolved
    messages as portal queries: top-1 0.660 -> 0.700, MRR 0.726 -> 0.765)."""
    matrix = embeddings.stack(texts).copy()
    has_title = np.array([len(t) > 0 for t in titles])
    if has_title.any():
        matrix[has_title] += embeddings.stack([t for t in titles if t])
        norms = np.linalg.norm(matrix[has_title], axis=1, keepdims=True)
        matrix[has_title] /= np.where(norms > 0, norms, 1.0)
    return matrix


def _semantic_index() -> SemanticIndex | None:
    """Every article vector in one matrix, cached in the process for INDEX_TTL seconds."""
    from ckm.knowledge.models import Article

    with _index_lock:
        if time.monotonic() - _index["at"] > INDEX_TTL:
            rows = list(
                Article.objects.filter(embedding__isnull=False)
                .order_by("id")
                .values_list("id", "embedding", "title_embedding", "audience", "category_id")
            )
            if rows:
                _index["value"] = SemanticIndex(
                    ids=np.array([r[0] for r in rows], dtype=np.int64),
                    matrix=search_matrix(
                        [bytes(r[1] or b"") for r in rows], [bytes(r[2] or b"") for r in rows]
                    ),
                    audience_public=np.array([r[3] == "public" for r in rows]),
                    category=np.array([r[4] or 0 for r in rows], dtype=np.int64),
                )
            else:
                _index["value"] = None
            _index["at"] = time.monotonic()
        value: SemanticIndex | None = _index.get("value")
        return value


def semantic(
    query: str, scope: Scope, *, allowed: set[int] | None = None, limit: int = CANDIDATES
) -> list[Hit]:
    """Articles whose vector is closest to the query's (cosine), within the scope."""
    index = _semantic_index()
    if index is None or not query.strip():
        return []
    vector = embeddings.embed_one(query)
    scores = index.matrix @ vector
    mask = np.ones(len(index.ids), dtype=bool)
    if tuple(sorted(scope.audiences)) == ("public",):
        mask &= index.audience_public
    elif tuple(sorted(scope.audiences)) == ("internal",):
        mask &= ~index.audience_public
    if scope.category_ids:
        mask &= np.isin(index.category, np.array(scope.category_ids, dtype=np.int64))
    scores = np.where(mask & (scores >= SEMANTIC_FLOOR), scores, -1.0)
    # the status, expiry and product checks need the database: over-fetch, then filter
    take = min(len(scores), limit * 4)
    if take == 0:
        return []
    top = np.argpartition(-scores, take - 1)[:take]
    top = top[np.argsort(-scores[top])]
    candidates = [(int(index.ids[i]), float(scores[i])) for i in top if scores[i] > -1.0]
    if allowed is None:
        allowed = _allowed([pk for pk, _ in candidates], scope)
    hits: list[Hit] = []
    for pk, cosine in candidates:
        if pk in allowed:
            hits.append(Hit(article_id=pk, semantic_rank=len(hits) + 1, cosine=cosine))
            if len(hits) >= limit:
                break
    return hits


def _allowed(ids: list[int], scope: Scope) -> set[int]:
    if not ids:
        return set()
    where, params = _scope_sql(scope)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id FROM knowledge_article a WHERE a.id IN ({', '.join(['%s'] * len(ids))})"
            f" AND {where}",
            [*ids, *params],
        )
        return {row[0] for row in cursor.fetchall()}


# --- the whole search ------------------------------------------------------------------------


def lexical(query: str, scope: Scope, *, limit: int = CANDIDATES) -> tuple[list[Hit], str]:
    """The database engine's ranked matches, typo-corrected when the words are not indexed."""
    words = tokens(query)
    engine = pg_lexical if connection.vendor == "postgresql" else sqlite_lexical
    hits = engine(words, scope, limit=limit)
    corrected = ""
    if len(hits) < 3 and words:
        if connection.vendor == "postgresql":
            seen = {h.article_id for h in hits}
            extra = [h for h in pg_title_trigram(query, scope) if h.article_id not in seen]
            for i, hit in enumerate(extra, len(hits) + 1):
                hit.lexical_rank = i
            hits += extra
        else:
            fixed = correct_words(words)
            if fixed != words:
                corrected = " ".join(fixed)
                seen = {h.article_id for h in hits}
                more = [h for h in engine(fixed, scope, limit=limit) if h.article_id not in seen]
                for i, hit in enumerate(more, len(hits) + 1):
                    hit.lexical_rank = i
                hits += more
    return hits, corrected


def fuse(lexical_hits: list[Hit], semantic_hits: list[Hit]) -> list[Hit]:
    """Reciprocal rank fusion of the two rankings."""
    merged: dict[int, Hit] = {}
    for hit in lexical_hits:
        merged[hit.article_id] = Hit(
            article_id=hit.article_id,
            lexical_rank=hit.lexical_rank,
            snippet=hit.snippet,
            score=1.0 / (RRF_K + (hit.lexical_rank or CANDIDATES)),
        )
    for hit in semantic_hits:
        entry = merged.setdefault(hit.article_id, Hit(article_id=hit.article_id))
        entry.semantic_rank = hit.semantic_rank
        entry.cosine = hit.cosine
        entry.score += 1.0 / (RRF_K + (hit.semantic_rank or CANDIDATES))
    return sorted(merged.values(), key=lambda h: (-h.score, h.article_id))


def search(query: str, scope: Scope, *, mode: str = "hybrid", limit: int = 20) -> EngineResult:
    """Lexical, semantic or both fused, best first."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    lexical_hits: list[Hit] = []
    corrected = ""
    if mode in ("hybrid", "lexical"):
        lexical_hits, corrected = lexical(
            query, scope, limit=CANDIDATES if mode == "hybrid" else limit
        )
    timings["lexical"] = (time.perf_counter() - started) * 1000
    semantic_hits: list[Hit] = []
    if mode in ("hybrid", "semantic"):
        started = time.perf_counter()
        semantic_hits = semantic(query, scope)
        timings["semantic"] = (time.perf_counter() - started) * 1000
    hits = fuse(lexical_hits, semantic_hits)[:limit]
    top_cosine = max((h.cosine for h in semantic_hits if h.cosine is not None), default=None)
    return EngineResult(hits=hits, corrected=corrected, timings_ms=timings, top_cosine=top_cosine)
