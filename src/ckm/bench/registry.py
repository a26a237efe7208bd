"""The benchmarks `ckm bench NAME` knows. Each module exposes

    add_arguments(parser)            its own options (optional)
    run(*, out, **options) -> dict   runs the product's real code path and its baseline, prints a
                                     table, returns the figures (written to JSON by the command)

Modules import heavy libraries inside run(), so listing the benchmarks stays fast."""

from __future__ import annotations

BENCHMARKS: dict[str, str] = {
    "import": "ckm.bench.importing",
    "search": "ckm.bench.search",
    "knowledge": "ckm.bench.knowledge",
    "knowledge-search": "ckm.bench.knowledge_search",
    "complaints": "ckm.bench.complaints",
    "churn": "ckm.bench.churn",
    "propensity": "ckm.bench.propensity",
    "clv": "ckm.bench.clv",
    "scoring": "ckm.bench.scoring",
    "uplift": "ckm.bench.uplift",
    "desk": "ckm.bench.desk",
    "linkage": "ckm.bench.linkage",
}
