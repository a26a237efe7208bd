"""Browser journey of the issue's 'Done when', in Chromium: a marketer builds a campaign from a
segment and a propensity model, is stopped by the NPV gate, launches a positive one with a
control group; a relationship manager works the list; the results show lift vs control; the
model retrains on the responses and the next campaign uses the new version."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ckm.analytics.models import ModelVersion
from ckm.campaigns.models import Campaign, CampaignMember
from ckm.campaigns.services.demo import simulate_responses
from ckm.campaigns.tests.conftest import build_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign_bank(db: Any) -> dict[str, Any]:
    return build_bank(customers=260, seed=5)


def _fill_builder(page: Any, bank: dict[str, Any], *, name: str, cost: str) -> None:
    page.fill("#id_name", name)
    page.select_option("#id_product", str(bank["fund"]))
    page.select_option("#id_audience", "segment")
    page.select_option("#id_segment", str(bank["segment"]))
    page.select_option("#id_selection", "all")
    page.fill("#id_control_share", "0.3")
    page.fill("#id_margin_per_month", "20")
    page.fill("#id_cost_per_contact", cost)
    page.locator("#id_cost_per_contact").dispatch_event("change")
    page.wait_for_selector("#plan :is([data-testid=plan-preview], .message-error)")
    assert not page.is_visible("#plan .message-error"), page.inner_text("#plan")


def _login_elsewhere(chromium: Any, base: str, username: str) -> Any:
    """A second person at another browser (own cookies)."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    other = context.new_page()
    other.set_default_timeout(10_000)
    other.base = base
    other.goto(f"{base}/login/")
    other.fill("#id_username", username)
    other.fill("#id_password", "pw-test-123")
    other.click("button[type=submit]")
    other.wait_for_url(f"{base}/")
    return other


def test_marketer_rm_and_the_loop(browser_login, chromium, campaign_bank) -> None:
    bank = campaign_bank
    page = browser_login("marketer")
    page.click("nav.sidebar >> text=Campaigns")
    page.wait_for_selector("h1:has-text('Campaigns')")
    page.click("text=New campaign")
    _fill_builder(page, bank, name="Fund: expensive calls", cost="400")
    page.wait_for_selector("#plan [data-testid=npv]")
    assert "negative" in page.inner_text("#plan")
    page.click("text=Save and build the target list")
    page.wait_for_selector("[data-testid=gate]")
    # the marketer may not override the gate: no Launch button, a way forward instead
    assert page.is_visible("[data-testid=ask-override]")
    assert page.locator("button:has-text('Launch')").count() == 0
    assert page.inner_text("[data-testid=status]") == "Draft"

    page.click("nav.sidebar >> text=Campaigns")
    page.click("text=New campaign")
    _fill_builder(page, bank, name="Fund: calls", cost="1")
    page.wait_for_selector("#plan [data-testid=npv]")
    assert "negative" not in page.inner_text("#plan")
    page.click("text=Save and build the target list")
    page.wait_for_selector("h1:has-text('Fund: calls')")
    assert "v1" in page.inner_text("[data-testid=model-version]")
    page.click("button:has-text('Launch')")
    page.wait_for_selector("[data-testid=status]:has-text('Launched')")
    campaign = Campaign.objects.get(name="Fund: calls")
    assert campaign.members.filter(group="control").count() > 0

    rm_page = _login_elsewhere(chromium, page.base, "rm")
    rm_page.click("nav.sidebar >> text=My target lists")
    rm_page.wait_for_selector("h2:has-text('Fund: calls')")
    row = rm_page.locator("[data-testid=member-row]").first
    member_id = int((row.get_attribute("id") or "").split("-")[1])
    assert "more likely" in row.inner_text() or "less likely" in row.inner_text()
    row.locator("button:has-text('Converted')").click()
    rm_page.wait_for_selector(f"#member-{member_id} [data-testid=outcome]:has-text('Converted')")
    assert CampaignMember.objects.get(pk=member_id).converted

    # the rest of the responses arrive (the campaign ran for weeks)
    simulate_responses(campaign=campaign, effect=0.6, start=dt.date(2026, 11, 1))
    page.goto(f"{page.base}/campaigns/{campaign.pk}/")
    assert "Incremental lift in conversion" in page.inner_text("[data-testid=lift]")
    assert page.is_visible("svg[aria-label='Target vs control']")
    page.click("button:has-text('Close the campaign')")
    page.wait_for_selector("[data-testid=status]:has-text('Closed')")

    page.click("text=Learning loop")
    page.wait_for_selector("h2:has-text('Propensity model generations')")
    page.click("button:has-text('Retrain on the responses now')")
    page.wait_for_selector(".message-success:has-text('Retrained')")
    new = ModelVersion.objects.get(slot="propensity:INV", status="active")
    assert new.version == 2
    assert page.locator("[data-testid=generation]").count() == 2

    page.click("nav.sidebar >> text=Campaigns")
    page.click("text=New campaign")
    _fill_builder(page, bank, name="Fund: next calls", cost="1")
    page.wait_for_selector("#plan [data-testid=npv]")
    assert "v2" in page.inner_text("#plan")


def test_the_plan_appears_before_the_campaign_has_a_name(browser_login, campaign_bank) -> None:
    """A marketer who starts with the audience sees the plan at once; the name is asked for
    when the campaign is saved, and nothing typed is lost."""
    bank = campaign_bank
    page = browser_login("marketer")
    page.goto(f"{page.base}/campaigns/new/")
    page.select_option("#id_product", str(bank["fund"]))
    page.select_option("#id_audience", "segment")
    page.select_option("#id_segment", str(bank["segment"]))
    page.fill("#id_cost_per_contact", "1")
    page.locator("#id_cost_per_contact").dispatch_event("change")
    page.wait_for_selector("#plan [data-testid=npv]")
    page.click("text=Save and build the target list")
    page.wait_for_selector("#id_name ~ .errorlist, .errorlist:has-text('required')")
    assert page.input_value("#id_segment") == str(bank["segment"])
    assert page.input_value("#id_cost_per_contact") == "1"
    assert not Campaign.objects.exists()
