"""ckm duplicates-find: compare every customer with its likely twins and list the probable
duplicates on the Duplicates page (run it nightly from cron, or after a large import)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ckm.customers.services.identity import duplicates_find


class Command(BaseCommand):
    help = "Find customers recorded twice (probabilistic record linkage)."

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(total=3, unit="step", disable=None) as bar:

            def progress(done: int, total: int, message: str) -> None:
                bar.set_description(message)
                bar.update(done - bar.n)

            result = duplicates_find(progress=progress)
        self.stdout.write(
            f"Compared {result['customers']:,} customers ({result['compared']:,} candidate "
            f"pairs; chance agreement {'learned' if result['learned'] else 'from the priors'}, "
            f"duplicates' agreement learned from {result['merges_learned_from']:,} merges) in "
            f"{result['seconds']} s: {result['found']:,} probable duplicates, {result['new']:,} "
            f"new, {result['removed']:,} no longer found."
        )
