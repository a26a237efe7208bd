"""The customer edit page as an agent uses it: what the form shows is what it saves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ckm.customers.models import ContactPoint

pytestmark = pytest.mark.django_db


def _resubmit(page: Any, **changes: str) -> dict[str, str]:
    """The form's values as the browser would send them back, with some changed."""
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    date_of_birth = form["date_of_birth"]
    data["date_of_birth"] = date_of_birth.field.widget.format_value(date_of_birth.value()) or ""
    return {**data, **changes}


def test_editing_keeps_the_date_of_birth_and_sets_a_new_primary_phone(
    agent: Any, north_customer: Any, login: Any
) -> None:
    north_customer.date_of_birth = dt.date(1967, 12, 12)
    north_customer.save()
    ContactPoint.objects.create(
        customer=north_customer,
        kind="phone",
        value="030 1234567",
        value_key="301234567",
        is_primary=True,
    )
    client = login(agent)
    url = f"/customers/{north_customer.pk}/edit/"
    page = client.get(url)
    html = page.content.decode()
    assert 'value="1967-12-12"' in html  # the date picker can show it
    assert 'value="030 1234567"' in html
    saved = client.post(url, _resubmit(page, city="Potsdam", phone="+49 171 5550000"))
    assert saved.status_code == 302
    north_customer.refresh_from_db()
    assert north_customer.date_of_birth == dt.date(1967, 12, 12)
    assert north_customer.city == "Potsdam"
    phones = {p.value: p.is_primary for p in north_customer.contact_points.filter(kind="phone")}
    assert phones == {"030 1234567": False, "+49 171 5550000": True}
    # unchanged values add nothing
    client.post(url, _resubmit(client.get(url)))
    assert north_customer.contact_points.filter(kind="phone").count() == 2


def test_a_bad_phone_on_the_edit_page_is_an_error_and_saves_nothing(
    agent: Any, north_customer: Any, login: Any
) -> None:
    client = login(agent)
    url = f"/customers/{north_customer.pk}/edit/"
    page = client.post(url, _resubmit(client.get(url), city="Potsdam", phone="abc"))
    assert page.status_code in (200, 422)
    assert "Not a phone number" in page.content.decode()
    north_customer.refresh_from_db()
    assert north_customer.city != "Potsdam"


def test_granting_consent_asks_first_withdrawing_does_not(
    rm: Any, north_customer: Any, login: Any
) -> None:
    from django.utils import timezone

    from ckm.customers.models import Consent

    Consent.objects.create(
        customer=north_customer,
        purpose=Consent.Purpose.MARKETING,
        channel="email",
        granted=False,
        recorded_at=timezone.now(),
    )
    html = login(rm).get(f"/customers/{north_customer.pk}/").content.decode()
    asks = html.count("hx-confirm=")
    assert "after withdrawing it on" in html  # the withdrawn cell says so before re-granting
    cells = len(Consent.Purpose.choices) * len(Consent.Channel.choices)
    assert asks == cells  # nothing granted yet: every cell asks
    Consent.objects.filter(customer=north_customer).update(granted=True)
    html = login(rm).get(f"/customers/{north_customer.pk}/").content.decode()
    assert html.count("hx-confirm=") == cells - 1  # withdrawing the granted one does not ask


def test_consent_controls_are_named_by_the_purpose_people_read(
    rm: Any, north_customer: Any, login: Any
) -> None:
    from django.utils import timezone

    from ckm.customers.models import Consent

    Consent.objects.create(
        customer=north_customer,
        purpose=Consent.Purpose.PRODUCT_FEEDBACK,
        channel="email",
        granted=True,
        recorded_at=timezone.now(),
    )
    html = login(rm).get(f"/customers/{north_customer.pk}/").content.decode()
    assert 'aria-label="Product development contact by e-mail: granted"' in html
    assert 'aria-label="Marketing offers by phone: not asked"' in html
    for code, label in Consent.Purpose.choices:
        assert f'aria-label="{label} by ' in html
        assert f'aria-label="{code} by ' not in html


def test_consent_controls_name_the_channel_as_the_model_labels_it(
    rm: Any, north_customer: Any, login: Any
) -> None:
    from ckm.customers.models import Consent

    html = login(rm).get(f"/customers/{north_customer.pk}/").content.decode()
    assert 'aria-label="Marketing offers by SMS: not asked"' in html
    assert 'aria-label="Service updates by e-mail: not asked"' in html
    assert "agreed to marketing offers by SMS?" in html  # the question before granting
    assert "agreed to service updates by e-mail?" in html
    for channel, label in Consent.Channel.choices:
        said = label if label.isupper() else label.lower()
        assert f'aria-label="Marketing offers by {said}: not asked"' in html
    assert "by sms" not in html and "by email" not in html  # never the channel's code


def test_the_profile_shows_attributes_as_words_and_amounts(
    agent: Any, north_customer: Any, login: Any
) -> None:
    north_customer.attributes = {
        "income": 134500.0,
        "online_banking": False,
        "occupation": "civil_servant",
        "children": 2,
    }
    north_customer.save()
    html = login(agent).get(f"/customers/{north_customer.pk}/").content.decode()
    for shown in ("134,500", "civil servant", "<dd>no</dd>", "<dd>2</dd>"):
        assert shown in html
    assert "134500.0" not in html and "False" not in html and "civil_servant" not in html


def test_the_timeline_shows_outcomes_in_words(agent: Any, north_customer: Any, login: Any) -> None:
    from django.utils import timezone

    from ckm.interactions.models import Interaction

    for outcome in ("follow_up", "callback_later"):
        Interaction.objects.create(
            customer=north_customer,
            channel="phone",
            occurred_at=timezone.now(),
            subject=f"Call {outcome}",
            outcome=outcome,
            external_id=f"T-{outcome}",
        )
    html = login(agent).get(f"/customers/{north_customer.pk}/").content.decode()
    assert "Follow-up needed" in html and "Callback later" in html
    assert ">follow_up<" not in html
    # "All" counts what it lists: the two calls and the record's events
    from ckm.customers.models import CustomerEvent

    events = CustomerEvent.objects.filter(customer=north_customer).count()
    assert f'All <span class="small">{2 + events}</span>' in html


def test_a_fact_is_deleted_only_from_the_customer_its_address_names(
    rm: Any, north_customer: Any, login: Any
) -> None:
    """/customers/A/facts/F/delete/ with F a fact of customer B: nothing is deleted (the page
    answered 404 for A's facts after deleting B's)."""
    from ckm.customers.models import PersonalFact
    from ckm.customers.tests.factories import CustomerFactory

    other = CustomerFactory(owner=rm, team=north_customer.team)
    fact = PersonalFact.objects.create(customer=other, kind="preference", label="Calls", value="pm")
    client = login(rm)
    url = f"/customers/{north_customer.pk}/facts/{fact.pk}/delete/"
    client.post(url, HTTP_HX_REQUEST="true")
    assert PersonalFact.objects.filter(pk=fact.pk).exists()
    client.raise_request_exception = False
    huge = f"/customers/{'9' * 20}/facts/{fact.pk}/delete/"
    assert client.post(huge, HTTP_HX_REQUEST="true").status_code == 404
    assert PersonalFact.objects.filter(pk=fact.pk).exists()
    client.post(f"/customers/{other.pk}/facts/{fact.pk}/delete/", HTTP_HX_REQUEST="true")
    assert not PersonalFact.objects.filter(pk=fact.pk).exists()
