"""ckm alerts-evaluate: evaluate the early-warning rules and raise retention alerts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ckm.analytics.services import alerts_evaluate


class Command(BaseCommand):
    help = "Evaluate the active alert rules over the current data and raise retention alerts."

    def handle(self, *args: Any, **options: Any) -> None:
        raised = alerts_evaluate(actor=None)
        for rule, count in raised.items():
            self.stdout.write(f"{rule}: {count} new alert{'s' if count != 1 else ''}")
        if not raised:
            self.stdout.write("no active alert rules")
