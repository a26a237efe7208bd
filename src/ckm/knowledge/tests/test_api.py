"""The knowledge API: token auth, list and search, create/update/publish, resolutions, suggest, 4xx."""

from __future__ import annotations

import pytest

from ckm.core.services import api_token_create
from ckm.interactions.tests.factories import InteractionFactory
from ckm.knowledge import services
from ckm.knowledge.models import Article, ArticleEvidence

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    _, key = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def published(editor):
    article = services.article_create(
        actor=editor, title="Lost card", body_source="Block the card.", category="Cards"
    )
    return services.article_publish(actor=editor, article=article)


def test_api_needs_a_token(client) -> None:
    assert client.get("/api/knowledge/articles").status_code == 401


def test_editor_creates_updates_and_publishes(client, editor) -> None:
    headers = auth(editor)
    response = client.post(
        "/api/knowledge/articles",
        {
            "title": "Card fees",
            "body": "1 % <script>x</script>",
            "category": "Cards / Fees",
            "audience": "public",
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["status"] == "draft"
        and "<script" not in body["body_html"]
        and body["category"] == "Cards / Fees"
    )
    response = client.patch(
        f"/api/knowledge/articles/{body['id']}",
        {"body": "2 %", "note": "new fee"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    response = client.post(
        f"/api/knowledge/articles/{body['id']}/publish",
        {},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert (
        client.post(
            f"/api/knowledge/articles/{body['id']}/publish",
            {},
            content_type="application/json",
            **headers,
        ).status_code
        == 409
    )


def test_field_errors_are_4xx(client, editor, agent) -> None:
    response = client.post(
        "/api/knowledge/articles", {"title": ""}, content_type="application/json", **auth(editor)
    )
    assert response.status_code == 422
    response = client.post(
        "/api/knowledge/articles",
        {"title": "x", "products": [999]},
        content_type="application/json",
        **auth(editor),
    )
    assert response.status_code == 400 and "products" in response.json()["errors"]
    response = client.post(
        "/api/knowledge/articles", {"title": "x"}, content_type="application/json", **auth(agent)
    )
    assert response.status_code == 403


def test_agent_lists_searches_and_records_a_resolution(
    client, agent, published, north_customer
) -> None:
    headers = auth(agent)
    listing = client.get("/api/knowledge/articles", **headers).json()
    assert listing["count"] == 1 and listing["items"][0]["title"] == "Lost card"
    found = client.get(
        "/api/knowledge/search", {"q": "blocking cards", "mode": "lexical"}, **headers
    ).json()
    assert (
        found["hits"][0]["article"]["id"] == published.pk
        and "<mark>" in found["hits"][0]["snippet_html"]
    )
    call = InteractionFactory(customer=north_customer, text="I lost my card")
    payload = {
        "text": "I lost my card",
        "source": "interaction",
        "source_id": str(call.pk),
        "customer_id": north_customer.pk,
    }
    response = client.post(
        f"/api/knowledge/articles/{published.pk}/resolutions",
        payload,
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    client.post(
        f"/api/knowledge/articles/{published.pk}/resolutions",
        payload,
        content_type="application/json",
        **headers,
    )
    assert ArticleEvidence.objects.count() == 1
    assert client.get("/api/knowledge/articles/99999", **headers).status_code == 404


def test_suggest_answers_in_the_contract_shape(client, agent, published) -> None:
    response = client.post(
        "/api/knowledge/suggest",
        {"text": "card blocked"},
        content_type="application/json",
        **auth(agent),
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"suggestions", "abstained", "model_version"}


def test_drafts_are_hidden_from_agents(client, agent, editor) -> None:
    draft = services.article_create(actor=editor, title="Secret")
    assert client.get(f"/api/knowledge/articles/{draft.pk}", **auth(agent)).status_code == 404
    assert Article.objects.count() == 1


def test_an_article_without_a_body_is_not_published(client, editor) -> None:
    headers = auth(editor)
    created = client.post(
        "/api/knowledge/articles",
        {"title": "Coming soon", "body": "<p> </p>", "category": "Cards", "audience": "public"},
        content_type="application/json",
        **headers,
    ).json()
    response = client.post(
        f"/api/knowledge/articles/{created['id']}/publish",
        {},
        content_type="application/json",
        **headers,
    )
    assert response.status_code in (400, 409, 422)
    assert "body" in str(response.json())
    assert client.get(f"/api/knowledge/articles/{created['id']}", **headers).json()["status"] == (
        "draft"
    )


def test_a_revision_through_the_api_waits_for_publish(client, editor) -> None:
    headers = auth(editor)
    created = client.post(
        "/api/knowledge/articles",
        {"title": "Fees", "body": "One percent.", "category": "Cards", "audience": "public"},
        content_type="application/json",
        **headers,
    ).json()
    url = f"/api/knowledge/articles/{created['id']}"
    client.post(f"{url}/publish", {}, content_type="application/json", **headers)
    body = client.patch(
        url, {"body": "Two percent.", "revision": True}, content_type="application/json", **headers
    ).json()
    assert body["revision"] == 3 and "One percent" in body["body_source"]
    bad = client.patch(
        url, {"body": "", "revision": True}, content_type="application/json", **headers
    )
    assert bad.status_code in (400, 422) and "body" in str(bad.json())
    published = client.post(f"{url}/publish", {}, content_type="application/json", **headers)
    assert (
        published.json()["body_source"] == "Two percent." and published.json()["revision"] is None
    )
    assert client.post(f"{url}/revision/discard", **headers).status_code == 409


def test_a_next_review_before_today_is_refused_with_the_field_named(client, editor) -> None:
    headers = auth(editor)
    response = client.post(
        "/api/knowledge/articles",
        {"title": "Card fees", "body": "1 %", "review_at": "1999-01-01"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400 and "review_at" in response.json()["errors"]
    assert not Article.objects.exists()
    article = services.article_create(actor=editor, title="Card fees", body_source="1 %")
    response = client.patch(
        f"/api/knowledge/articles/{article.pk}",
        {"review_at": "1999-01-01"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400 and "review_at" in response.json()["errors"]


def test_the_whole_workflow_and_the_versions_through_the_api(client, editor, agent) -> None:
    headers = auth(editor)
    created = client.post(
        "/api/knowledge/articles",
        {"title": "Fees", "body": "One percent.", "category": "Cards"},
        content_type="application/json",
        **headers,
    ).json()
    url = f"/api/knowledge/articles/{created['id']}"

    def post(path: str, data: dict | None = None, who=headers):
        return client.post(f"{url}{path}", data or {}, content_type="application/json", **who)

    assert post("/submit").json()["status"] == "in_review"
    assert post("/submit").status_code == 409
    too_long = post("/reject", {"reason": "x" * 10_000})
    assert too_long.status_code == 422 and "reason" in str(too_long.json())
    assert post("/reject", {"reason": "Say which cards."}).json()["status"] == "draft"
    client.patch(url, {"body": "Two percent."}, content_type="application/json", **headers)
    assert post("/publish").json()["status"] == "published"
    reviewed = post("/reviewed", {"next_review": "2099-01-31"})
    assert reviewed.status_code == 200 and reviewed.json()["review_at"] == "2099-01-31"
    assert post("/reviewed", {"next_review": "1999-01-01"}).status_code == 400

    versions = client.get(f"{url}/versions", **headers).json()
    numbers = [v["number"] for v in versions["items"]]
    assert numbers == sorted(numbers, reverse=True) and versions["count"] == len(numbers) >= 4
    first = client.get(f"{url}/versions/1", **headers).json()
    assert first["body_source"] == "One percent." and first["author"] == editor.username
    assert client.get(f"{url}/versions/99", **headers).status_code == 404
    diff = client.get(f"{url}/diff?old=1&new={numbers[0]}", **headers).json()
    assert {"kind": "del", "text": "One percent."} in diff["lines"]
    assert {"kind": "add", "text": "Two percent."} in diff["lines"]
    assert client.get(f"{url}/diff?old=1", **headers).status_code == 422

    # restoring version 1 of the published article waits for review as a revision
    restored = post("/versions/1/restore").json()
    assert restored["revision"] and restored["body_source"] == "Two percent."
    assert post("/publish").json()["body_source"] == "One percent."
    assert post("/archive").json()["status"] == "archived"
    assert post("/reopen").json()["status"] == "draft"

    # agents read published articles; the history and the workflow are the editors'
    for path in ("/versions", "/versions/1", "/diff?old=1&new=2"):
        assert client.get(f"{url}{path}", **auth(agent)).status_code == 403
    assert post("/submit", who=auth(agent)).status_code == 403
