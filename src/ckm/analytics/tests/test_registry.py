"""Training, scoring and the registry: versions, promote, roll back, current scores, drift."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from ckm.analytics.learning import TrainingError
from ckm.analytics.models import ModelVersion, Score, ScoringRun
from ckm.analytics.services import model_promote, model_rollback, model_score, model_train
from ckm.analytics.services.training import training_examples
from ckm.analytics.tests.conftest import AS_OF
from ckm.core.errors import ConflictError
from ckm.core.models import AuditEntry
from ckm.customers.models import Customer, Holding, Product

pytestmark = pytest.mark.django_db


def test_the_first_churn_model_is_active_and_every_customer_is_scored(bank) -> None:
    version = ModelVersion.objects.get(pk=bank["churn"])
    assert version.status == "active" and version.slot == "churn" and version.version == 1
    assert version.metrics["auc"] > 0.7, version.metrics
    assert {"pr_auc", "brier", "lift_by_decile", "calibration", "importance"} <= set(
        version.metrics
    )
    assert version.features and all({"name", "label", "kind"} <= set(f) for f in version.features)
    assert version.window_end == AS_OF and version.training_seconds > 0 and version.artifact
    run = version.current_run
    assert run.n_scored == Customer.objects.exclude(status="closed").count()
    assert run.psi is not None and run.psi < 0.1  # the training population shows no drift
    scores = Score.objects.filter(run=run)
    assert scores.count() == run.n_scored
    assert set(scores.values_list("decile", flat=True)) == set(range(1, 11))
    drifting = Score.objects.filter(run=run, customer_id__in=bank["drifting"]).values_list(
        "value", flat=True
    )
    loyal = (
        Score.objects.filter(run=run)
        .exclude(customer_id__in=bank["drifting"])
        .values_list("value", flat=True)
    )
    assert sum(drifting) / len(drifting) > 3 * sum(loyal) / len(loyal)
    top = scores.order_by("-value").first()
    assert top.reasons and len(top.reasons[0]) == 3


def test_promote_roll_back_and_the_current_scores(bank, manager) -> None:
    first = ModelVersion.objects.get(pk=bank["churn"])
    second = model_train(actor=manager, kind="churn", as_of=AS_OF, folds=2, auto_promote=False)
    assert second.status == "candidate" and second.version == 2 and second.current_run is None
    assert ModelVersion.objects.get(pk=first.pk).status == "active"
    model_promote(actor=manager, version_id=second.pk)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == "active" and first.status == "retired"
    assert second.current_run is not None  # scored when promoted
    assert ModelVersion.objects.filter(slot="churn", status="active").count() == 1
    back = model_rollback(actor=manager, slot="churn")
    assert back.pk == first.pk and back.status == "active"
    assert ModelVersion.objects.get(pk=second.pk).status == "retired"
    with pytest.raises(ConflictError):
        model_rollback(actor=manager, slot="churn")  # nothing earlier than v1
    assert (
        AuditEntry.objects.filter(
            object_type="analytics.modelversion",
            actor=manager,
            summary__in=["promoted", "rolled back"],
        ).count()
        == 2
    )


def test_rescoring_replaces_the_current_scores_and_measures_drift(bank) -> None:
    version = ModelVersion.objects.get(pk=bank["churn"])
    before = version.current_run_id
    run = model_score(actor=None, version_id=version.pk)
    version.refresh_from_db()
    assert version.current_run_id == run.pk != before
    assert not Score.objects.filter(run_id=before).exists()  # the old run's rows are gone
    assert ScoringRun.objects.filter(pk=before).exists()  # its summary stays for the drift chart
    assert run.psi_previous == pytest.approx(0, abs=0.01)


def test_propensity_learns_from_products_opened_after_each_cut(bank) -> None:
    product = Product.objects.get(external_id="INV")
    examples = training_examples(
        kind="propensity",
        product=product,
        label="",
        population=None,
        as_of=AS_OF,
        horizon_days=90,
        snapshots=2,
    )
    assert len(set(examples.keys["as_of"])) == 2
    holders_at_cut = set(
        Holding.objects.filter(product=product, opened__lte=examples.window_start).values_list(
            "customer_id", flat=True
        )
    )
    first_cut = examples.keys[examples.keys["as_of"] == examples.keys["as_of"].min()]
    assert not holders_at_cut & set(first_cut["customer_id"])  # who already held it is no prospect
    assert examples.y.sum() > 0


def test_a_model_no_better_than_chance_is_not_promoted(bank) -> None:
    loan = Product.objects.get(external_id="LOAN")  # nothing in the synthetic bank predicts loans
    try:
        version = model_train(
            actor=None, kind="propensity", product_id=loan.pk, as_of=AS_OF, folds=2
        )
    except TrainingError:
        return  # too few loans opened to learn from: also not promoted
    if version.auc < 0.55:
        assert version.status == "candidate" and "not promoted" in version.message


def test_roles_that_may_not_train_or_promote(bank, marketer) -> None:
    with pytest.raises(PermissionDenied):
        model_train(actor=marketer, kind="churn")
    with pytest.raises(PermissionDenied):
        model_promote(actor=marketer, version_id=bank["churn"])


def test_a_label_that_does_not_exist_fails_the_version_with_the_reason(bank) -> None:
    with pytest.raises(TrainingError, match="no 'responded' labels"):
        model_train(actor=None, kind="churn", label="responded")
    failed = ModelVersion.objects.get(slot="churn", status="failed")
    assert "responded" in failed.message


def test_the_scoring_run_chart_keeps_versions_apart_and_reads_as_dates(
    bank, manager, login
) -> None:
    import re

    from django.utils import timezone

    second = model_train(actor=manager, kind="churn", as_of=AS_OF, folds=2, auto_promote=False)
    model_promote(actor=manager, version_id=second.pk)  # scored: v1's run and v2's, seconds apart
    second.refresh_from_db()
    html = login(manager).get(f"/analytics/models/{second.pk}/").content.decode()
    chart = html[html.index("Mean score of each scoring run") :]
    assert ">v1<" in chart and ">v2<" in chart  # a line and a legend entry per version
    labels = re.findall(r'role-axis-label".*?</g>', chart, flags=re.S)[0]
    day = timezone.localtime(second.current_run.finished_at).strftime("%-d %b")
    assert f">{day} " in labels and not re.search(r">[.:]\d+<", labels)
