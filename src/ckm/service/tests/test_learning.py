"""The learned triage: training on the firm's own cases, suggestions on arrival, corrections as
training data, the registry; and the cases.csv import."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from ckm.core.services import import_run, import_start
from ckm.core.tests.package_files import write_package
from ckm.customers.models import CustomerEvent
from ckm.service.learning import CaseExample, classifier_fit, evaluate
from ckm.service.models import Case, CaseStatus, ClassifierModel
from ckm.service.services import case_correct, case_intake, classifier_train

pytestmark = pytest.mark.django_db

TOPICS = {
    ("CARD", "card lost"): ["lost my card", "card stolen wallet", "block my debit card"],
    ("CARD", "card fee"): ["annual card fee", "charged a fee on my card", "card fee too high"],
    ("LOAN", "loan rate"): ["loan interest rate", "rate of my personal loan", "loan repayment"],
}


def history(desk: dict[str, Any], n: int = 60) -> None:
    rng = random.Random(1)
    products = {"CARD": desk["card"], "LOAN": desk["loan"]}
    start = timezone.now() - dt.timedelta(days=200)
    for i in range(n):
        (product, category), phrases = list(TOPICS.items())[i % 3]
        Case.objects.create(
            kind="complaint",
            channel=rng.choice(["phone", "email"]),
            subject=rng.choice(phrases),
            body=f"{rng.choice(phrases)} please help {rng.randint(1, 99)}",
            product=products[product],
            category=category,
            status=CaseStatus.CLOSED,
            opened_at=start + dt.timedelta(days=i),
            closed_at=start + dt.timedelta(days=i, hours=5),
        )


def test_the_learner_separates_topics_without_embeddings() -> None:
    examples = [
        CaseExample(text=f"{p} {i}", product=prod, category=cat)
        for i in range(10)
        for (prod, cat), phrases in TOPICS.items()
        for p in phrases
    ]
    fitted = classifier_fit(examples, embed=None, use_embeddings=False)
    metrics = evaluate(fitted, examples[:30], embed=None)
    assert metrics["category"]["accuracy"] > 0.9 and fitted.targets == ["category", "product"]


def test_training_registers_an_active_version_and_new_cases_get_suggestions(desk, agent) -> None:
    history(desk)
    row = classifier_train(actor=None)
    assert row.status == ClassifierModel.Status.READY and row.active
    assert row.metrics["category"]["accuracy"] >= 0.8 and row.n_examples == 60
    case = case_intake(
        actor=agent, channel="phone", subject="Lost card", body="I lost my card, block it"
    )
    assert case.classifier_version == row.version
    assert case.suggested_category == "card lost" and case.suggested_category_confidence > 0.5
    assert case.suggested_product == desk["card"]
    # the confident suggestion routes the case to the cards queue before anyone decides
    assert case.queue == desk["cards"]
    assert case.events.filter(kind="classified").exists()


def test_a_correction_becomes_training_data(desk, agent) -> None:
    history(desk)
    classifier_train(actor=None)
    case = case_intake(actor=agent, channel="phone", subject="rate", body="loan interest rate")
    case_correct(actor=agent, case_id=case.pk, category="loan early repayment")
    from ckm.service.services.classify import training_cases

    assert training_cases().filter(pk=case.pk).exists()


def test_training_needs_enough_cases_and_a_permission(desk, agent) -> None:
    from django.core.exceptions import PermissionDenied

    from ckm.core.errors import DomainError

    with pytest.raises(PermissionDenied):
        classifier_train(actor=agent)
    with pytest.raises(DomainError):
        classifier_train(actor=None)
    assert ClassifierModel.objects.get().status == ClassifierModel.Status.FAILED


CASES = (
    "case_id,customer_id,kind,product_id,opened_at,text,category,resolution,channel,office,"
    "closed_at,status\n"
    "CS1,C1,complaint,CUR,2026-09-01T10:00:00,Fee on my account,fees,Refunded,phone,CC1,"
    "2026-09-03T10:00:00,closed\n"
    "CS2,C2,request,SAV,2026-10-20T09:00:00,Open a savings plan,savings plan,,web,MUC,,open\n"
    "CS3,,idea,,2026-10-21T09:00:00,An app for the branch queue,app,,letter,,,in_progress\n"
    "CS4,NOPE,complaint,,2026-10-21T09:00:00,x,,,phone,,,open\n"
)


def test_cases_csv_loads_history_and_routes_open_cases(desk, tmp_path: Path) -> None:
    folder = write_package(tmp_path / "pkg", cases=CASES)
    run = import_run(run_id=import_start(user=None, source=folder, enqueue=False).pk)
    report = {f["file"]: f for f in run.files}["cases.csv"]
    assert report["status"] == "rejected" and report["issue_count"] == 1
    fixed = write_package(tmp_path / "pkg", cases=CASES.rsplit("CS4", 1)[0])
    run = import_run(run_id=import_start(user=None, source=fixed, enqueue=False).pk)
    assert {f["file"]: f for f in run.files}["cases.csv"]["inserted"] == 3
    closed = Case.objects.get(external_id="CS1")
    assert closed.status == "closed" and closed.customer.external_id == "C1"
    assert closed.resolved_at == closed.closed_at and closed.queue is None
    assert CustomerEvent.objects.filter(customer=closed.customer, kind="case_closed").exists()
    open_case = Case.objects.get(external_id="CS2")
    assert open_case.channel == "portal" and open_case.status == "received"
    assert open_case.queue is not None and open_case.resolution_due is not None
    unknown = Case.objects.get(external_id="CS3")
    assert unknown.customer is None and unknown.status == "in_progress"
    import_run(run_id=import_start(user=None, source=fixed, enqueue=False).pk)
    assert Case.objects.count() == 3


def test_the_refit_reuses_the_trials_cross_validated_choice(monkeypatch) -> None:
    from ckm.service import learning

    topics = {
        "CARD": "my card was blocked at the shop",
        "LOAN": "question about my loan repayment",
        "SAV": "interest on my savings account",
    }
    examples = [
        learning.CaseExample(text=f"{text} number {n}", product=product, category=product)
        for product, text in topics.items()
        for n in range(40)
    ]
    trial = learning.classifier_fit(examples, embed=None, use_embeddings=False)
    chosen = {target: model.choice for target, model in trial.models.items()}
    assert chosen["product"]["cv"] is not None  # 120 cases: chosen by cross-validation

    def no_second_search(*args, **kwargs):
        raise AssertionError("the refit must not cross-validate again")

    monkeypatch.setattr(learning, "_choose", no_second_search)
    final = learning.classifier_fit(examples, embed=None, use_embeddings=False, choices=chosen)
    assert {t: m.choice for t, m in final.models.items()} == chosen
    guess = final.predict([learning.CaseExample(text="my card was blocked")], None)[0].product
    assert guess is not None and guess.label == "CARD"


def test_the_warm_started_grid_matches_a_fresh_fit_for_every_c() -> None:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import StratifiedKFold

    from ckm.service.learning import _logistic, _out_of_fold

    x, y = make_classification(
        n_samples=300, n_features=40, n_informative=12, n_classes=4, random_state=3
    )
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(x, y))
    grid = (0.3, 3.0, 30.0)
    warm = _out_of_fold(x, y, folds, grid)
    for c in grid:
        cold = np.zeros_like(warm[c])
        for train, test in folds:
            cold[test] = _logistic(c).fit(x[train], y[train]).predict_proba(x[test])
        assert np.abs(warm[c] - cold).max() < 0.03  # the same optimum, to the solver tolerance
        assert (warm[c].argmax(1) == cold.argmax(1)).mean() > 0.99
