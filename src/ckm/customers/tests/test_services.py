"""Customer writes: permission, record access, validation, audit and timeline in one step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ckm.core.errors import NotFound
from ckm.core.models import AuditEntry
from ckm.customers import services
from ckm.customers.models import (
    Consent,
    ContactPoint,
    CustomerEvent,
    PersonalFact,
    RecordConfirmation,
)

pytestmark = pytest.mark.django_db


def test_update_records_before_and_after_in_the_audit_log(agent, north_customer) -> None:
    services.customer_update(
        actor=agent, customer_id=north_customer.pk, city="Potsdam", postcode="14467"
    )
    entry = AuditEntry.objects.get(action="update", customer_ref=north_customer.pk)
    assert entry.changes["city"] == ["Berlin", "Potsdam"]
    assert entry.actor == agent
    north_customer.refresh_from_db()
    assert north_customer.city == "Potsdam"
    assert RecordConfirmation.objects.filter(customer=north_customer, section="identity").exists()


def test_update_keeps_search_keys_in_step(agent, north_customer) -> None:
    services.customer_update(actor=agent, customer_id=north_customer.pk, last_name="Schmidt-Müller")
    north_customer.refresh_from_db()
    assert north_customer.display_name == "Anna Schmidt-Müller"
    assert north_customer.sort_key == "schmidt muller anna"


def test_invalid_update_raises_field_errors_and_writes_nothing(agent, north_customer) -> None:
    with pytest.raises(ValidationError) as error:
        services.customer_update(actor=agent, customer_id=north_customer.pk, status="lost")
    assert "status" in error.value.message_dict
    assert not AuditEntry.objects.filter(action="update").exists()


def test_a_relationship_manager_cannot_touch_another_teams_customer(rm, south_customer) -> None:
    with pytest.raises(NotFound):
        services.customer_update(actor=rm, customer_id=south_customer.pk, city="X")


def test_a_marketer_may_not_change_customer_records(marketer, north_customer) -> None:
    with pytest.raises(PermissionDenied):
        services.customer_update(actor=marketer, customer_id=north_customer.pk, city="X")


def test_handover_keeps_the_note_on_the_timeline(manager, rm_south, north_customer) -> None:
    services.customer_reassign(
        actor=manager,
        customer_id=north_customer.pk,
        owner=rm_south,
        note="Daughter Lena, prefers mornings",
    )
    north_customer.refresh_from_db()
    assert north_customer.owner == rm_south and north_customer.team == rm_south.team
    event = CustomerEvent.objects.get(customer=north_customer, kind="handover")
    assert event.payload["note"] == "Daughter Lena, prefers mornings"
    assert AuditEntry.objects.filter(customer_ref=north_customer.pk, summary="handover").exists()


def test_agents_may_not_hand_customers_over(agent, rm, north_customer) -> None:
    with pytest.raises(PermissionDenied):
        services.customer_reassign(actor=agent, customer_id=north_customer.pk, owner=rm)


def test_personal_facts_come_back_every_year(rm, north_customer) -> None:
    fact = services.personal_fact_add(
        actor=rm,
        customer_id=north_customer.pk,
        kind="anniversary",
        label="Wedding anniversary",
        date=dt.date(2001, 3, 10),
    )
    assert fact.recurring is True
    assert fact.next_date(dt.date(2026, 3, 11)) == dt.date(2027, 3, 10)
    assert fact.next_date(dt.date(2026, 3, 10)) == dt.date(2026, 3, 10)
    leap = PersonalFact(date=dt.date(2000, 2, 29), recurring=True)
    assert leap.next_date(dt.date(2026, 1, 1)) == dt.date(2026, 3, 1)


def test_a_yearly_fact_needs_its_date(rm, north_customer) -> None:
    for kind, recurring in (("anniversary", None), ("note", True)):
        with pytest.raises(ValidationError) as refused:
            services.personal_fact_add(
                actor=rm,
                customer_id=north_customer.pk,
                kind=kind,
                label="Wedding anniversary",
                recurring=recurring,
            )
        assert "date" in refused.value.message_dict
    assert not PersonalFact.objects.exists()


def test_deleting_a_fact_is_audited(rm, north_customer) -> None:
    fact = services.personal_fact_add(
        actor=rm, customer_id=north_customer.pk, kind="family", label="Son", value="Jonas"
    )
    services.personal_fact_delete(actor=rm, fact_id=fact.pk)
    assert not PersonalFact.objects.exists()
    assert AuditEntry.objects.get(action="delete").changes["before"]["value"] == "Jonas"


def test_consent_is_one_row_per_purpose_and_channel_with_history_in_the_audit(
    agent, north_customer
) -> None:
    services.consent_set(
        actor=agent,
        customer_id=north_customer.pk,
        purpose="marketing",
        channel="email",
        granted=True,
    )
    services.consent_set(
        actor=agent,
        customer_id=north_customer.pk,
        purpose="marketing",
        channel="email",
        granted=False,
    )
    assert Consent.objects.get().granted is False
    changes = [
        e.changes for e in AuditEntry.objects.filter(object_type="customers.consent").order_by("id")
    ]
    assert changes == [{"granted": [None, True]}, {"granted": [True, False]}]
    assert (
        services.consent_allows(customer_id=north_customer.pk, purpose="marketing", channel="email")
        is False
    )


def test_unknown_consent_purpose_is_a_field_error(agent, north_customer) -> None:
    with pytest.raises(ValidationError) as error:
        services.consent_set(
            actor=agent,
            customer_id=north_customer.pk,
            purpose="spam",
            channel="email",
            granted=True,
        )
    assert "purpose" in error.value.message_dict


def test_contact_point_becomes_primary_and_demotes_the_old_one(agent, north_customer) -> None:
    old = services.contact_point_add(
        actor=agent, customer=north_customer, kind="email", value="old@example.com", primary=True
    )
    new = services.contact_point_add(
        actor=agent, customer=north_customer, kind="email", value="New@Example.com", primary=True
    )
    old.refresh_from_db()
    assert new.is_primary and not old.is_primary
    assert new.value_key == "new@example.com"
    again = services.contact_point_add(
        actor=agent, customer=north_customer, kind="email", value="new@example.com"
    )
    assert again.pk == new.pk
    assert ContactPoint.objects.filter(customer=north_customer).count() == 2


def test_bad_contact_points_are_rejected(agent, north_customer) -> None:
    with pytest.raises(ValidationError):
        services.contact_point_add(actor=agent, customer=north_customer, kind="email", value="nope")
    with pytest.raises(ValidationError):
        services.contact_point_add(actor=agent, customer=north_customer, kind="phone", value="12")


def test_confirming_a_section_records_who_and_when(agent, north_customer) -> None:
    confirmation = services.record_confirm(
        actor=agent, customer_id=north_customer.pk, section="contact"
    )
    assert confirmation.confirmed_by == agent
    assert AuditEntry.objects.filter(
        customer_ref=north_customer.pk, summary__startswith="confirmed"
    ).exists()


def test_customer_create_needs_a_name(admin_user) -> None:
    with pytest.raises(ValidationError):
        services.customer_create(actor=admin_user, kind="person", first_name="Only")
    customer = services.customer_create(
        actor=admin_user, kind="organisation", name="Ölmühle AG", email="info@oel.example"
    )
    assert customer.external_id.startswith("CKM-")
    assert customer.name_key == "olmuhle ag"
    assert customer.contact_points.get().is_primary
    assert CustomerEvent.objects.filter(customer=customer, kind="customer_created").exists()


def test_a_date_of_birth_in_the_future_is_refused(agent, north_customer) -> None:
    with pytest.raises(ValidationError) as refused:
        services.customer_update(
            actor=agent, customer_id=north_customer.pk, date_of_birth=dt.date(2031, 1, 1)
        )
    assert "date_of_birth" in refused.value.message_dict
