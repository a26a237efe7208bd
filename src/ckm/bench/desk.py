"""The service desk dashboard at scale: the performance app's desk KPIs over a year of cases.

Writes N synthetic cases spread over the last 52 weeks (bulk insert: the intake is not what is
measured) with the shape of a working desk (about 1 % still open, first answers and resolutions
mostly within their targets, a satisfaction answer on a third of the closed ones, ten queues and
forty agents), then times the product's `desk_kpis` (SQL aggregates per measure and week, queue and
agent, plus the medians) for 4, 12 and 52 weeks against the baseline: the same period's headline counts as one
SQL aggregate (opened, closed, targets met and decided, mean satisfaction) with no per-week, per-
queue or per-agent breakdown and no medians - the floor of reading those rows at all. The
dashboard keeps its figures for a few minutes; "kept" times a second view within them."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from typing import Any

from ckm.bench.report import table


def add_arguments(parser: Any) -> None:
    parser.add_argument("--cases", type=int, default=200_000, help="cases over the last year")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per period")


def _ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * statistics.median(samples), 1),
        "max_ms": round(1000 * max(samples), 1),
    }


def _load(n: int, seed: int = 5) -> None:
    from django.utils import timezone

    from ckm.core.models import Role, User
    from ckm.service.models import Case, Queue

    rng = random.Random(seed)
    agents = [
        User.objects.create_user(username=f"bench.agent{i}", role=Role.AGENT) for i in range(40)
    ]
    queues = [Queue.objects.create(name=f"Bench queue {i}", rank=i) for i in range(10)]
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    batch: list[Case] = []
    for _ in range(n):
        opened = now - dt.timedelta(seconds=rng.uniform(0, 364 * 86400))
        fr_due = opened + 8 * hour
        res_due = opened + 80 * hour
        is_open = rng.random() < 0.01 or (now - opened) < dt.timedelta(days=2)
        fr_at = opened + rng.uniform(0.1, 1.6) * 8 * hour
        resolved = None if is_open else opened + rng.uniform(0.1, 1.5) * 80 * hour
        closed = None if resolved is None else resolved + rng.uniform(0, 48) * hour
        rated = closed is not None and rng.random() < 0.33
        batch.append(
            Case(
                kind=rng.choice(("request", "complaint", "complaint", "idea")),
                channel=rng.choice(("phone", "email", "letter", "portal", "chat")),
                status="in_progress" if is_open else "closed",
                queue=rng.choice(queues),
                assignee=rng.choice(agents),
                opened_at=opened,
                first_response_due=fr_due,
                first_response_at=min(fr_at, now),
                resolution_due=res_due,
                resolved_at=resolved if resolved is None else min(resolved, now),
                closed_at=closed if closed is None else min(closed, now),
                escalated_at=None if resolved is None or resolved <= res_due else res_due,
                satisfaction_score=rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if rated else None,
                satisfaction_at=min(closed + 24 * hour, now) if rated and closed else None,
            )
        )
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)


def _baseline(start: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    from django.db.models import Avg, Count, F, Q

    from ckm.service.models import Case

    period = Q(opened_at__gte=start, opened_at__lte=now)
    return Case.objects.aggregate(
        opened=Count("id", filter=period),
        closed=Count("id", filter=Q(closed_at__gte=start, closed_at__lte=now)),
        fr_decided=Count(
            "id",
            filter=period
            & (Q(first_response_at__isnull=False) | Q(first_response_due__lt=now))
            & Q(first_response_due__isnull=False),
        ),
        fr_met=Count("id", filter=period & Q(first_response_at__lte=F("first_response_due"))),
        satisfaction=Avg("satisfaction_score", filter=Q(satisfaction_at__gte=start)),
    )


def run(*, cases: int, repeat: int) -> dict[str, Any]:
    from django.utils import timezone

    from ckm.core.models import Role, User
    from ckm.performance.selectors import desk_kpis, desk_kpis_cached, period_start

    started = time.perf_counter()
    _load(cases)
    print(f"wrote {cases:,} cases in {time.perf_counter() - started:.0f} s")
    manager = User.objects.create_user(username="bench.manager", role=Role.MANAGER)
    results: dict[str, Any] = {"cases": cases, "periods": {}}
    rows = []
    for weeks in (4, 12, 52):
        now = timezone.now()
        ours, base = [], []
        kpis = None
        for _ in range(repeat):
            t = time.perf_counter()
            kpis = desk_kpis(user=manager, weeks=weeks, now=now)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            floor = _baseline(period_start(now, weeks), now)
            base.append(time.perf_counter() - t)
        assert kpis is not None
        desk_kpis_cached(user=manager, weeks=weeks, refresh=True)
        kept = []
        for _ in range(repeat):
            t = time.perf_counter()
            desk_kpis_cached(user=manager, weeks=weeks)
            kept.append(time.perf_counter() - t)
        same = kpis.desk.opened == floor["opened"] and kpis.desk.closed == floor["closed"]
        product, baseline = _ms(ours), _ms(base)
        results["periods"][str(weeks)] = {
            "opened": kpis.desk.opened,
            "product": product,
            "kept": _ms(kept),
            "baseline_sql_aggregate": baseline,
            "same_counts": same,
        }
        rows.append(
            [
                weeks,
                kpis.desk.opened,
                product["p50_ms"],
                baseline["p50_ms"],
                round(product["p50_ms"] / max(baseline["p50_ms"], 0.1), 1),
                results["periods"][str(weeks)]["kept"]["p50_ms"],
                "yes" if same else "NO",
            ]
        )
    print(
        table(
            rows,
            [
                "weeks",
                "cases opened",
                "product p50 ms",
                "SQL floor p50 ms",
                "ratio",
                "kept p50 ms",
                "same",
            ],
            title=f"\ndesk KPIs over {cases:,} cases of the last year",
        )
    )
    return results
