""" "Insert in reply" on the case page: an article's answer goes into the reply draft (with the
portal link for a public article), is recorded as what answered the case, with and without htmx."""

from __future__ import annotations

import html
from typing import Any

import pytest

from ckm.core.models import AuditEntry
from ckm.customers.tests.factories import CustomerFactory
from ckm.knowledge.models import Article, ArticleEvidence
from ckm.knowledge.tests.factories import ArticleFactory
from ckm.service.services import case_intake
from ckm.service.services.replies import reply_insert

pytestmark = pytest.mark.django_db


def _public_article(**kwargs: Any) -> Article:
    fields: dict[str, Any] = {
        "title": "Lost or stolen card",
        "slug": "lost-or-stolen-card",
        "summary": "Block the card at once.",
        "body_source": "1. Open the app\n2. Tap **Block card**",
        "audience": Article.Audience.PUBLIC,
    }
    return ArticleFactory(**{**fields, **kwargs})


def _reply_box(page: str) -> str:
    """The reply's text, as the browser reads it from the page."""
    box = page.split('id="id_reply_body"')[1].split(">", 1)[1].split("</textarea>")[0]
    return html.unescape(box.removeprefix("\n"))


def test_reply_insert_keeps_what_was_typed_around_the_answer() -> None:
    assert reply_insert("", "Answer") == ("Answer", 6)
    assert reply_insert("Dear Ms Roth,", "Answer") == ("Dear Ms Roth,\n\nAnswer", 21)
    text, caret = reply_insert("Dear Ms Roth,\r\n\r\nKind regards", "Answer", at=15)
    assert text == "Dear Ms Roth,\n\nAnswer\n\nKind regards" and text[:caret].endswith("Answer")
    assert reply_insert("Hi", "Answer", at=99)[0] == "Hi\n\nAnswer"  # beyond the end: at the end


def test_insert_without_htmx_fills_the_draft_and_records_the_answer_once(
    login, desk, agent
) -> None:
    article = _public_article()
    case = case_intake(actor=agent, channel="phone", subject="Lost card", body="Card is gone")
    client = login(agent)
    page = client.get(f"/cases/{case.pk}/articles/", {"q": "lost card"}, HTTP_HX_REQUEST="true")
    assert "Insert in reply" in page.content.decode()
    url = f"/cases/{case.pk}/insert-answer/"
    response = client.post(url, {"article": article.pk, "body": "Dear Ms Roth,", "internal": ""})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#reply-form"
    page = client.get(response["Location"]).content.decode()
    reply = _reply_box(page)
    assert reply.startswith("Dear Ms Roth,\n\nBlock the card at once.\n\n1. Open the app")
    assert reply.endswith(
        "More on our help pages: "
        "[Lost or stolen card](http://testserver/portal/a/lost-or-stolen-card/)"
    )
    assert "is in the reply and noted as what answered this case" in page
    # clicked twice: the answer goes in twice (the agent asked for it), the evidence once
    client.post(url, {"article": article.pk, "body": reply})
    evidence = ArticleEvidence.objects.get(article=article, source="case")
    assert evidence.source_id == str(case.pk) and "Card is gone" in evidence.text
    assert AuditEntry.objects.filter(summary__contains="answered case").count() == 1


def test_insert_with_htmx_answers_with_the_filled_reply_box(login, desk, agent) -> None:
    article = _public_article()
    case = case_intake(actor=agent, channel="phone", subject="Lost card", body="Card is gone")
    client = login(agent)
    response = client.post(
        f"/cases/{case.pk}/insert-answer/",
        {"article": article.pk, "body": "Dear Ms Roth,\n\nKind regards", "at": "14"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<textarea id="id_reply_body"')
    assert _reply_box(fragment).startswith("Dear Ms Roth,\n\nBlock the card at once.")
    assert _reply_box(fragment).endswith("/portal/a/lost-or-stolen-card/)\n\nKind regards")
    assert 'id="reply-insert-note"' in fragment and 'hx-swap-oob="true"' in fragment
    assert ArticleEvidence.objects.filter(article=article, source_id=str(case.pk)).count() == 1


def test_an_internal_article_is_labelled_and_inserted_without_a_portal_link(
    login, desk, agent
) -> None:
    article = ArticleFactory(
        title="Card fraud: what we check", body_source="Check the **fraud** list first."
    )
    case = case_intake(actor=agent, channel="phone", subject="Card fraud", body="fraud")
    client = login(agent)
    found = client.get(
        f"/cases/{case.pk}/articles/", {"q": "card fraud"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Insert (internal article)" in found and "written for agents" in found
    response = client.post(
        f"/cases/{case.pk}/insert-answer/", {"article": article.pk}, HTTP_HX_REQUEST="true"
    )
    fragment = response.content.decode()
    assert "Check the **fraud** list first." in _reply_box(fragment)
    assert "/portal/" not in fragment and "It is an internal article" in fragment


def test_an_html_article_goes_in_as_readable_text(login, desk, agent) -> None:
    article = _public_article(
        source_format=Article.SourceFormat.HTML,
        summary="",
        body_source="<ul><li>Call *us*</li></ul>",
        body_html='<ul><li>Call *us*</li></ul><p>See <a href="https://bank.example/f">fees</a></p>',
    )
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    response = login(agent).post(
        f"/cases/{case.pk}/insert-answer/", {"article": article.pk}, HTTP_HX_REQUEST="true"
    )
    reply = _reply_box(response.content.decode())
    assert reply.startswith("- Call \\*us\\*\n\nSee fees (https://bank.example/f)")


def test_an_editor_may_read_a_draft_but_not_send_it_to_a_customer(
    login, desk, editor, settings
) -> None:
    from ckm.core.roles import ROLE_PERMISSIONS

    # an editor who also works cases
    settings.CKM_ROLE_PERMISSIONS = {
        "knowledge_editor": [
            *ROLE_PERMISSIONS["knowledge_editor"],
            "service.view_case",
            "service.change_case",
        ]
    }
    draft = _public_article(status=Article.Status.DRAFT)
    case = case_intake(channel="letter", subject="s", body="b")
    response = login(editor).post(f"/cases/{case.pk}/insert-answer/", {"article": draft.pk})
    assert response.status_code == 404 and not ArticleEvidence.objects.exists()


def test_insert_refuses_what_the_agent_may_not_read_or_a_bad_id(
    login, desk, agent, rm_south
) -> None:
    draft = _public_article(status=Article.Status.DRAFT)
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    client = login(agent)
    url = f"/cases/{case.pk}/insert-answer/"
    assert client.post(url, {"article": draft.pk}).status_code == 404
    assert client.post(url, {"article": "999999"}).status_code == 404
    assert client.post(url, {"article": "abc"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert client.get(url).status_code == 405
    assert not ArticleEvidence.objects.exists()
    # a case the person may not see is no case to answer
    hidden = case_intake(
        actor=agent, channel="phone", subject="x", body="y", customer=CustomerFactory()
    )
    live = _public_article(slug="other", title="Other")
    response = login(rm_south).post(f"/cases/{hidden.pk}/insert-answer/", {"article": live.pk})
    assert response.status_code == 404
    # "This article answered it" cites only an article the agent may read, too
    client = login(agent)
    client.post(f"/cases/{case.pk}/answered-by/", {"article": draft.pk})
    assert not ArticleEvidence.objects.exists()


def test_an_answer_that_would_overflow_the_reply_is_refused_and_the_text_kept(
    login, desk, agent
) -> None:
    article = _public_article()
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    client = login(agent)
    typed = "x" * 19_990
    url = f"/cases/{case.pk}/insert-answer/"
    response = client.post(url, {"article": article.pk, "body": typed}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and _reply_box(response.content.decode()) == typed
    client.post(url, {"article": article.pk, "body": typed})
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert _reply_box(page) == typed and "longer than 20,000 characters" in page
    assert not ArticleEvidence.objects.exists()


def test_the_resolution_is_shown_as_it_is_sent(login, desk, agent) -> None:
    case = case_intake(actor=agent, channel="phone", subject="s", body="b")
    client = login(agent)
    client.post(f"/cases/{case.pk}/transition/", {"to_status": "in_progress"})
    client.post(
        f"/cases/{case.pk}/transition/",
        {
            "to_status": "resolved",
            "resolution": "Card **blocked**, see [fees](https://b.example/f)",
        },
    )
    page = client.get(f"/cases/{case.pk}/").content.decode()
    card = page.split('id="resolution"')[1].split("</section>")[0]
    assert "<strong>blocked</strong>" in card and 'href="https://b.example/f"' in card
    assert "**" not in card
