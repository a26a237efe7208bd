"""A tiny help desk: four published articles and the customer messages each one answered."""

from __future__ import annotations

from typing import Any

import pytest

HISTORY: dict[str, list[str]] = {
    "Card delivery": [
        "I am still waiting on my card",
        "My new card has not arrived yet",
        "When will my card be delivered?",
        "How long does it take for the card to arrive?",
        "The card you sent me never came in the post",
        "Where is my debit card, I ordered it two weeks ago",
    ],
    "Reset your password": [
        "I forgot my password and cannot log in",
        "How do I reset my password?",
        "The app says my password is wrong",
        "I need a new password for online banking",
        "Locked out after entering the wrong password",
        "Can you help me change my login password",
    ],
    "Exchange rates": [
        "What exchange rate do you use for dollars?",
        "Why was the euro conversion rate so bad?",
        "How is the currency exchange rate calculated?",
        "The rate I got for pounds was different from the market",
        "Do you add a margin to foreign exchange?",
        "Which exchange rate applies when I pay abroad",
    ],
    "Closing an account": [
        "I want to close my account",
        "How can I delete my account with you?",
        "Please cancel my account, I am leaving",
        "What happens to my money when I close the account",
        "Steps to terminate my bank account",
        "I would like to shut down my savings account",
    ],
}


@pytest.fixture(autouse=True)
def _fresh_model_cache() -> Any:
    from ckm.knowledge.suggestions.engine import model_cache_clear

    model_cache_clear()
    yield
    model_cache_clear()


@pytest.fixture
def desk(db: Any, agent: Any, settings: Any) -> dict[str, Any]:
    """The four articles with their resolved messages (linked through the real service)."""
    from ckm.knowledge import services
    from ckm.knowledge.tests.factories import ArticleFactory

    settings.CKM_SUGGESTIONS_AUTO_RETRAIN = False
    articles = {}
    for n, (title, messages) in enumerate(HISTORY.items()):
        article = ArticleFactory(title=title, summary=f"How we help with {title.lower()}.")
        articles[title] = article
        for m, text in enumerate(messages):
            services.article_link_resolution(
                actor=agent, article=article, text=text, source="import", source_id=f"{n}-{m}"
            )
    return articles


@pytest.fixture
def trained(desk: dict[str, Any]) -> Any:
    from ckm.knowledge.suggestions.training import suggestion_model_train

    return suggestion_model_train(force=True)
