"""Browser journeys of the 'Done when' stories, in Chromium: a product manager turns a topic into
an insight and sees who to contact; an editor drafts an article from a knowledge gap."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ckm.customers.models import Consent
from ckm.customers.tests.factories import CustomerFactory
from ckm.feedback.models import CaseTopic, Insight, KnowledgeGap
from ckm.feedback.services import topics_refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def discovered(themed_cases: dict[str, list[Any]], settings: Any) -> dict[str, Any]:
    settings.CKM_FEEDBACK_GAP_MIN_CASES = 5
    customer = CustomerFactory(first_name="Clara", last_name="Consent")
    Consent.objects.create(
        customer=customer,
        purpose=Consent.Purpose.PRODUCT_FEEDBACK,
        channel="phone",
        granted=True,
        recorded_at=timezone.now(),
    )
    case = themed_cases["app"][0]
    case.customer = customer
    case.save()
    topics_refresh()
    return {"topic": CaseTopic.objects.get(case=case).topic, "customer": customer}


def test_pm_turns_a_topic_into_an_insight_and_sees_who_to_contact(
    browser_login: Any, discovered: dict[str, Any], product_manager: Any
) -> None:
    page = browser_login(product_manager.username)
    page.goto(f"{page.base}/feedback/topics/")
    assert page.locator("svg[role=img]").count() >= 1
    page.get_by_role("link", name=discovered["topic"].label).first.click()
    page.get_by_role("button", name="Turn into an insight").click()
    page.wait_for_url("**/feedback/insights/*/")
    contacts = page.locator("#contacts")
    assert "Clara Consent" in contacts.inner_text()
    row = contacts.locator("tr", has_text="Clara Consent")
    row.locator("select[name=outcome]").select_option("interested")
    row.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Interested" in page.locator("#contacts").inner_text()
    page.get_by_role("button", name="Under review").click()
    page.wait_for_load_state()
    assert page.locator("#insight-status").inner_text() == "Under review"
    assert Insight.objects.get().status == "under_review"


def test_editor_drafts_an_article_from_a_gap(
    browser_login: Any, discovered: dict[str, Any], editor: Any
) -> None:
    gap = KnowledgeGap.objects.filter(state="open").first()
    assert gap is not None
    page = browser_login(editor.username)
    page.goto(f"{page.base}/feedback/gaps/")
    page.get_by_role("link", name=gap.topic.label).first.click()
    assert page.locator(".example").count() >= 1
    page.get_by_role("button", name="Draft article").click()
    page.wait_for_load_state()
    assert page.locator("#gap-state").inner_text() == "Article drafted"
    page.get_by_role("link", name="Open the article").click()
    page.wait_for_url("**/knowledge/a/**")
    gap.refresh_from_db()
    assert gap.article is not None and gap.article.status == "draft"
