"""ckm analytics-refresh: recompute value and CLV, rescore, evaluate alert rules, snapshot segments."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ckm.analytics.management.commands._progress import progress_bar
from ckm.analytics.services import analytics_refresh


class Command(BaseCommand):
    help = "Recompute every customer's value and CLV, rescore with the active models, evaluate the alert rules and take today's segment snapshots."

    def handle(self, *args: Any, **options: Any) -> None:
        bar, progress = progress_bar("refresh", verbosity=options["verbosity"])
        result = analytics_refresh(progress=progress)
        bar.close()
        value = result["value"]
        self.stdout.write(
            f"value: {value['customers']:,} customers as of {value['as_of']} ({value['note']}) in {value['seconds']} s"
        )
        self.stdout.write(
            f"scored with {result['scored']} models; alerts raised: {result['alerts']}; {result['snapshots']} segment snapshots"
        )
