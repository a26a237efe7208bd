"""ckm train churn|propensity: train a model version now, with a progress bar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ckm.analytics.learning import TrainingError
from ckm.analytics.management.commands._progress import progress_bar
from ckm.analytics.services import model_train
from ckm.core.errors import DomainError
from ckm.customers.models import Product


class Command(BaseCommand):
    help = "Train a churn or propensity model; the first version of a model (or a better one with --promote) becomes active and scores every customer."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=["churn", "propensity"])
        parser.add_argument("--product", default="", help="product id (propensity)")
        parser.add_argument(
            "--label",
            default="",
            help="outcome label to learn (default: churned, or took_<product>, or from holdings)",
        )
        parser.add_argument(
            "--horizon", type=int, default=None, help="days between features and outcome"
        )
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument(
            "--promote",
            action="store_true",
            help="promote when it ranks at least as well as the active version",
        )
        parser.add_argument("--no-score", action="store_true", help="do not score after promoting")

    def handle(self, *args: Any, **options: Any) -> None:
        product_id = None
        if options["kind"] == "propensity":
            product = Product.objects.filter(external_id=options["product"]).first()
            if product is None:
                raise CommandError(
                    f"no product with the id {options['product']!r} (give --product)"
                )
            product_id = product.pk
        bar, progress = progress_bar(f"train {options['kind']}", verbosity=options["verbosity"])
        try:
            version = model_train(
                actor=None,
                kind=options["kind"],
                product_id=product_id,
                label=options["label"],
                horizon_days=options["horizon"],
                folds=options["folds"],
                auto_promote=options["promote"],
                score=not options["no_score"],
                progress=progress,
            )
        except (TrainingError, DomainError) as exc:
            bar.close()
            raise CommandError(str(exc)) from exc
        bar.close()
        metrics = version.metrics
        self.stdout.write(
            f"{version} ({version.get_status_display()}): AUC {metrics.get('auc')}, PR AUC {metrics.get('pr_auc')},"
            f" top-decile lift {metrics.get('lift_top_decile')}, {version.n_examples:,} examples, {version.training_seconds:.1f} s"
        )
        self.stdout.write(self.style.SUCCESS(version.message))
