"""Browser journey of the public portal (no login): a visitor searches, reads, votes, asks, is
offered the article first and sends anyway."""

from __future__ import annotations

import pytest

from ckm.knowledge import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_anonymous_visitor_is_offered_an_answer_before_contacting_us(page, editor) -> None:
    service = pytest.importorskip("ckm.service.services")
    if not hasattr(service, "case_intake"):
        pytest.skip("the service app has no case intake yet")
    article = services.article_create(
        actor=editor,
        title="Changing a standing order",
        audience="public",
        category="Payments",
        body_source="Change or delete a standing order in the app under **Payments > Standing orders**.",
    )
    services.article_publish(actor=editor, article=article)
    internal = services.article_create(
        actor=editor,
        title="Standing order back-office checklist",
        audience="internal",
        category="Payments",
        body_source="Internal: check the standing order mandate.",
    )
    services.article_publish(actor=editor, article=internal)
    page.goto(f"{page.base}/portal/")  # nobody logged in
    assert page.url == f"{page.base}/portal/"
    page.fill("#portal-q", "standing order")
    page.wait_for_selector("#portal-results :text('for “standing order”')")
    assert "back-office checklist" not in page.inner_text("main")
    page.click("#portal-results a:has-text('Changing a standing order')")
    page.wait_for_selector("h1:has-text('Changing a standing order')")
    page.click("#portal-vote button:has-text('No')")
    page.wait_for_selector("text=Ask us directly")
    page.click("text=Contact us")
    page.fill("#id_subject", "Standing order")
    page.fill("#id_message", "How do I change my standing order to another day?")
    page.fill("#id_email", "kunde@example.com")
    page.click("#contact-form button[type=submit]")
    page.wait_for_selector("h2:has-text('Do these answer your question?')")
    assert "Changing a standing order" in page.inner_text("main")
    page.click("#contact-form button:has-text('Send anyway')")
    page.wait_for_selector(".message-success:has-text('we have your message')", timeout=30_000)
    from ckm.knowledge.models import ArticleFeedback, PortalVisit, SearchQuery
    from ckm.service.models import Case

    assert Case.objects.get().channel == "portal"
    assert SearchQuery.objects.filter(where="portal", clicked_article=article).exists()
    assert ArticleFeedback.objects.get().session
    assert PortalVisit.objects.get().contacted
