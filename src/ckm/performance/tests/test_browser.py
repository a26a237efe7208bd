"""Browser journey: a manager opens the desk dashboard from the navigation, follows the late
cases to the case list, narrows the dashboard to one queue and turns to the knowledge loops."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_desk_and_narrows_it_to_a_queue(browser_login, cases, manager) -> None:
    page = browser_login("manager")
    page.click("nav a:has-text('Performance')")
    page.wait_for_selector("[data-testid=desk-now]")
    assert page.inner_text("h1") == "Service desk performance"
    assert page.locator(".chart svg").count() == 2
    assert "Ada Lind" in page.inner_text("[data-testid=by-agent]")
    assert int(page.inner_text("#kpi-opened")) == 4

    late = int(page.inner_text("#kpi-late"))
    assert late >= 1  # case b was never answered
    page.click("[data-testid=desk-now] a:has-text('late')")
    page.wait_for_url("**/cases/?**breached=on**")
    assert page.locator("main table tbody tr").count() == late  # the same cases, listed

    page.go_back()
    page.select_option("#id_weeks", "4")
    page.select_option("#id_queue", str(cases["cards"].pk))
    page.click("form[aria-label='Filter the dashboard'] button[type=submit]")
    page.wait_for_url("**queue=*")
    assert int(page.inner_text("#kpi-opened")) == 1  # only the Cards case
    assert int(page.inner_text("#kpi-late")) == 0
    assert "Ada Lind" in page.inner_text("[data-testid=by-agent]")

    page.click("nav[aria-label=Performance] a:has-text('Knowledge loops')")
    page.wait_for_selector("[data-testid=loop-gaps]")
    for loop in ("suggestions", "ideas", "gaps", "responses"):
        assert page.locator(f"[data-testid=loop-{loop}] h2").count() == 1
    assert page.get_attribute("nav[aria-label=Performance] .active", "aria-current") == "page"
