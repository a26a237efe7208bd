"""Browser journey: an agent logs a phone case on a customer's profile; it is classified, queued
with an SLA timer and moved through the workflow to closed."""

from __future__ import annotations

import pytest

from ckm.service.services import case_intake, classifier_train
from ckm.service.tests.test_learning import history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_a_phone_case_that_is_classified_queued_and_worked(
    browser_login, desk, agent, north_customer
) -> None:
    history(desk)
    classifier_train(actor=None)
    page = browser_login("agent")
    page.goto(f"{page.base}/customers/{north_customer.pk}/")
    page.wait_for_selector("#cases-panel")
    page.eval_on_selector("#cases-panel details", "d => { d.open = true; }")
    page.select_option("#id_case_channel", "phone")
    page.select_option("#id_case_kind", "complaint")
    page.fill("#id_case_subject", "Lost card")
    page.fill("#id_case_body", "I lost my card yesterday, please block my debit card")
    page.click("#case-form button[type=submit]")
    page.wait_for_selector("#case-form .message-success")
    note = page.inner_text("#case-form .message-success")
    # answered in the call itself: the timer that runs is the resolution's
    assert "Cards" in note and "card lost" in note and "resolution" in note
    # the panel's list shows the new case at once, not "No cases." until a reload
    reference = page.inner_text("#case-form .message-success a")
    assert reference in page.inner_text("#customer-cases")
    assert "No cases." not in page.inner_text("#cases-panel")
    assert "1 open" in page.inner_text("#customer-cases-count")
    page.click("#case-form .message-success a")
    page.wait_for_selector("#sla-timers .sla-timer")
    levels = page.eval_on_selector_all(
        "#sla-timers .sla-timer", "ts => ts.map(t => t.dataset.level)"
    )
    assert levels == ["met", "ok"]
    assert "card lost" in page.inner_text("#suggestion")
    page.click("#classification form button:has-text('Accept suggestion')")
    page.wait_for_selector(".message-success")
    page.click("button[data-step=in_progress]")
    page.wait_for_selector("#case-status:has-text('In progress')")
    page.fill("#id_resolution", "Card blocked, a new one is on its way.")
    page.click("button[data-step=resolved]")
    page.wait_for_selector("#case-status:has-text('Resolved')")
    page.click("button[data-step=answered]")
    page.wait_for_selector("#case-status:has-text('Answered')")
    assert "a new one is on its way" in page.inner_text("#messages")
    page.click("button[data-step=closed]")
    page.wait_for_selector("#case-status:has-text('Closed')")
    page.select_option("#id_score", "5")
    page.click("#satisfaction button")
    page.wait_for_selector("#satisfaction :text('5/5')")
    page.goto(f"{page.base}/customers/{north_customer.pk}/")
    timeline = page.inner_text("#timeline")
    assert "Lost card" in timeline and "Closed" in timeline


def test_the_case_forms_subject_box_is_as_wide_as_its_text_box(
    browser_login, desk, agent, north_customer
) -> None:
    """An input without a type attribute is a text box too: it gets the form's look (it was a
    tiny unstyled box next to full-width fields)."""
    page = browser_login("agent")
    page.goto(f"{page.base}/customers/{north_customer.pk}/")
    page.eval_on_selector("#cases-panel details", "d => { d.open = true; }")
    subject = page.locator("#id_case_subject").bounding_box()
    body = page.locator("#id_case_body").bounding_box()
    assert subject and body and abs(subject["width"] - body["width"]) < 2


def test_insert_in_reply_puts_the_answer_at_the_caret_without_a_reload(
    browser_login, desk, agent
) -> None:
    from ckm.knowledge.tests.factories import ArticleFactory

    ArticleFactory(
        title="Lost or stolen card",
        slug="lost-or-stolen-card",
        summary="Block the card at once.",
        audience="public",
    )
    case = case_intake(actor=agent, channel="phone", subject="Lost card", body="Card is gone")
    page = browser_login("agent")
    page.goto(f"{page.base}/cases/{case.pk}/?q=lost+card")
    page.fill("#id_reply_body", "Dear Ms Roth,\n\nKind regards")
    page.eval_on_selector(
        "#id_reply_body", "box => { box.focus(); box.setSelectionRange(13, 13); }"
    )
    page.evaluate("window.notReloaded = true")
    page.click("#case-article-hits button:has-text('Insert in reply')")
    page.wait_for_selector("#reply-insert-note:has-text('is in the reply')")
    reply = page.input_value("#id_reply_body")
    assert reply.startswith("Dear Ms Roth,\n\nBlock the card at once.")
    assert reply.endswith("/portal/a/lost-or-stolen-card/)\n\nKind regards")
    assert page.evaluate("window.notReloaded") is True
