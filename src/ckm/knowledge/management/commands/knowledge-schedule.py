"""ckm knowledge-schedule: publish approved articles whose time has come and archive expired ones;
compute the vectors of articles that have none or one made by an older recipe (after an upgrade).

Run it from cron (`*/5 * * * * ckm knowledge-schedule`) or queue it (`--background`). Pages and
the API already hide expired articles and show due ones on read; this makes the status match."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ckm.knowledge.services import articles_embed, articles_schedule_apply


class Command(BaseCommand):
    help = "Publish approved articles whose time has come; archive expired ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--background", action="store_true", help="queue it for the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["background"]:
            from ckm.knowledge.tasks import articles_schedule_task

            articles_schedule_task.enqueue()
            self.stdout.write("queued")
            return
        result = articles_schedule_apply()
        self.stdout.write(f"published {result['published']}, archived {result['archived']}")
        embedded = articles_embed(outdated_only=True)
        if embedded:
            self.stdout.write(f"computed {embedded} article vectors")
