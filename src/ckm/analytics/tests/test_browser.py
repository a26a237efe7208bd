"""Browser journeys of the 'Done when' stories, in Chromium."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ckm.analytics.models import Alert, ModelVersion
from ckm.customers.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture
def knowing_bank(rm: Any, manager: Any, marketer: Any) -> dict[str, Any]:
    """A small bank whose relationship manager `rm` owns every customer, fully analysed."""
    from ckm.analytics.services import (
        alert_rules_default,
        alerts_evaluate,
        model_train,
        segment_save,
        segment_snapshots_take,
        value_compute,
    )
    from ckm.analytics.synthetic import synthetic_bank

    info = synthetic_bank(
        customers=240, months=8, drift_share=0.15, owners=[rm], seed=21, as_of=AS_OF
    )
    value_compute(as_of=AS_OF)
    model_train(actor=None, kind="churn", as_of=AS_OF, folds=2)
    fund = Product.objects.get(external_id="INV")
    model_train(
        actor=None, kind="propensity", product_id=fund.pk, as_of=AS_OF, folds=2, snapshots=2
    )
    alert_rules_default()
    alerts_evaluate(as_of=AS_OF)
    segment_save(
        actor=marketer,
        name="Savers",
        definition={
            "match": "all",
            "conditions": [{"field": "holds:family", "op": "has", "value": "savings"}],
        },
    )
    segment_save(
        actor=marketer,
        name="Top value",
        definition={
            "match": "all",
            "conditions": [{"field": "value:value_decile", "op": "gte", "value": 9}],
        },
    )
    segment_snapshots_take()
    return info


def test_a_marketer_sees_value_and_clv_by_segment_and_builds_a_segment(
    browser_login, knowing_bank
) -> None:
    page = browser_login("marketer")
    page.click("nav.sidebar >> text=Segments")
    page.wait_for_selector("h1:has-text('Segments')")
    assert page.is_visible("svg[aria-label='Lifetime value by segment']")
    assert "lifetime value (CLV)" in page.inner_text(".kpis")
    page.click("text=New rule segment")
    page.fill("#id_name", "Wealthy savers")
    page.select_option("#field_0", "holds:family")
    page.wait_for_selector("#op_0 option[value='has']", state="attached")
    page.select_option("#value_0", "savings")
    page.wait_for_selector("#preview:has-text('customers match')")
    page.click("text=Save segment")
    page.wait_for_selector("h1:has-text('Wealthy savers')")
    assert "a savings product is held" in page.inner_text("main")


def test_a_relationship_manager_is_warned_sees_why_and_finds_prospects(
    browser_login, knowing_bank
) -> None:
    drained = Alert.objects.filter(rule__kind="balance_drop").select_related("customer").first()
    assert drained is not None
    page = browser_login("rm")
    badge = page.inner_text("nav.sidebar a[href='/analytics/alerts/'] .badge")
    assert int(badge) == Alert.objects.filter(status="new").count()
    assert "Customers who may leave" in page.inner_text("main")
    page.click("nav.sidebar >> text=Retention alerts")
    row = page.locator(f"#alert-{drained.pk}")
    assert "Savings balance down" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("#knowledge-panel")
    panel = page.inner_text("#knowledge-panel")
    assert "Churn risk" in panel and "Retention alert" in panel and "Savings balance down" in panel
    assert "raises the risk" in panel or "lowers the risk" in panel
    page.go_back()
    page.locator(f"#alert-{drained.pk} button:has-text('Contacted')").click()
    page.wait_for_selector(f"#alert-{drained.pk} .badge:has-text('Contacted')")
    page.click("nav.sidebar >> text=Best prospects")
    page.wait_for_selector("h1:has-text('Best prospects for Investment fund')")
    first = page.locator("tbody tr").first
    assert (
        "makes it more likely" in first.inner_text() or "makes it less likely" in first.inner_text()
    )


def test_a_manager_retrains_and_promotes_from_the_models_page(browser_login, knowing_bank) -> None:
    page = browser_login("manager")
    page.click("nav.sidebar >> text=Models")
    page.select_option("#id_kind", "churn")
    page.click("#train-heading ~ form button[type=submit]")
    page.wait_for_selector(".message-success")
    version = ModelVersion.objects.get(slot="churn", version=2)
    assert version.status == "candidate"
    page.goto(f"{page.base}/analytics/models/{version.pk}/")
    assert page.is_visible("svg[aria-label*='Lift by decile']")
    page.click("text=Promote to active")
    page.wait_for_selector(".badge-ok:has-text('Active')")
    version.refresh_from_db()
    assert version.status == "active" and version.current_run_id is not None


def test_the_segment_count_appears_before_the_segment_has_a_name(
    browser_login, knowing_bank
) -> None:
    page = browser_login("marketer")
    page.goto(f"{page.base}/analytics/segments/new/")
    page.select_option("#field_0", "holds:family")
    page.wait_for_selector("#op_0 option[value='has']", state="attached")
    page.select_option("#value_0", "savings")
    page.wait_for_selector("#preview:has-text('customers match')")
    page.click("text=Save segment")
    page.wait_for_selector(".errorlist:has-text('required')")
    assert page.input_value("#value_0") == "savings"
