"""The public portal: no login, public live articles only, search, votes per session, the contact
form (CSRF, honeypot, throttle, validation) that opens a case and records the contact."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from ckm.knowledge import services
from ckm.knowledge.models import ArticleFeedback, ArticleUsageDaily, PortalVisit, SearchQuery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


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
        body_source="Identify the card holder before blocking a card.",
        category="Cards / Internal procedures",
        audience="internal",
    )
    draft = services.article_create(
        actor=editor,
        title="Card limits draft",
        body_source="Card limits are being rewritten.",
        category="Cards",
        audience="public",
    )
    return {
        "public": services.article_publish(actor=editor, article=public),
        "internal": services.article_publish(actor=editor, article=internal),
        "draft": draft,
    }


def _has_service() -> bool:
    try:
        from ckm.service.services import case_intake  # noqa: F401
    except ImportError:
        return False
    return True


needs_service = pytest.mark.skipif(not _has_service(), reason="no service app")

FORM = {
    "subject": "Standing order",
    "message": "Please change my standing order to the 3rd.",
    "email": "kunde@example.com",
    "confirmed": "True",
}


def test_anonymous_visitor_reads_public_articles_and_never_internal_ones(client, articles) -> None:
    home = client.get("/portal/")
    assert home.status_code == 200
    page = home.content.decode()
    assert "Lost or stolen card" in page
    assert "<title>Help centre</title>" in page  # once, not "Help centre · Help centre"
    assert "checklist" not in page and "Card limits draft" not in page
    assert "Internal procedures" not in page  # a category holding only internal articles
    found = client.get("/portal/", {"q": "card blocking"}).content.decode()
    assert "Lost or stolen card" in found and "checklist" not in found
    # one way to contact us under the answers, not "Ask us" and "Contact us" both
    assert found.count("Not what you were looking for?") + found.count("Still stuck?") == 1
    assert page.count("Still stuck?") == 1
    assert client.get(f"/portal/a/{articles['internal'].slug}/").status_code == 404
    assert client.get(f"/portal/a/{articles['draft'].slug}/").status_code == 404
    response = client.get(f"/portal/a/{articles['public'].slug}/")
    assert response.status_code == 200 and "Block the card in the app." in response.content.decode()
    # the staff pages stay closed: anonymous visitors are sent to the login
    staff = client.get(f"/knowledge/a/{articles['public'].slug}/")
    assert staff.status_code == 302 and "/login/" in staff["Location"]


def test_category_navigation(client, articles) -> None:
    cards = articles["public"].category
    page = client.get("/portal/", {"category": cards.pk}).content.decode()
    assert "Articles in this topic" in page and "Lost or stolen card" in page


def test_search_click_and_view_are_logged_for_the_visitor_session(client, articles) -> None:
    client.get("/portal/", {"q": "stolen card"})
    search = SearchQuery.objects.get()
    assert search.where == "portal" and search.user is None and len(search.session) == 64
    client.get(f"/portal/a/{articles['public'].slug}/?s={search.pk}")
    search.refresh_from_db()
    assert search.clicked_article == articles["public"]
    usage = ArticleUsageDaily.objects.get(article=articles["public"], source="portal")
    assert (usage.views, usage.clicks_from_search, usage.sessions) == (1, 1, 1)
    # a second view in the same session: a view, not another session or click
    client.get(f"/portal/a/{articles['public'].slug}/?s={search.pk}")
    usage.refresh_from_db()
    assert (usage.views, usage.clicks_from_search, usage.sessions) == (2, 1, 1)
    visit = PortalVisit.objects.get()
    assert visit.searches == 1 and visit.views == 2 and visit.articles == [articles["public"].pk]
    # another visitor cannot claim this search's click
    other = Client()
    other.get(f"/portal/a/{articles['public'].slug}/?s={search.pk}")
    usage.refresh_from_db()
    assert usage.clicks_from_search == 1 and usage.sessions == 2


def test_anonymous_votes_one_per_session_and_article(client, articles) -> None:
    url = f"/portal/a/{articles['public'].slug}/vote/"
    response = client.post(url, {"helpful": "no"}, HTTP_HX_REQUEST="true")
    assert "Ask us directly" in response.content.decode()
    client.post(url, {"helpful": "no"}, HTTP_HX_REQUEST="true")
    client.post(url, {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    vote = ArticleFeedback.objects.get()
    assert vote.helpful and vote.user is None and vote.where == "portal" and vote.session
    article = articles["public"]
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    usage = ArticleUsageDaily.objects.get(article=article, source="portal")
    assert (usage.helpful_yes, usage.helpful_no) == (1, 0)
    Client().post(url, {"helpful": "no"})  # another session: another vote
    assert ArticleFeedback.objects.count() == 2
    # no voting on an internal article
    assert (
        client.post(f"/portal/a/{articles['internal'].slug}/vote/", {"helpful": "yes"}).status_code
        == 404
    )


def test_votes_need_the_csrf_token(articles) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/portal/a/{articles['public'].slug}/vote/", {"helpful": "yes"})
    assert response.status_code == 403 and not ArticleFeedback.objects.exists()
    response = client.post("/portal/contact/", FORM)
    assert response.status_code == 403


def test_logged_in_staff_see_the_same_portal_and_vote_as_themselves(login, agent, articles) -> None:
    client = login(agent)
    page = client.get("/portal/", {"q": "card blocking"}).content.decode()
    assert "Lost or stolen card" in page and "checklist" not in page
    client.post(f"/portal/a/{articles['public'].slug}/vote/", {"helpful": "yes"})
    assert ArticleFeedback.objects.get().user == agent


def test_contact_form_validation_and_honeypot(client, articles) -> None:
    page = client.post("/portal/contact/", {"subject": "", "message": "short"}).content.decode()
    assert "Give your message a subject." in page
    assert "Tell us a little more" in page
    assert "Give your e-mail address so that we can answer you." in page
    long = client.post("/portal/contact/", {**FORM, "subject": "x" * 201}).content.decode()
    assert "Keep the subject under 200 characters." in long
    bad = client.post("/portal/contact/", {**FORM, "email": "not-an-address"}).content.decode()
    assert "Enter an e-mail address like name@example.com." in bad
    bot = client.post("/portal/contact/", {**FORM, "website": "http://spam.example"})
    assert "could not be sent" in bot.content.decode()
    assert not SearchQuery.objects.filter(where="message").exists()


def test_contact_first_offers_articles(client, articles) -> None:
    form = {**FORM, "subject": "Lost card", "message": "I lost my card, what do I do?"}
    del form["confirmed"]
    first = client.post("/portal/contact/", form).content.decode()
    assert "Do these answer your question?" in first and "Lost or stolen card" in first
    assert "Send anyway" in first


def test_contact_says_when_it_cannot_send(client, articles, monkeypatch) -> None:
    from ckm.portal import views

    monkeypatch.setattr(views, "_case_intake", lambda: None)
    page = client.post("/portal/contact/", FORM).content.decode()
    assert "cannot be sent from here yet" in page


@needs_service
def test_anonymous_contact_opens_a_case_and_puts_it_on_a_matched_customer(client, articles) -> None:
    from ckm.customers.tests.factories import ContactPointFactory
    from ckm.interactions.models import Interaction
    from ckm.service.models import Case

    point = ContactPointFactory(value="kunde@example.com")
    client.get("/portal/", {"q": "standing order"})
    client.get(f"/portal/a/{articles['public'].slug}/")
    page = client.post("/portal/contact/", FORM).content.decode()
    assert "we have your message" in page, page
    case = Case.objects.get()
    assert case.channel == "portal" and case.customer_id == point.customer_id
    assert case.created_by is None and case.kind == "request"  # not chosen: a question
    interaction = Interaction.objects.get()
    assert interaction.customer_id == point.customer_id and interaction.channel == "web"
    assert "standing order" in interaction.text
    # the contact counts against deflection: the visit and the article it read
    visit = PortalVisit.objects.get()
    assert visit.contacted and visit.searches == 1
    usage = ArticleUsageDaily.objects.get(article=articles["public"], source="portal")
    assert (usage.sessions, usage.contacts) == (1, 1)
    assert SearchQuery.objects.filter(where="message").count() == 1


@needs_service
def test_unknown_sender_keeps_the_case_as_unknown_contact(client, articles) -> None:
    from ckm.interactions.models import Interaction
    from ckm.service.models import Case

    form = {**FORM, "email": "stranger@example.org", "name": "Vera Stranger"}
    page = client.post("/portal/contact/", form)
    assert "we have your message" in page.content.decode()
    case = Case.objects.get()
    assert case.customer is None and case.sender_email == "stranger@example.org"
    # the message's sender reads as a mail program shows one: the name typed, with the address
    assert case.messages.get().sender == "Vera Stranger <stranger@example.org>"
    assert not Interaction.objects.exists()


@needs_service
def test_contact_is_throttled_per_session_and_per_address(client, articles, settings) -> None:
    from ckm.service.models import Case

    settings.CKM_PORTAL_CONTACT_LIMIT = 2
    for n in range(2):
        body = {**FORM, "message": f"Please change my standing order, message {n}."}
        assert "we have your message" in client.post("/portal/contact/", body).content.decode()
    third = client.post("/portal/contact/", {**FORM, "message": "And one more message."})
    assert "several messages in the last hour" in third.content.decode()
    # a new session from the same address is throttled too
    other = Client()
    blocked = other.post("/portal/contact/", {**FORM, "message": "From another session."})
    assert "several messages in the last hour" in blocked.content.decode()
    # another address is not
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    ok = elsewhere.post("/portal/contact/", {**FORM, "message": "From another address."})
    assert "we have your message" in ok.content.decode()
    assert Case.objects.count() == 3


def test_only_the_portal_is_open_without_login(client) -> None:
    """Every URL of the site except the portal (and login, health, the API with its own token
    auth) sends an anonymous visitor to the login."""
    from django.urls import URLPattern, URLResolver, get_resolver

    open_views: set[str] = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                view = p.callback
                if prefix.startswith("api/"):
                    continue  # the API authenticates every call with its own tokens
                if getattr(view, "login_required", True) is False:
                    view = getattr(view, "view_class", view)
                    name = getattr(view, "__name__", type(view).__name__)
                    open_views.add(f"{view.__module__}.{name}")

    walk(get_resolver().url_patterns)
    portal = {f"ckm.portal.views.{n}" for n in ("home", "article", "article_vote", "contact")}
    assert portal <= open_views
    others = open_views - portal
    others -= {
        "ckm.core.views.health",
        "ckm.core.views.LoginView",
        "django.contrib.admin.sites.login",
    }
    assert not others, f"open without login: {sorted(others)}"
    for url in ["/", "/knowledge/", "/knowledge/overview/", "/knowledge/usage/", "/customers/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@needs_service
def test_a_complaint_from_the_portal_is_a_complaint(client, articles) -> None:
    from ckm.service.models import Case

    page = client.get("/portal/contact/").content.decode()
    assert "A complaint" in page
    form = {**FORM, "kind": "complaint", "subject": "Double charge on my card"}
    client.post("/portal/contact/", form)
    assert Case.objects.get().kind == "complaint"
    bad = client.post("/portal/contact/", {**FORM, "kind": "praise"}).content.decode()
    assert "Select a valid choice" in bad and Case.objects.count() == 1
