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
