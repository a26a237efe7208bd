"""Browser journey: the agent sees suggested articles on the profile and records the answer."""

from __future__ import annotations

from typing import Any

import pytest

from ckm.interactions.tests.factories import InteractionFactory
from ckm.knowledge.models import ArticleEvidence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_sees_suggestions_and_records_the_article_used(
    page: Any, browser_login: Any, agent: Any, north_customer: Any, trained: Any
) -> None:
    page.set_default_timeout(60_000)  # the first suggestion loads the sentence model
    message = InteractionFactory(
        customer=north_customer,
        direction="inbound",
        subject="",
        text="I ordered a card two weeks ago and it still hasn't arrived",
    )
    browser_login("agent")
    page.goto(f"{page.base}/customers/{north_customer.pk}/")
    page.wait_for_selector("[data-testid=suggestion]", timeout=30_000)
    first = page.locator("[data-testid=suggestion]").first
    assert "Card delivery" in first.inner_text()
    assert f"model v{trained.version}" in page.inner_text("[data-testid=suggestions-version]")
    first.locator("[data-testid=use-suggestion]").click()
    page.wait_for_selector("[data-testid=suggestions-linked]")
    evidence = ArticleEvidence.objects.get(source="interaction", source_id=str(message.pk))
    assert evidence.article.title == "Card delivery"
