"""ckm service-schedule: SLA warnings and escalation, the support mailbox, classifier retraining.

Run it from cron (`*/5 * * * * ckm service-schedule`) or as a process (`--loop 300`). Each pass
checks SLA timers, polls the mailbox when CKM_MAIL_IMAP is set, and retrains the case classifier
when it is older than CKM_SERVICE_RETRAIN_DAYS (7) and new labelled cases arrived."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the service schedule once (cron) or every --loop seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, default=0)
        parser.add_argument("--train", action="store_true", help="retrain the classifier now")

    def handle(self, *args: Any, **options: Any) -> None:
        from ckm.service.services.schedule import service_schedule_run

        while True:
            for line in service_schedule_run(force_train=options["train"]):
                self.stdout.write(line)
            if not options["loop"]:
                return
            time.sleep(options["loop"])
