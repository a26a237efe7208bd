"""The knowledge loops page: answers recorded since the suggestion model in use, knowledge gaps
and the volume change of the closed ones, the insight board, who may see it, the API."""

from __future__ import annotations

from typing import Any

import pytest

from ckm.customers.tests.factories import CustomerFactory
from ckm.feedback.models import Insight, InsightContact, KnowledgeGap, Topic, TopicAlert
from ckm.knowledge.models import ArticleEvidence
from ckm.knowledge.tests.factories import ArticleFactory
from ckm.performance.selectors import knowledge_loops

pytestmark = pytest.mark.django_db


@pytest.fixture
def loops_data(db: Any) -> dict[str, Any]:
    article = ArticleFactory(title="Logging in after the app update")
    for n in range(3):
        ArticleEvidence.objects.create(
            article=article, text=f"cannot log in {n}", source="case", source_id=str(n)
        )
    topics = [
        Topic.objects.create(label=label, centroid=b"\0" * 4, size=30)
        for label in ("app · login", "payee · check", "fees · charged")
    ]
    closed = KnowledgeGap.objects.create(
        topic=topics[0],
        state=KnowledgeGap.State.CLOSED,
        article=article,
        weekly_before=10.0,
        weekly_after=2.5,
    )
    KnowledgeGap.objects.create(topic=topics[1], state=KnowledgeGap.State.OPEN)
    KnowledgeGap.objects.create(topic=topics[2], state=KnowledgeGap.State.DISMISSED)
    TopicAlert.objects.create(
        topic=topics[1], week="2026-11-30", count=20, baseline=7.0, z_score=4.2, p_value=0.001
    )
    insight = Insight.objects.create(title="Offer Apple Pay", status=Insight.Status.PLANNED)
    for consented in (True, True, False):
        InsightContact.objects.create(
            insight=insight, customer=CustomerFactory(), consented=consented
        )
    return {"article": article, "closed": closed, "insight": insight}


def test_the_loops_count_what_came_back(loops_data: dict[str, Any], manager: Any) -> None:
    loops = knowledge_loops(user=manager)
    assert loops.suggestions.version is None  # no suggestion model trained yet ...
    assert loops.suggestions.answers_since == 3  # ... so every answer waits for the first
    assert loops.suggestions.answers_30d == 3
    gaps = loops.gaps
    assert (gaps.open, gaps.drafted, gaps.closed, gaps.alerts_new) == (1, 0, 1, 1)
    [(gap, change)] = gaps.closed_gaps
    assert gap == loops_data["closed"] and change == pytest.approx(-0.75)
    statuses = {value: n for value, _, n in loops.ideas.by_status}
    assert statuses["planned"] == 1 and statuses["new"] == 0
    assert (loops.ideas.contacts_consenting, loops.ideas.contacts_made) == (2, 0)
    assert loops.responses == []  # no campaign has used a model


def test_only_managers_see_the_loops_page_and_api(
    loops_data: dict[str, Any], manager: Any, agent: Any, login: Any
) -> None:
    assert login(agent).get("/performance/loops/").status_code == 403
    assert login(agent).get("/api/performance/loops").status_code == 403
    page = login(manager).get("/performance/loops/").content.decode()
    assert "Knowledge loops" in page and "Logging in after the app update" in page
    assert "-75 %" in page  # the closed gap's weekly cases
    assert 'data-testid="loop-responses"' in page
    body = login(manager).get("/api/performance/loops").json()
    assert body["gaps"]["closed_gaps"][0]["change"] == pytest.approx(-0.75)
    assert body["gaps"]["open"] == 1 and body["ideas"]["by_status"]["planned"] == 1
    assert body["suggestions"]["answers_since"] == 3 and body["responses"] == []
