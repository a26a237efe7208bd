"""ckm segments-learn: learn customer clusters with readable descriptions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ckm.analytics.management.commands._progress import progress_bar
from ckm.analytics.services import segments_learn
from ckm.core.errors import DomainError


class Command(BaseCommand):
    help = "Cluster customers (KMeans on value, products and activity) into learned segments."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--k",
            type=int,
            default=0,
            help="number of clusters (default: chosen by silhouette, 3-6)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar, progress = progress_bar("segments", verbosity=options["verbosity"])
        try:
            version = segments_learn(actor=None, k=options["k"], progress=progress)
        except DomainError as exc:
            bar.close()
            raise CommandError(exc.message) from exc
        bar.close()
        self.stdout.write(self.style.SUCCESS(version.message))
        for segment in version.segments.all():
            self.stdout.write(
                f"  {segment.name}: {segment.profile.get('size')} customers — {segment.description}"
            )
