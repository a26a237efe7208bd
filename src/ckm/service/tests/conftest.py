"""Fixtures of the service tests: the default desk set-up (calendar Mon-Fri 9-17 Berlin, SLA
policies, templates, a catch-all queue) and a cards queue with two agents."""

from __future__ import annotations

from typing import Any

import pytest

from ckm.core.models import Role
from ckm.core.tests.factories import UserFactory
from ckm.customers.tests.factories import ProductFactory


@pytest.fixture(autouse=True)
def _fast_classifier(settings: Any, tmp_path: Any) -> None:
    # embeddings load a 90 MB model: the tests learn from words and characters only
    settings.CKM_SERVICE_EMBEDDINGS = False
    settings.VAR_DIR = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from ckm.service.services import classify

    classify._cache.clear()


@pytest.fixture
def desk(db: Any, agent: Any, office: Any) -> dict[str, Any]:
    from ckm.service.services.setup import queue_save, service_defaults_ensure

    service_defaults_ensure()
    card = ProductFactory(external_id="CARD", name="Debit card", family="cards")
    loan = ProductFactory(external_id="LOAN", name="Personal loan", family="loans")
    agent2 = UserFactory(username="agent2", role=Role.AGENT, office=office)
    cards = queue_save(
        actor=None, name="Cards", members=[agent, agent2], product_families=["cards"], rank=10
    )
    return {"card": card, "loan": loan, "cards": cards, "agent2": agent2}
