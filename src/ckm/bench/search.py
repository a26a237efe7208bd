"""Customer search as-you-type and the customer profile, at scale.

Loads a synthetic bank (default 100k customers, 1M interactions) through the real import, then times
the product's search (index range scans on name, e-mail, phone and id keys) against the naive
baseline (case-insensitive substring match, a full scan), and the profile page as an agent sees it."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Q
from django.test import Client

from ckm.bench.report import table
from ckm.bench.synthetic import write_package


def add_arguments(parser: Any) -> None:
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--profiles", type=int, default=100, help="profile pages to open")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the scratch database is already loaded (with --keep-db)",
    )


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(1000 * ordered[-1], 2),
    }


def run(
    *, customers: int, interactions: int, queries: int, profiles: int, reuse: bool = False
) -> dict[str, Any]:
    from ckm.core.models import Role, User
    from ckm.core.services import import_run, import_start
    from ckm.customers.models import ContactPoint, Customer
    from ckm.customers.selectors import customer_search

    if not reuse or not Customer.objects.exists():
        with tempfile.TemporaryDirectory(prefix="ckm-bench-search-") as tmp:
            write_package(Path(tmp), customers=customers, interactions=interactions)
            started = time.perf_counter()
            run_ = import_run(run_id=import_start(user=None, source=Path(tmp), enqueue=False).pk)
            print(
                f"imported {customers:,} customers and {interactions:,} interactions in {time.perf_counter() - started:.0f} s ({run_.status})"
            )
    total = Customer.objects.count()
    agent, _ = User.objects.get_or_create(username="bench-agent", defaults={"role": Role.AGENT})
    rng = random.Random(3)
    sample = (
        list(
            Customer.objects.order_by("?").values_list(
                "id", "first_name", "last_name", "external_id"
            )[: queries * 2]
        )
        if connection.vendor != "sqlite"
        else None
    )
    if sample is None:
        top = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0
        ids = [rng.randrange(1, top + 1) for _ in range(queries * 2)]
        sample = list(
            Customer.objects.filter(id__in=ids).values_list(
                "id", "first_name", "last_name", "external_id"
            )
        )
    emails = dict(
        ContactPoint.objects.filter(
            customer_id__in=[s[0] for s in sample], kind="email"
        ).values_list("customer_id", "value")
    )
    phones = dict(
        ContactPoint.objects.filter(
            customer_id__in=[s[0] for s in sample], kind="phone"
        ).values_list("customer_id", "value")
    )
    workloads: dict[str, list[str]] = {
        "name prefix (4 letters)": [s[2][:4] for s in sample[:queries]],
        "first + last name": [f"{s[1]} {s[2][:3]}" for s in sample[:queries]],
        "e-mail prefix": [emails[s[0]][:12] for s in sample[:queries] if s[0] in emails],
        "phone digits": [phones[s[0]][-11:] for s in sample[:queries] if s[0] in phones],
        "customer id": [s[3] for s in sample[:queries]],
    }

    def naive(q: str) -> list[Any]:
        return list(
            Customer.objects.filter(
                Q(display_name__icontains=q)
                | Q(external_id__icontains=q)
                | Q(contact_points__value__icontains=q)
            ).distinct()[:10]
        )

    results: dict[str, Any] = {}
    rows = []
    for label, terms in workloads.items():
        product_times, naive_times, hits = [], [], 0
        for term in terms:
            started = time.perf_counter()
            found = customer_search(user=agent, q=term, limit=10)
            product_times.append(time.perf_counter() - started)
            hits += bool(found)
        for term in terms[: max(10, len(terms) // 10)]:
            started = time.perf_counter()
            naive(term)
            naive_times.append(time.perf_counter() - started)
        product, baseline = _ms(product_times), _ms(naive_times)
        results[label] = {
            "product": product,
            "baseline_naive": baseline,
            "hit_rate": round(hits / max(1, len(terms)), 3),
        }
        rows.append(
            [
                label,
                len(terms),
                product["p50_ms"],
                product["p95_ms"],
                baseline["p50_ms"],
                baseline["p95_ms"],
                results[label]["hit_rate"],
            ]
        )
    print(
        table(
            rows,
            ["query", "n", "p50 ms", "p95 ms", "naive p50 ms", "naive p95 ms", "found"],
            title=f"\ncustomer search over {total:,} customers ({connection.vendor})",
        )
    )

    client = Client()
    client.force_login(agent)
    profile_times, queries_used = [], []
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    for customer_id, *_ in sample[:profiles]:
        # the query log is a bounded deque: once full, a capture would count nothing
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(f"/customers/{customer_id}/")
            profile_times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        queries_used.append(len(captured))
    profile = _ms(profile_times)
    print(
        table(
            [
                [
                    "customer profile (agent)",
                    len(profile_times),
                    profile["p50_ms"],
                    profile["p95_ms"],
                    max(queries_used),
                ]
            ],
            ["page", "n", "p50 ms", "p95 ms", "max queries"],
        )
    )
    return {
        "database": connection.vendor,
        "customers": total,
        "interactions": interactions,
        "search": results,
        "search_p95_ms": max(r["product"]["p95_ms"] for r in results.values()),
        "baseline_p95_ms": max(r["baseline_naive"]["p95_ms"] for r in results.values()),
        "profile": {**profile, "max_queries": max(queries_used)},
    }
