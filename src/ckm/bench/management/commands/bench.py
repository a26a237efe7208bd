"""ckm bench NAME: run a benchmark (the product's real code path and its baseline, in one process),
print a table and write the figures as JSON."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ckm.bench.registry import BENCHMARKS
from ckm.bench.report import environment, write_json
from ckm.bench.scratch import scratch_database


class Command(BaseCommand):
    help = "Run a benchmark: ckm bench NAME [options]. `ckm bench NAME -h` lists its options."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(
            dest="benchmark", required=True, metavar="NAME", parser_class=CommandParser
        )
        for name, module_path in BENCHMARKS.items():
            try:
                module = importlib.import_module(module_path)
            except ModuleNotFoundError:
                continue  # a benchmark whose app is not built yet
            sub = subparsers.add_parser(
                name,
                help=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else name,
            )
            sub.add_argument(
                "--out", type=Path, default=None, help="JSON file (default var/bench/NAME.json)"
            )
            sub.add_argument(
                "--keep-db", action="store_true", help="keep (and reuse) the scratch database"
            )
            sub.add_argument(
                "--in-place",
                action="store_true",
                help="use the working database instead of a scratch one",
            )
            if hasattr(module, "add_arguments"):
                module.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options.pop("benchmark")
        module = importlib.import_module(BENCHMARKS[name])
        out: Path = options.pop("out") or Path(settings.VAR_DIR) / "bench" / f"{name}.json"
        keep, in_place = options.pop("keep_db"), options.pop("in_place")
        for key in (
            "verbosity",
            "settings",
            "pythonpath",
            "traceback",
            "no_color",
            "force_color",
            "skip_checks",
        ):
            options.pop(key, None)
        started = time.perf_counter()
        if in_place:
            result = module.run(**options)
        else:
            with scratch_database(name, keep=keep):
                result = module.run(**options)
        if not isinstance(result, dict):
            raise CommandError(f"benchmark {name} returned no figures")
        result = {
            "benchmark": name,
            **result,
            "wall_s": round(time.perf_counter() - started, 2),
            "environment": environment(),
        }
        write_json(out, result)
        self.stdout.write(self.style.SUCCESS(f"\nwritten to {out}"))
