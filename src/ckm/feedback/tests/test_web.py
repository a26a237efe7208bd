"""Pages and API of feedback: login and permission on every page, what each role sees and does."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from ckm.core.services import api_token_create
from ckm.customers.models import Consent
from ckm.customers.tests.factories import CustomerFactory
from ckm.feedback.models import CaseTopic, Insight, InsightContact, KnowledgeGap
from ckm.feedback.services import topics_refresh

PAGES = ["/feedback/topics/", "/feedback/alerts/", "/feedback/insights/", "/feedback/gaps/"]


def bearer(user: Any) -> dict[str, str]:
    _, key = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def topics(themed_cases: dict[str, list[Any]], settings: Any) -> dict[str, list[Any]]:
    settings.CKM_FEEDBACK_GAP_MIN_CASES = 5
    customer = CustomerFactory(first_name="Clara", last_name="Consent")
    Consent.objects.create(
        customer=customer,
        purpose=Consent.Purpose.PRODUCT_FEEDBACK,
        channel="email",
        granted=True,
        recorded_at=timezone.now(),
    )
    refused = CustomerFactory(first_name="Nora", last_name="Noconsent")
    card = themed_cases["card"]
    card[0].customer = customer
    card[0].save()
    card[1].customer = refused
    card[1].save()
    topics_refresh()
    return themed_cases


@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_login(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_roles_see_their_pages(login: Any, db: Any, agent: Any, editor: Any, marketer: Any) -> None:
    assert login(agent).get("/feedback/topics/").status_code == 200
    assert login(agent).get("/feedback/insights/").status_code == 403
    assert login(agent).get("/feedback/gaps/").status_code == 403
    assert login(editor).get("/feedback/gaps/").status_code == 200
    assert login(editor).get("/feedback/insights/").status_code == 403
    assert login(marketer).get("/feedback/topics/").status_code == 403


def test_topics_page_charts_filters_and_detail(
    login: Any, topics: dict[str, list[Any]], product_manager: Any
) -> None:
    client = login(product_manager)
    page = client.get("/feedback/topics/?weeks=26&kind=complaint")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Cases per week" in html
    topic_id = CaseTopic.objects.get(case=topics["card"][0]).topic_id
    detail = client.get(f"/feedback/topics/{topic_id}/").content.decode()
    assert "by product" in detail and "Turn into an insight" in detail
    assert client.get("/feedback/topics/999999/").status_code == 404
    # the typical cases follow the filters: with a product chosen, only that product's cases
    from ckm.customers.tests.factories import ProductFactory
    from ckm.service.models import Case

    gold = ProductFactory(name="Gold card")
    chosen = [c.pk for c in topics["card"][:3]]
    Case.objects.filter(pk__in=chosen).update(product=gold)
    filtered = client.get(f"/feedback/topics/{topic_id}/", {"product": gold.pk})
    shown = {c.pk for c in filtered.context["detail"].examples}
    assert shown and shown <= set(chosen)
    # a search that matches no topic says so (not "no topics yet: discover them")
    none = client.get("/feedback/topics/?q=Überziehung").content.decode()
    assert "No topic matches these filters" in none and "No topics yet" not in none


def test_pm_turns_a_topic_into_an_insight_and_sees_who_agreed(
    login: Any, topics: dict[str, list[Any]], product_manager: Any
) -> None:
    client = login(product_manager)
    topic_id = CaseTopic.objects.get(case=topics["card"][0]).topic_id
    response = client.post("/feedback/insights/new/", {"topic": topic_id})
    insight = Insight.objects.get()
    assert response["Location"] == f"/feedback/insights/{insight.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Who to contact" in html and "Clara Consent" in html
    assert "Noconsent" not in html
    contact = InsightContact.objects.get(insight=insight, consented=True)
    client.post(
        f"/feedback/contacts/{contact.pk}/",
        {"channel": "email", "outcome": "interested", "note": "Joins the test group"},
    )
    contact.refresh_from_db()
    assert contact.outcome == "interested"
    client.post(f"/feedback/insights/{insight.pk}/update/", {"status": "under_review"})
    insight.refresh_from_db()
    assert insight.status == "under_review"
    board = client.get("/feedback/insights/").content.decode()
    assert insight.title in board


def test_editor_drafts_an_article_from_a_gap(
    login: Any, topics: dict[str, list[Any]], editor: Any
) -> None:
    gap = KnowledgeGap.objects.filter(state="open").first()
    assert gap is not None
    client = login(editor)
    html = client.get(f"/feedback/gaps/{gap.pk}/").content.decode()
    assert "Draft article" in html and "What customers wrote" in html
    client.post(f"/feedback/gaps/{gap.pk}/draft/")
    gap.refresh_from_db()
    assert gap.state == "drafted" and gap.article is not None


def test_api_lists_topics_and_answers_4xx(
    client: Any, topics: dict[str, list[Any]], product_manager: Any, agent: Any
) -> None:
    pm = bearer(product_manager)
    listed = client.get("/api/feedback/topics?weeks=26", **pm).json()
    assert listed["count"] >= 4 and listed["items"][0]["cases_in_period"] > 0
    topic_id = listed["items"][0]["id"]
    detail = client.get(f"/api/feedback/topics/{topic_id}", **pm).json()
    assert detail["weekly"] and detail["examples"]
    created = client.post(
        "/api/feedback/insights",
        data=json.dumps({"topic": topic_id}),
        content_type="application/json",
        **pm,
    )
    assert created.status_code == 201
    insight_id = created.json()["id"]
    jump = client.post(
        f"/api/feedback/insights/{insight_id}/status",
        data=json.dumps({"status": "shipped"}),
        content_type="application/json",
        **pm,
    )
    assert jump.status_code == 409
    bad = client.post(
        "/api/feedback/insights", data=json.dumps({}), content_type="application/json", **pm
    )
    assert bad.status_code == 400 and "title" in bad.json()["errors"]
    assert client.get("/api/feedback/insights", **bearer(agent)).status_code == 403
    assert client.get("/api/feedback/topics/424242", **pm).status_code == 404
    contacts = client.get(f"/api/feedback/insights/{insight_id}/contacts", **pm).json()
    assert all(c["consent_channels"] for c in contacts["items"])


def test_topics_page_costs_a_fixed_number_of_queries(
    login: Any,
    topics: dict[str, list[Any]],
    product_manager: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = login(product_manager)
    client.get("/feedback/topics/")  # warm the session and permission caches
    with django_assert_max_num_queries(20):
        assert client.get("/feedback/topics/").status_code == 200
    insight = client.post("/feedback/insights/new/", {"topic": topics_first(topics)})
    assert insight.status_code == 302
    with django_assert_max_num_queries(20):
        assert client.get("/feedback/insights/").status_code == 200


def topics_first(topics: dict[str, list[Any]]) -> int:
    return int(CaseTopic.objects.get(case=topics["fees"][0]).topic_id)


def test_pm_adds_a_topic_to_an_insight_and_the_volume_grows(
    login: Any, topics: dict[str, list[Any]], product_manager: Any
) -> None:
    client = login(product_manager)
    first = CaseTopic.objects.get(case=topics["card"][0]).topic_id
    other = CaseTopic.objects.get(case=topics["mortgage"][0]).topic_id
    client.post("/feedback/insights/new/", {"topic": first})
    insight = Insight.objects.get()
    before = insight.volume
    client.post(f"/feedback/insights/{insight.pk}/link/", {"topic": other})
    insight.refresh_from_db()
    assert insight.volume > before
    assert set(insight.topics.values_list("id", flat=True)) == {first, other}


def test_editor_links_an_existing_article_to_a_gap(
    login: Any, topics: dict[str, list[Any]], editor: Any
) -> None:
    from ckm.knowledge.services import article_draft_create

    gap = KnowledgeGap.objects.filter(state="open").first()
    assert gap is not None
    article = article_draft_create(
        actor=editor, title="Blocking a lost card", summary="How", body_markdown="Call us."
    )
    client = login(editor)
    assert client.get(f"/feedback/gaps/{gap.pk}/").status_code == 200
    client.post(f"/feedback/gaps/{gap.pk}/link/", {"article": article.pk})
    gap.refresh_from_db()
    assert gap.state == "drafted" and gap.article_id == article.pk
    client.post(f"/feedback/gaps/{gap.pk}/link/", {"article": 999999})
    gap.refresh_from_db()
    assert gap.article_id == article.pk


def test_api_links_a_topic_to_an_insight(
    client: Any, topics: dict[str, list[Any]], product_manager: Any
) -> None:
    pm = bearer(product_manager)
    first = CaseTopic.objects.get(case=topics["card"][0]).topic_id
    other = CaseTopic.objects.get(case=topics["fees"][0]).topic_id
    created = client.post(
        "/api/feedback/insights",
        data=json.dumps({"topic": first}),
        content_type="application/json",
        **pm,
    ).json()
    linked = client.post(
        f"/api/feedback/insights/{created['id']}/link",
        data=json.dumps({"topics": [other]}),
        content_type="application/json",
        **pm,
    )
    assert linked.status_code == 200 and set(linked.json()["topics"]) == {first, other}
    bad = client.post(
        f"/api/feedback/insights/{created['id']}/link",
        data=json.dumps({"topics": "x"}),
        content_type="application/json",
        **pm,
    )
    assert bad.status_code == 422


def test_api_refuses_products_topics_or_cases_that_do_not_exist_naming_the_field(
    client: Any, db: Any, product_manager: Any
) -> None:
    pm = bearer(product_manager)

    def post(path: str, body: dict[str, Any]) -> Any:
        return client.post(path, data=json.dumps(body), content_type="application/json", **pm)

    refused = post("/api/feedback/insights", {"title": "x", "products": [999999]})
    assert refused.status_code == 400 and "999999" in refused.json()["errors"]["products"][0]
    assert not Insight.objects.exists()
    created = post("/api/feedback/insights", {"title": "x"})
    assert created.status_code == 201, created.content
    path = f"/api/feedback/insights/{created.json()['id']}/link"
    for field in ("topics", "cases"):
        answer = post(path, {field: [999999]})
        assert answer.status_code == 400 and field in answer.json()["errors"], answer.content


def test_the_start_page_shows_editors_and_product_managers_their_work(
    login: Any, topics: dict[str, list[Any]], editor: Any, product_manager: Any, agent: Any
) -> None:
    from ckm.feedback.models import Topic, TopicAlert
    from ckm.knowledge import services as knowledge

    draft = knowledge.article_create(actor=editor, title="Blocking a lost card", summary="Block")
    knowledge.article_submit(actor=editor, article=draft)
    topic = Topic.objects.filter(size__gt=0).first()
    assert topic is not None
    for week, count in ((dt.date(2026, 11, 2), 9), (dt.date(2026, 11, 9), 14)):
        TopicAlert.objects.create(
            topic=topic, week=week, count=count, baseline=2.0, z_score=5.0, p_value=0.001
        )
    client = login(product_manager)
    client.post("/feedback/insights/new/", {"topic": topic.pk})
    insight = Insight.objects.get()

    mine = client.get("/").content.decode()
    assert "Emerging topics" in mine and "14 cases that week" in mine
    assert "9 cases that week" not in mine  # one row per topic: its latest week
    assert "Product insights" in mine and insight.title in mine
    assert "Articles waiting for you" not in mine

    theirs = login(editor).get("/").content.decode()
    assert "Articles waiting for you" in theirs and "Blocking a lost card" in theirs
    assert "Questions without a good answer" in theirs
    assert "The insight board" not in theirs  # editors have no insight board

    desk = login(agent).get("/").content.decode()
    assert "Articles waiting for you" not in desk and "Product insights" not in desk


def test_renaming_a_missing_topic_or_with_a_name_too_long_changes_nothing(
    login: Any, editor: Any, db: Any
) -> None:
    import numpy as np

    from ckm.feedback.models import Topic

    topic = Topic.objects.create(label="Cards", centroid=np.zeros(4, np.float32).tobytes())
    client = login(editor)
    client.raise_request_exception = False
    assert client.post("/feedback/topics/987654/rename/", {"label": "Lost cards"}).status_code < 500
    client.post(f"/feedback/topics/{topic.pk}/rename/", {"label": "x" * 201})
    topic.refresh_from_db()
    assert topic.label == "Cards" and not topic.label_locked
