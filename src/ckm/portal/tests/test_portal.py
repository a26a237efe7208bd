"""The customer portal: login and permission, public articles only, search, votes, contact."""

from __future__ import annotations

import pytest

from ckm.knowledge import services
from ckm.knowledge.models import ArticleFeedback, SearchQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(editor):
    public = services.article_create(
        actor=editor,
        title="Lost or stolen card",
        body_source="Block the card in the app.",
        category="Cards",
        audience="public",
    )
    internal = services.article_create(
        actor=editor,
        title="Card blocking checklist",
        body_source="Identify the card holder.",
        category="Cards",
        audience="internal",
    )
    return {
        "public": services.article_publish(actor=editor, article=public),
        "internal": services.article_publish(actor=editor, article=internal),
    }


@pytest.fixture
def customer_user(make_user, settings):
    # a customer account: a role that grants only the portal
    settings.CKM_ROLE_PERMISSIONS = {"product_manager": ["knowledge.use_portal"]}
    return make_user("product_manager", username="customer", email="kunde@example.com")


def test_portal_needs_login_and_the_portal_permission(client, login, make_user, settings) -> None:
    assert client.get("/portal/").status_code == 302
    settings.CKM_ROLE_PERMISSIONS = {"marketer": []}
    login(make_user("marketer", username="m"))
    assert client.get("/portal/").status_code == 403


def test_portal_shows_only_public_articles(login, customer_user, articles) -> None:
    client = login(customer_user)
    page = client.get("/portal/", {"q": "card blocking"}).content.decode()
    assert "Lost or stolen card" in page and "checklist" not in page
    assert client.get(f"/portal/a/{articles['internal'].slug}/").status_code == 404
    response = client.get(f"/portal/a/{articles['public'].slug}/")
    assert response.status_code == 200 and "Block the card in the app." in response.content.decode()
    assert SearchQuery.objects.get().where == "portal"
    # the staff pages stay closed to a portal-only account
    assert client.get(f"/knowledge/a/{articles['public'].slug}/").status_code == 403


def test_customer_votes(login, customer_user, articles) -> None:
    response = login(customer_user).post(
        f"/portal/a/{articles['public'].slug}/vote/", {"helpful": "no"}, HTTP_HX_REQUEST="true"
    )
    assert "Ask us directly" in response.content.decode()
    assert ArticleFeedback.objects.get().where == "portal"


def test_contact_first_offers_articles_then_sends_or_says_it_cannot(
    login, customer_user, articles, monkeypatch
) -> None:
    client = login(customer_user)
    form = {
        "subject": "Lost card",
        "message": "I lost my card, what do I do?",
        "email": "kunde@example.com",
    }
    first = client.post("/portal/contact/", form).content.decode()
    assert "Do these answer your question?" in first and "Lost or stolen card" in first
    from ckm.portal import views

    received = {}

    def fake_intake(**kwargs):
        received.update(kwargs)

        class Case:
            pk = 41
            reference = "C-41"

        return Case()

    monkeypatch.setattr(views, "_case_intake", lambda: fake_intake)
    sent = client.post("/portal/contact/", {**form, "confirmed": "True"}).content.decode()
    assert "we have your message" in sent and received["channel"] == "portal"
    assert received["sender_email"] == "kunde@example.com"
    assert SearchQuery.objects.filter(where="message").count() == 1
    monkeypatch.setattr(views, "_case_intake", lambda: None)
    unavailable = client.post("/portal/contact/", {**form, "confirmed": "True"}).content.decode()
    assert "cannot be sent from here yet" in unavailable


def test_contact_opens_a_real_case_through_the_service_app(login, customer_user, articles) -> None:
    service = pytest.importorskip("ckm.service.services")
    if not hasattr(service, "case_intake"):
        pytest.skip("the service app has no case intake yet")
    from ckm.service.models import Case

    form = {
        "subject": "Standing order",
        "message": "Please change my standing order to the 3rd.",
        "email": "kunde@example.com",
        "confirmed": "True",
    }
    page = login(customer_user).post("/portal/contact/", form).content.decode()
    assert "we have your message" in page, page
    case = Case.objects.get()
    assert case.channel == "portal" and case.sender_email == "kunde@example.com"
