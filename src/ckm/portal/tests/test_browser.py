"""Browser journey of the portal: a customer asks, is offered the article first, sends anyway."""

from __future__ import annotations

import pytest

from ckm.knowledge import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_is_offered_an_answer_before_contacting_us(
    page, editor, make_user, settings
) -> None:
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
    settings.CKM_ROLE_PERMISSIONS = {"product_manager": ["knowledge.use_portal"]}
    make_user("product_manager", username="kunde", email="kunde@example.com")
    page.goto(f"{page.base}/login/?next=/portal/")
    page.fill("#id_username", "kunde")
    page.fill("#id_password", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{page.base}/portal/")
    page.click("text=Contact us")
    page.fill("#id_subject", "Standing order")
    page.fill("#id_message", "How do I change my standing order to another day?")
    page.click("#contact-form button[type=submit]")
    page.wait_for_selector("h2:has-text('Do these answer your question?')")
    assert "Changing a standing order" in page.inner_text("main")
    page.click("#contact-form button:has-text('Send anyway')")
    page.wait_for_selector(".message-success:has-text('we have your message')", timeout=30_000)
    from ckm.service.models import Case

    assert Case.objects.get().channel == "portal"
