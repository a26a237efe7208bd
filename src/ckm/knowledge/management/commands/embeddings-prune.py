"""ckm embeddings-prune: delete cached sentence vectors nobody has read for a while.

Training and topic discovery keep each text's vector on disk (VAR_DIR/embeddings) so a rerun
costs a file read instead of a model pass; a vector that is read stays. Run it from cron, e.g.
`30 3 * * 0 ckm embeddings-prune --days 90`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ckm.knowledge.embeddings import cache_dir, cache_prune


class Command(BaseCommand):
    help = "Delete cached sentence vectors not written or read for DAYS days (default 90)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=90.0, help="age in days (default 90)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1: a shorter age throws away live work.")
        result = cache_prune(older_than_days=days)
        self.stdout.write(
            f"{cache_dir()}: removed {result['removed']:,} vectors "
            f"({result['bytes_freed'] / 1e6:.1f} MB), kept {result['kept']:,}"
        )
