"""The desk pages: login everywhere, the profile and its sections, search, timeline, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ckm.core.models import AuditEntry
from ckm.customers.tests.factories import ContactPointFactory, CustomerFactory, HoldingFactory
from ckm.interactions.models import Interaction
from ckm.interactions.tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/customers/",
        "/customers/suggest/?q=an",
        "/customers/1/",
        "/imports/",
        "/audit/",
        "/account/tokens/",
        "/customers/new/",
    ],
)
def test_every_page_needs_a_login(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_and_logout_are_audited(client, agent) -> None:
    response = client.post("/login/", {"username": "agent", "password": "pw-test-123"})
    assert response.status_code == 302
    client.post("/logout/")
    client.post("/login/", {"username": "agent", "password": "wrong"})
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["login", "logout", "login_failed"]


def test_navigation_follows_the_role(login, agent, admin_user) -> None:
    page = login(agent).get("/").content.decode()
    assert 'href="/customers/"' in page and 'href="/audit/"' not in page
    page = login(admin_user).get("/").content.decode()
    assert 'href="/audit/"' in page and 'href="/imports/"' in page


def test_search_suggestions_answer_as_you_type(login, agent, north_customer) -> None:
    page = (
        login(agent)
        .get("/customers/suggest/", {"q": "schm"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "Anna Schmidt" in page
    page = login(agent).get("/customers/suggest/", {"q": "zzz"}).content.decode()
    assert "No customer matches" in page


def test_profile_shows_every_section_and_is_audited(login, agent, north_customer) -> None:
    ContactPointFactory(customer=north_customer, kind="email", value="anna@example.com")
    HoldingFactory(customer=north_customer)
    InteractionFactory(customer=north_customer, subject="Card blocked", channel="phone")
    page = login(agent).get(f"/customers/{north_customer.pk}/").content.decode()
    for text in [
        "Anna Schmidt",
        "anna@example.com",
        "Products and value",
        "Timeline",
        "Card blocked",
        "Log a contact",
        "Consent",
        "How fresh is this record?",
        "Personal facts",
    ]:
        assert text in page, text
    assert AuditEntry.objects.filter(action="view", customer_ref=north_customer.pk).count() == 1


def test_marketers_do_not_see_personal_facts_or_the_contact_history(
    login, marketer, north_customer
) -> None:
    page = login(marketer).get(f"/customers/{north_customer.pk}/").content.decode()
    assert (
        'id="facts-heading"' not in page
        and "Log a contact" not in page
        and 'id="timeline-heading"' not in page
    )


def test_another_teams_customer_is_404_on_the_profile(login, rm, south_customer, settings) -> None:
    settings.DEBUG = True  # as in the local demo: still the product's page, no URL listing
    response = login(rm).get(f"/customers/{south_customer.pk}/")
    assert response.status_code == 404
    assert "not yours to see" in response.content.decode()
    assert "URLconf" not in response.content.decode()
    page = login(rm).get("/customers/", {"q": "Südmann"}).content.decode()
    assert "Bernd Südmann" not in page and "No customers match" in page


def test_logging_a_call_puts_it_on_the_timeline(login, agent, north_customer) -> None:
    client = login(agent)
    response = client.post(
        reverse("interactions:log", args=[north_customer.pk]),
        {
            "channel": "phone",
            "direction": "inbound",
            "subject": "Lost card",
            "text": "Card lost in Munich",
            "outcome": "resolved",
            "idempotency_key": "k1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "timeline-changed"
    # a double click sends the same key again: still one interaction
    client.post(
        reverse("interactions:log", args=[north_customer.pk]),
        {
            "channel": "phone",
            "direction": "inbound",
            "text": "Card lost in Munich",
            "idempotency_key": "k1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert Interaction.objects.filter(customer=north_customer).count() == 1
    timeline = client.get(reverse("desk:timeline", args=[north_customer.pk])).content.decode()
    assert "Lost card" in timeline


def test_an_empty_log_form_answers_with_the_error(login, agent, north_customer) -> None:
    response = login(agent).post(
        reverse("interactions:log", args=[north_customer.pk]),
        {"channel": "phone", "direction": "inbound", "text": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Write what the contact was about" in response.content.decode()
    assert not Interaction.objects.filter(customer=north_customer).exists()


def test_a_call_with_a_subject_and_no_notes_is_logged(login, agent, north_customer) -> None:
    response = login(agent).post(
        reverse("interactions:log", args=[north_customer.pk]),
        {"channel": "phone", "direction": "outbound", "subject": "No answer", "text": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Interaction.objects.get(customer=north_customer).subject == "No answer"


def test_timeline_filters_by_channel_and_pages_by_time(login, agent, north_customer) -> None:
    now = timezone.now()
    for i in range(25):
        InteractionFactory(
            customer=north_customer,
            channel="phone" if i % 2 else "email",
            subject=f"contact {i}",
            occurred_at=now - dt.timedelta(hours=i),
        )
    client = login(agent)
    page = client.get(
        reverse("desk:timeline", args=[north_customer.pk]), {"channel": "email"}
    ).content.decode()
    assert "contact 0" in page and "contact 1<" not in page
    first = client.get(reverse("desk:timeline", args=[north_customer.pk])).content.decode()
    assert "contact 19" in first and "contact 20" not in first and "Older entries" in first
    before = (now - dt.timedelta(hours=19)).isoformat()
    older = client.get(
        reverse("desk:timeline", args=[north_customer.pk]), {"before": before}
    ).content.decode()
    assert "contact 20" in older and "contact 24" in older and "contact 19" not in older


def test_profile_query_count_does_not_grow_with_history(
    login, agent, north_customer, django_assert_max_num_queries
) -> None:
    for _ in range(40):
        InteractionFactory(customer=north_customer)
        HoldingFactory(customer=north_customer)
    client = login(agent)
    with django_assert_max_num_queries(40):
        assert client.get(f"/customers/{north_customer.pk}/").status_code == 200


def test_customer_list_query_count_is_fixed(login, agent, django_assert_max_num_queries) -> None:
    for _ in range(60):
        CustomerFactory()
    client = login(agent)
    with django_assert_max_num_queries(14):
        assert client.get("/customers/").status_code == 200


def test_facts_consent_and_confirmation_forms(login, rm, north_customer) -> None:
    client = login(rm)
    page = client.post(
        reverse("customers:fact_add", args=[north_customer.pk]),
        {"kind": "family", "label": "Daughter", "value": "Lena"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Daughter" in page and "Lena" in page
    page = client.post(
        reverse("customers:consent", args=[north_customer.pk]),
        {"purpose": "marketing", "channel": "email", "granted": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "consent-yes" in page
    page = client.post(
        reverse("customers:confirm", args=[north_customer.pk, "contact"]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert timezone.localdate().isoformat() in page


def test_handover_page_for_managers_only(login, manager, agent, rm, north_customer) -> None:
    assert (
        login(agent).get(reverse("customers:reassign", args=[north_customer.pk])).status_code == 403
    )
    client = login(manager)
    response = client.post(
        reverse("customers:reassign", args=[north_customer.pk]),
        {"owner": rm.pk, "note": "Call her on Fridays"},
    )
    assert response.status_code == 302


def test_new_customer_form(login, admin_user) -> None:
    client = login(admin_user)
    response = client.post(
        "/customers/new/",
        {
            "kind": "person",
            "first_name": "Ola",
            "last_name": "Nordmann",
            "status": "active",
            "email": "ola@example.com",
        },
    )
    assert response.status_code == 302
    response = client.post(
        "/customers/new/", {"kind": "person", "first_name": "Ola", "status": "active"}
    )
    assert (
        response.status_code == 200 and "A person needs a last name." in response.content.decode()
    )


def test_the_timeline_shows_an_apps_events_only_to_who_may_read_them(
    login, marketer, agent, north_customer
) -> None:
    from ckm.customers.services import customer_event_record

    customer_event_record(
        customer_id=north_customer.pk,
        kind="case_opened",
        summary="C-000001: complaint about the overdraft fee",
        source="service",
    )
    customer_event_record(
        customer_id=north_customer.pk, kind="handover", summary="Handed over to Lea"
    )
    # marketers may not read cases: the case's subject is not theirs to see on the timeline
    page = login(marketer).get(f"/customers/{north_customer.pk}/timeline/").content.decode()
    assert "overdraft fee" not in page and "Handed over to Lea" in page
    page = login(agent).get(f"/customers/{north_customer.pk}/timeline/").content.decode()
    assert "overdraft fee" in page
    # nor does the count give the hidden events away
    from ckm.desk.selectors import timeline_event_count

    assert timeline_event_count(user=marketer, customer=north_customer) == 1
    assert timeline_event_count(user=agent, customer=north_customer) == 2


def test_a_bad_customer_filter_is_shown_and_the_others_still_apply(
    login, agent, north_customer, south_customer
) -> None:
    response = login(agent).get("/customers/", {"q": "Schmidt", "status": "bogus"})
    assert [c.pk for c in response.context["customers"]] == [north_customer.pk]
    assert "Select a valid choice. bogus is not one of the available choices." in (
        response.content.decode()
    )


def _options(page: str, select_id: str) -> list[str]:
    import re

    select = re.search(rf'<select name="\w+" id="{select_id}">(.*?)</select>', page, re.S)
    assert select is not None, select_id
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_owner_team_and_office_filters_offer_only_those_of_customers_one_may_see(
    login, rm, rm_south, north_customer, south_customer, team_north, team_south
) -> None:
    from ckm.core.tests.factories import OfficeFactory

    north_office = OfficeFactory(code="BR-HH", name="Branch Hamburg")
    south_office = OfficeFactory(code="BR-M", name="Branch Munich")
    OfficeFactory(code="BR-K", name="Branch Cologne")  # the office of no customer: not offered
    north_customer.office = north_office
    north_customer.save()
    south_customer.office = south_office
    south_customer.save()
    page = login(rm).get("/customers/").content.decode()
    assert _options(page, "id_owner") == ["Any owner", str(rm)]
    assert _options(page, "id_team") == ["Any team", "North"]
    assert _options(page, "id_office") == ["Any office", "Branch Hamburg"]
    # a link to the list filtered by someone else still works (and finds nobody to show)
    response = login(rm).get("/customers/", {"owner": rm_south.pk, "team": team_south.pk})
    page = response.content.decode()
    assert "field-error" not in page and list(response.context["customers"]) == []
    assert _options(page, "id_owner") == ["Any owner", str(rm), str(rm_south)]
    assert f'<option value="{rm_south.pk}" selected>' in page


def test_the_customer_list_sorts_by_its_columns_in_the_database(login, agent, rm) -> None:
    for last, external_id, city, status in (
        ("Adler", "C900003", "Zwickau", "prospect"),
        ("Becker", "C900001", "Aachen", "inactive"),
        ("Cramer", "C900002", "Mainz", "active"),
    ):
        CustomerFactory(
            first_name="Eva", last_name=last, external_id=external_id, city=city, status=status
        )
    client = login(agent)

    def names(**query: str) -> list[str]:
        response = client.get("/customers/", query)
        return [c.last_name for c in response.context["customers"]]

    assert names() == ["Adler", "Becker", "Cramer"]  # by name, as before
    assert names(sort="-name") == ["Cramer", "Becker", "Adler"]
    assert names(sort="customer_id") == ["Becker", "Cramer", "Adler"]
    assert names(sort="city") == ["Becker", "Cramer", "Adler"]
    assert names(sort="-city") == ["Adler", "Cramer", "Becker"]
    assert names(sort="status") == ["Cramer", "Becker", "Adler"]  # active, inactive, prospect
    assert names(sort="display_name") == names()  # not a column: the default
    page = client.get("/customers/", {"status": "active", "sort": "city"}).content.decode()
    # the header links keep the filters; the filter form keeps the sort
    assert 'href="?status=active&amp;sort=-city"' in page and 'aria-sort="ascending"' in page
    assert 'href="?status=active&amp;sort=name"' in page
    assert '<input type="hidden" name="sort" value="city">' in page


def test_the_customer_list_sorts_by_owner_with_no_owner_last(login, agent, rm, manager) -> None:
    CustomerFactory(first_name="Eva", last_name="Adler", owner=None)
    CustomerFactory(first_name="Eva", last_name="Becker", owner=rm)
    CustomerFactory(first_name="Eva", last_name="Cramer", owner=manager)
    by_owner = sorted([rm, manager], key=lambda u: (u.last_name, u.first_name, u.username))
    response = login(agent).get("/customers/", {"sort": "owner"})
    owners = [c.owner for c in response.context["customers"]]
    assert owners == [*by_owner, None]
    response = login(agent).get("/customers/", {"sort": "-owner"})
    assert [c.owner for c in response.context["customers"]] == [*reversed(by_owner), None]
