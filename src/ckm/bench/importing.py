"""Import throughput and memory: a synthetic package through the real import, beside the raw engine.

The baseline is the database's own bulk insert of the same CSV rows with no validation, typing,
reference checks or reporting (csv.reader + executemany into a bare table): the ceiling the import
is measured against."""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from ckm.bench.memory import PeakMemory
from ckm.bench.report import table
from ckm.bench.synthetic import write_package


def add_arguments(parser: Any) -> None:
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument(
        "--package", type=Path, default=None, help="import this package instead of a synthetic one"
    )


def _raw_insert(path: Path) -> tuple[int, float]:
    """The baseline: raw executemany of the file's rows into a scratch table (no checks)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = ", ".join(f'"c{i}" text' for i in range(len(header)))
        placeholders = ", ".join(["%s"] * len(header))
        rows = 0
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_raw")
            cursor.execute(f"CREATE TABLE bench_raw ({columns})")
            batch: list[list[str]] = []
            for record in reader:
                batch.append(record)
                if len(batch) == 5000:
                    cursor.executemany(f"INSERT INTO bench_raw VALUES ({placeholders})", batch)
                    rows += len(batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO bench_raw VALUES ({placeholders})", batch)
                rows += len(batch)
            cursor.execute("DROP TABLE bench_raw")
        return rows, time.perf_counter() - started


def run(*, customers: int, interactions: int, package: Path | None = None) -> dict[str, Any]:
    from ckm.core.services import import_run, import_start

    with tempfile.TemporaryDirectory(prefix="ckm-bench-import-") as tmp:
        folder = package or Path(tmp)
        if package is None:
            started = time.perf_counter()
            write_package(folder, customers=customers, interactions=interactions)
            print(
                f"wrote a synthetic package ({customers:,} customers, {interactions:,} interactions) in {time.perf_counter() - started:.1f} s"
            )
        with PeakMemory() as peak:
            run_ = import_start(user=None, source=folder, enqueue=False)
            run_ = import_run(run_id=run_.pk)
        files = {f["file"]: f for f in run_.files}
        baseline = {}
        for name in ("customers.csv", "interactions.csv"):
            if (folder / name).exists():
                rows, seconds = _raw_insert(folder / name)
                baseline[name] = {
                    "rows": rows,
                    "seconds": round(seconds, 2),
                    "rows_per_second": int(rows / seconds),
                }
        sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    lines: list[list[Any]] = []
    for name, report in files.items():
        raw = baseline.get(name, {})
        lines.append(
            [
                name,
                report["status"],
                report["rows"],
                report["seconds"],
                report["rows_per_second"],
                raw.get("rows_per_second"),
                round(report["rows_per_second"] / raw["rows_per_second"], 2) if raw else None,
                round(sizes.get(name, 0) / 1e6, 1),
            ]
        )
    print(
        table(
            lines,
            ["file", "status", "rows", "seconds", "rows/s", "raw rows/s", "ratio", "MB"],
            title=f"\nimport {run_.pk}: {run_.status}",
        )
    )
    print(f"peak RSS during the import: {peak.mb:,.0f} MB")
    return {
        "database": connection.vendor,
        "customers": customers,
        "interactions": interactions,
        "status": run_.status,
        "files": files,
        "baseline_raw_insert": baseline,
        "peak_rss_mb": round(peak.mb, 1),
        "customers_rows_per_s": files.get("customers.csv", {}).get("rows_per_second"),
        "interactions_rows_per_s": files.get("interactions.csv", {}).get("rows_per_second"),
    }
