"""Browser journeys of the foundation, in Chromium."""

from __future__ import annotations

import pytest

from ckm.customers.tests.factories import ContactPointFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_finds_a_customer_logs_a_call_and_sees_it_on_the_timeline(
    browser_login, agent, north_customer
) -> None:
    ContactPointFactory(customer=north_customer, kind="email", value="anna.schmidt@example.com")
    page = browser_login("agent")
    page.press("#global-q", "/")  # the hotkey focuses search; typing goes on below
    page.fill("#global-q", "schm")
    page.wait_for_selector("#global-results a")
    assert "Anna Schmidt" in page.inner_text("#global-results")
    page.click("#global-results a")
    page.wait_for_selector("h1:has-text('Anna Schmidt')")
    page.select_option("#id_channel", "phone")
    page.fill("#id_subject", "Lost card in Munich")
    page.fill("#id_text", "Customer lost the debit card; blocked it and ordered a new one.")
    # a contact in the future: the form comes back in place with its error (a 422) and the input
    page.fill("#id_occurred_at", "2099-01-01T10:00")
    page.click("#log-form button[type=submit]")
    page.wait_for_selector("#log-form :text('cannot be in the future')")
    assert page.input_value("#id_subject") == "Lost card in Munich"
    page.fill("#id_occurred_at", "")
    page.click("#log-form button[type=submit]")
    page.wait_for_selector("#log-form .message-success")
    page.wait_for_selector("#timeline :text('Lost card in Munich')")
    assert "blocked it and ordered a new one" in page.inner_text("#timeline")


def test_relationship_manager_cannot_see_another_teams_customer(
    browser_login, rm, north_customer, south_customer
) -> None:
    page = browser_login("rm")
    page.fill("#global-q", "Südmann")
    page.wait_for_selector("#global-results .empty")
    assert "Bernd" not in page.inner_text("#global-results")
    response = page.goto(f"{page.base}/customers/{south_customer.pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"{page.base}/api/customers/{south_customer.pk}")
    assert response is not None and response.status == 404
    response = page.goto(f"{page.base}/customers/{north_customer.pk}/")
    assert response is not None and response.status == 200


def test_every_role_can_log_in_and_sees_its_navigation(browser_login, make_user) -> None:
    roles = [
        "agent",
        "relationship_manager",
        "marketer",
        "knowledge_editor",
        "product_manager",
        "manager",
        "admin",
    ]
    for role in roles:
        make_user(role, username=f"u_{role}")
    for role in roles:
        page = browser_login(f"u_{role}")
        assert page.is_visible("nav.sidebar")
        page.click("form[action='/logout/'] button")
        page.wait_for_url("**/login/")


def test_the_freshness_panel_fits_its_card_at_a_laptop_width(
    browser_login, manager, north_customer
) -> None:
    import datetime as dt

    from django.utils import timezone

    from ckm.customers.models import RecordConfirmation

    # the longest state the panel shows: a stale confirmation said as a time span, with its name
    long_ago = timezone.now() - dt.timedelta(days=3 * 365 + 190)
    for section in RecordConfirmation.Section.values:
        RecordConfirmation.objects.create(
            customer=north_customer, section=section, confirmed_at=long_ago, confirmed_by=manager
        )
    page = browser_login("manager")  # 1366 px wide
    page.goto(f"{page.base}/customers/{north_customer.pk}/")
    card = page.locator("#freshness").bounding_box()
    assert card is not None
    right = card["x"] + card["width"]
    table = page.locator("#freshness table").bounding_box()
    assert table is not None and table["x"] + table["width"] <= right
    buttons = page.locator("#freshness button").all()
    assert len(buttons) == len(RecordConfirmation.Section.values)
    for button in buttons:
        box = button.bounding_box()
        assert box is not None and box["x"] + box["width"] <= right - 8  # inside the padding
