"""ckm analytics-schedule: keep value, scores, alerts and models current.

Run it from cron (`*/15 * * * * ckm analytics-schedule`) or as a long-running process
(`ckm analytics-schedule --loop 900`). Each pass: retrain models older than
CKM_ANALYTICS_RETRAIN_DAYS (promoting a new version only when it ranks at least as well); after
new imports or when scores are older than CKM_ANALYTICS_RESCORE_HOURS, recompute value and CLV,
rescore and evaluate the alert rules; otherwise evaluate the alert rules and take the day's
segment snapshots."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from ckm.analytics.services import analytics_schedule_run


class Command(BaseCommand):
    help = "Run the analytics schedule once (cron) or every --loop seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--loop", type=int, default=0, help="run every this many seconds, forever"
        )
        parser.add_argument(
            "--force", action="store_true", help="retrain and refresh now, whatever the age"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            for line in analytics_schedule_run(force=options["force"]):
                self.stdout.write(line)
            if not options["loop"]:
                return
            time.sleep(options["loop"])
