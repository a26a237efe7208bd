"""ckm score: score customers with the active models (or one version), with a progress bar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ckm.analytics.management.commands._progress import progress_bar
from ckm.analytics.models import ModelVersion
from ckm.analytics.services import model_score
from ckm.core.errors import DomainError


class Command(BaseCommand):
    help = "Score every customer with the active churn and propensity models (or --slot/--model-version)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--slot", default="", help="only this slot (churn, propensity:SAV)")
        parser.add_argument(
            "--model-version", type=int, default=None, help="only this model version (id)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        versions = ModelVersion.objects.filter(
            status=ModelVersion.Status.ACTIVE, kind__in=["churn", "propensity"]
        )
        if options["slot"]:
            versions = versions.filter(slot=options["slot"])
        if options["model_version"]:
            versions = ModelVersion.objects.filter(pk=options["model_version"])
        if not versions.exists():
            raise CommandError("no model to score with: train one first (ckm train churn)")
        for version in versions:
            bar, progress = progress_bar(f"score {version.slot}", verbosity=options["verbosity"])
            try:
                run = model_score(actor=None, version_id=version.pk, progress=progress)
            except DomainError as exc:
                bar.close()
                raise CommandError(str(exc)) from exc
            bar.close()
            self.stdout.write(
                f"{version}: {run.n_scored:,} customers in {run.seconds:.1f} s"
                f" ({run.n_scored / max(run.seconds, 0.001):,.0f} a second), mean {run.mean}, PSI {run.psi}"
            )
