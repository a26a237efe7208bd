"""ckm worker: run background tasks from the configured queue (database or Redis)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a worker for background tasks (imports, training, scoring)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="stop after this many tasks"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls (database)"
        )
        parser.add_argument(
            "--burst", action="store_true", help="(redis) stop when the queue is empty"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = settings.CKM_TASK_BACKEND
        if backend == "database":
            extra = ["--max-tasks", str(options["max_tasks"])] if options["max_tasks"] else []
            call_command(
                "db_worker",
                "--interval",
                str(options["interval"]),
                "--no-startup-delay",
                "--no-reload",
                *extra,
            )
        elif backend == "redis":
            extra = ["--burst"] if options["burst"] else []
            # django-tasks' RQ backend runs its tasks through its own job class
            call_command(
                "rqworker", "default", "--job-class", "django_tasks_rq.backend.Job", *extra
            )
        else:
            raise CommandError(
                "CKM_TASK_BACKEND=immediate runs tasks in the caller; no worker is needed."
            )
