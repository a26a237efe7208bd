"""ckm serve: applies pending migrations, then runs the development server plus one background
worker, stopped together (make run).

The server answers at once; runserver loads ckm.wsgi, whose background warm-up loads the sentence
model and the learned models and logs "warm-up: models ready" (CKM_WARM_UP=0 turns it off)."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web application and run a background worker beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # a newer version of the code may bring migrations: apply them before serving, or every
        # page that reads a new column answers 500
        call_command("migrate", interactive=False, verbosity=0)
        worker = None
        if settings.CKM_TASK_BACKEND != "immediate":
            worker = subprocess.Popen(
                [sys.executable, "-m", "ckm.cli", "worker", "--interval", "0.5"]
            )
        # a plain `kill` (SIGTERM) must stop the worker too, not only Ctrl-C
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:  # busy with a long task: do not leave it behind
                    worker.kill()
                    worker.wait()
