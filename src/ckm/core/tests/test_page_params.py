"""Bad values in the pages' query strings and small forms: a clear answer, never a 500.

str.isdigit() says yes to '²' and '١', which int() refuses; a number beyond a database key
overflows SQLite; 2026-13-45T10:00 looks like a moment to parse_datetime and raises."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.test.client import RequestFactory

from ckm.core.http import int_param, redirect_back
from ckm.feedback.models import Topic
from ckm.feedback.tests.factories import CaseFactory
from ckm.knowledge.models import Article
from ckm.knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

SUP2 = "²"
HUGE = "9" * 20


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), ("0", 0), ("", None), (None, None), (SUP2, None), ("١٢", None), ("-1", None),
     (" 1", None), ("1e3", None), (HUGE, None), (str(2**63 - 1), 2**63 - 1)],
)  # fmt: skip
def test_int_param_takes_ascii_digits_within_a_key(value: Any, expected: Any) -> None:
    assert int_param(value) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/cases/", "/cases/"), ("http://testserver/cases/", "http://testserver/cases/"),
     ("abc", "/feedback/alerts/"), ("https://elsewhere.example/", "/feedback/alerts/"),
     ("//elsewhere.example/", "/feedback/alerts/"), ("", "/feedback/alerts/"),
     (None, "/feedback/alerts/")],
)  # fmt: skip
def test_redirect_back_stays_on_the_site(target: Any, expected: str) -> None:
    request = RequestFactory().get("/")
    assert redirect_back(request, target, "feedback:alerts")["Location"] == expected


@pytest.fixture
def world(north_customer: Any) -> dict[str, Any]:
    case = CaseFactory(customer=north_customer)
    topic = Topic.objects.create(label="Cards", centroid=np.zeros(4, np.float32).tobytes())
    article = ArticleFactory(slug="lost-card", audience=Article.Audience.PUBLIC)
    return {"customer": north_customer, "case": case, "topic": topic, "article": article}


def _get_urls(w: dict[str, Any]) -> list[str]:
    c = w["customer"].pk
    return [
        f"/customers/{c}/?office={SUP2}",
        f"/customers/{c}/?office={HUGE}",
        f"/customers/{c}/?before=2026-13-45T10:00",
        f"/customers/{c}/timeline/?office={SUP2}&before=2026-02-30T10:00",
        f"/knowledge/?q=card&category={SUP2}&product={SUP2}",
        f"/knowledge/usage/?weeks={SUP2}&category={SUP2}&article={SUP2}",
        f"/knowledge/new/?template={SUP2}",
        f"/knowledge/a/{w['article'].slug}/?s={SUP2}",
        f"/knowledge/suggestions/panel/?source=interaction&source_id={SUP2}",
        f"/feedback/topics/?weeks={SUP2}&product={SUP2}&office={SUP2}",
        f"/feedback/topics/{w['topic'].pk}/?weeks={SUP2}",
        f"/feedback/insights/?product={SUP2}",
        f"/analytics/alerts/?rule={SUP2}",
        f"/analytics/prospects/?product={SUP2}&limit=abc",
        "/analytics/prospects/?limit=-1",
        f"/analytics/customers/?segment={SUP2}",
        "/analytics/segments/condition/?index=abc",
        f"/campaigns/new/?segment={SUP2}",
        f"/portal/?q=card&category={SUP2}",
        f"/portal/a/{w['article'].slug}/?s={SUP2}",
    ]


def test_pages_answer_bad_query_values_without_a_500(login: Any, admin_user: Any, world) -> None:
    client = login(admin_user)
    client.raise_request_exception = False
    failed = [url for url in _get_urls(world) if client.get(url).status_code >= 500]
    assert failed == []


def test_forms_answer_bad_numbers_without_a_500(login: Any, admin_user: Any, world) -> None:
    client = login(admin_user)
    client.raise_request_exception = False
    case = world["case"].pk
    posts = [
        (f"/cases/{case}/assign/", {"assignee": SUP2, "queue": HUGE}),
        (f"/cases/{case}/link/", {"customer_id": SUP2}),
        (f"/cases/{case}/answered-by/", {"article": "abc"}),
        ("/feedback/insights/new/", {"topic": SUP2, "title": "t"}),
        ("/feedback/insights/new/", {"title": "An idea", "products": [SUP2, HUGE]}),
        ("/campaigns/loop/retrain/", {"product": "abc"}),
        ("/campaigns/loop/uplift/", {"product": SUP2}),
        ("/analytics/segments/preview/", {f"field_{SUP2}": "customer:status", "match": "all"}),
        ("/knowledge/new/", {"title": "T", "category": SUP2, "audience": "internal",
                             "source_format": "md"}),
    ]  # fmt: skip
    failed = [url for url, data in posts if client.post(url, data).status_code >= 500]
    assert failed == []


def test_a_product_beyond_a_key_is_no_choice(login: Any, editor: Any) -> None:
    client = login(editor)
    client.raise_request_exception = False
    data = {"title": "T", "audience": "internal", "source_format": "md", "products": [HUGE]}
    response = client.post("/knowledge/new/", data)
    assert response.status_code == 200
    assert "products" in response.context["form"].errors
