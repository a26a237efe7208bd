"""Browser journey of identity resolution, in Chromium: a relationship manager finds a customer
recorded twice, compares the two records, keeps the right values and merges them."""

from __future__ import annotations

import pytest

from ckm.customers.services import duplicates_find
from ckm.customers.tests.factories import HoldingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_relationship_manager_merges_a_customer_recorded_twice(browser_login, twins) -> None:
    first, second = twins
    second.address = "Gartenweg 9"  # the second record was opened after a move
    second.save()
    HoldingFactory(customer=second)
    duplicates_find()

    page = browser_login("rm")
    page.goto(f"{page.base}/customers/{first.pk}/")
    page.wait_for_selector("#possible-duplicates :text('may be recorded twice')")
    page.click("#possible-duplicates a:has-text('compare and merge')")
    page.wait_for_selector("h1:has-text('Merge two records')")
    # the moved address is the newer one: keep it
    page.check("input[name=take_address][value=other]")
    assert "holdings" in page.inner_text("table").lower()
    page.click("button:has-text('Merge into Anna Schmidt')")
    page.wait_for_selector(".message-success:has-text('Merged Anna Schmitd')")
    assert "Gartenweg 9" in page.inner_text("body")
    assert second.external_id in page.inner_text("#merged-records")
    # an old link to the merged record leads here
    page.goto(f"{page.base}/customers/{second.pk}/")
    page.wait_for_selector(".message:has-text('merged into this one')")
    assert page.url.endswith(f"/customers/{first.pk}/")
    page.goto(f"{page.base}/customers/duplicates/")
    page.wait_for_selector(":text('No possible duplicates to decide')")
