"""Browser journey: a service manager sets up an SLA policy and a queue with a member in the
service settings pages, starting from the case list."""

from __future__ import annotations

import pytest

from ckm.service.models import Queue, QueueMember, SlaPolicy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_creates_an_sla_policy_and_a_queue(browser_login, desk, manager) -> None:
    page = browser_login("manager")
    page.goto(f"{page.base}/cases/")
    page.click("#service-settings-link")
    page.wait_for_selector("#settings-tabs")
    page.click("#settings-tabs a:has-text('SLA policies')")
    page.click("#settings-new")
    page.fill("#id_name", "Complaint, high")
    page.select_option("#id_kind", "complaint")
    page.select_option("#id_priority", "high")
    page.fill("#id_first_response_hours", "2")
    page.fill("#id_resolution_hours", "16")
    page.fill("#id_warn_at_percent", "96")
    page.fill("#id_escalate_at_percent", "95")
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector("#id_warn_at_percent ~ .errorlist")
    assert "The warning comes before the escalation" in page.inner_text("#settings-form")
    page.fill("#id_warn_at_percent", "75")
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector("#settings-table :text('Complaint, high')")
    policy = SlaPolicy.objects.get(name="Complaint, high")
    assert (policy.warn_at_percent, policy.resolution_hours) == (75, 16)

    page.click("#settings-tabs a:has-text('Queues')")
    page.click("#settings-new")
    page.fill("#id_name", "Loans")
    page.select_option("#id_strategy", "round_robin")
    page.fill("#id_rank", "20")
    page.check("#settings-form input[name=kinds][value=complaint]")
    page.fill("#id_product_families", "loans")
    page.fill("#id_categories", "rate, fees")
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector("#members")
    page.select_option("#member-form #id_user_id", str(desk["agent2"].pk))
    page.fill("#member-form #id_skills", "rate")
    page.click("#member-form button[type=submit]")
    page.wait_for_selector("#members td:has-text('agent2')")
    queue = Queue.objects.get(name="Loans")
    assert queue.kinds == ["complaint"] and queue.categories == ["rate", "fees"]
    assert QueueMember.objects.get(queue=queue).skills == ["rate"]
    page.click("#settings-tabs a:has-text('Queues')")
    assert desk["agent2"].get_full_name() in page.inner_text("#settings-table tr:has-text('Loans')")
