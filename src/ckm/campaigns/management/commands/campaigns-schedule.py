"""ckm campaigns-schedule: close the loop on a schedule.

Run it from cron (`*/30 * * * * ckm campaigns-schedule`) or as a long-running process
(`ckm campaigns-schedule --loop 1800`). Each pass detects conversions of launched campaigns in new
holdings and transactions, then retrains the propensity model of every product whose campaigns
have at least CKM_CAMPAIGNS_RETRAIN_MIN_NEW (20) outcomes no model has learned from yet."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from ckm.campaigns.services import conversions_detect_all, loop_schedule_run


class Command(BaseCommand):
    help = "Detect conversions and retrain on campaign responses once (cron) or every --loop s."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--loop", type=int, default=0, help="run every this many seconds, forever"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            found = conversions_detect_all()
            versions = loop_schedule_run()
            self.stdout.write(
                f"{found} conversion(s) detected; {len(versions)} model(s) retrained"
                + (f" (versions {', '.join(map(str, versions))})" if versions else "")
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])
