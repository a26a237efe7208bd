"""The CLI, the schedule and the demo seed on a small synthetic bank."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from ckm.analytics.models import Alert, AlertRule, CustomerValue, ModelVersion, Segment
from ckm.analytics.services import analytics_schedule_run, analytics_seed_demo
from ckm.analytics.synthetic import synthetic_bank
from ckm.core.models import ImportRun

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture
def small_bank(db):
    return synthetic_bank(customers=160, months=8, drift_share=0.15, seed=11, as_of=AS_OF)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, verbosity=0)
    return out.getvalue()


def test_train_score_and_evaluate_from_the_command_line(small_bank) -> None:
    text = run("train", "churn", "--folds", "2")
    assert "Churn risk v1 (Active): AUC" in text
    assert "160 customers" in run("score")
    AlertRule.objects.create(
        name="Drain",
        kind="balance_drop",
        params={"family": "savings", "drop_pct": 30, "days": 30, "min_balance": 100},
    )
    assert "Drain:" in run("alerts-evaluate")
    with pytest.raises(Exception, match="no product"):
        run("train", "propensity", "--product", "NOPE")


def test_the_schedule_refreshes_after_an_import_and_retrains_old_models(
    small_bank, settings
) -> None:
    run("train", "churn", "--folds", "2")
    ImportRun.objects.create(
        source="x", status="succeeded", as_of=AS_OF, finished_at=timezone.now()
    )
    done = analytics_schedule_run()
    assert any(line.startswith("refreshed") for line in done)
    assert CustomerValue.objects.count() == 160
    done = analytics_schedule_run()
    assert not any(line.startswith("refreshed") for line in done)  # nothing new
    settings.CKM_ANALYTICS_RETRAIN_DAYS = 0
    done = analytics_schedule_run()
    assert any(line.startswith("retrained Churn risk") for line in done)
    assert ModelVersion.objects.filter(slot="churn").count() == 2


def test_the_demo_seed_leaves_the_bank_ready_to_show(db) -> None:
    synthetic_bank(customers=400, months=6, drift_share=0.1, seed=12, as_of=AS_OF)
    result = analytics_seed_demo(actor=None)
    assert result["customers_valued"] == 400
    assert ModelVersion.objects.filter(slot="churn", status="active").exists()
    assert ModelVersion.objects.filter(kind="propensity").exists()
    assert Segment.objects.filter(kind="learned", is_active=True).count() >= 3
    assert Segment.objects.filter(kind="rule").count() >= 3
    assert AlertRule.objects.count() == 4 and Alert.objects.exists()
    assert result["seconds"] < 60
