"""ckm topics-refresh: embed new cases, assign them to topics (or rediscover), then check for
emerging topics and knowledge gaps. For cron: `*/30 * * * * ckm topics-refresh`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ckm.feedback.services import topics_refresh


class Command(BaseCommand):
    help = "Refresh the case topics (new cases join their topic; --full clusters every case again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Discover the topics again")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int, message: str) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"{done}/{total} {message}")

        result = topics_refresh(full=options["full"], progress=progress)
        self.stdout.write(
            f"{result.run.get_kind_display()}: {result.run.message}; "
            f"{result.embedded:,} cases read, {result.assigned:,} assigned"
        )
