"""Churn early warning: each rule kind, who is told, and that a customer is not alerted twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ckm.analytics.models import Alert, AlertRule
from ckm.analytics.selectors import alert_count_new, retention_list
from ckm.analytics.services import alert_rule_save, alert_update, alerts_evaluate
from ckm.core.errors import NotFound
from ckm.core.models import AuditEntry
from ckm.customers.models import CustomerEvent
from ckm.customers.tests.factories import (
    CustomerFactory,
    HoldingFactory,
    ProductFactory,
    TransactionFactory,
)
from ckm.interactions.tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def at(days_before: int) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(AS_OF - dt.timedelta(days=days_before), dt.time(12))
    )


@pytest.fixture
def savings(db):
    return ProductFactory(external_id="SAV", family="savings", name="Savings Plus")


def drained(owner, savings, *, before: str, now: str, days_ago: int = 10):
    customer = CustomerFactory(owner=owner, team=owner.team if owner else None)
    HoldingFactory(customer=customer, product=savings, balance=Decimal(now))
    TransactionFactory(
        customer=customer,
        product=savings,
        booked_at=at(days_ago),
        amount=Decimal(now) - Decimal(before),
        kind="transfer_out",
    )
    return customer


def test_a_savings_drain_puts_the_customer_on_the_owners_list(manager, rm, savings) -> None:
    rule = alert_rule_save(
        actor=manager,
        name="Savings drain away",
        kind="balance_drop",
        params={"family": "savings", "drop_pct": 30, "days": 30, "min_balance": 1000},
    )
    drain = drained(rm, savings, before="12000", now="4000")
    small = drained(rm, savings, before="12000", now="10000")  # down 17 %: no alert
    old = drained(rm, savings, before="12000", now="1000", days_ago=60)  # outside the window
    raised = alerts_evaluate(actor=manager, as_of=AS_OF)
    assert raised == {"Savings drain away": 1}
    assert AuditEntry.objects.filter(
        object_type="analytics.alertrule",
        object_id=str(rule.pk),
        actor=manager,
        summary__endswith="1 alerts raised",
    ).exists()
    alert = Alert.objects.get()
    assert (
        alert.customer == drain
        and alert.owner == rm
        and alert.rule == rule
        and alert.status == "new"
    )
    assert alert.reason == "Savings balance down 67 % in 30 days (from 12,000 to 4,000)"
    assert CustomerEvent.objects.filter(customer=drain, kind="retention_alert").exists()
    assert alert_count_new(rm) == 1
    assert [a.customer for a in retention_list(user=rm)] == [drain]
    assert not Alert.objects.filter(customer__in=[small, old]).exists()


def test_a_customer_is_not_alerted_again_while_open_or_within_the_cooldown(
    manager, rm, savings
) -> None:
    alert_rule_save(actor=manager, name="Drain", kind="balance_drop", params={"family": "savings"})
    drained(rm, savings, before="12000", now="4000")
    assert alerts_evaluate(as_of=AS_OF) == {"Drain": 1}
    assert alerts_evaluate(as_of=AS_OF) == {"Drain": 0}
    alert = Alert.objects.get()
    alert_update(actor=rm, alert_id=alert.pk, status="resolved", note="Moved money to buy a flat")
    assert alerts_evaluate(as_of=AS_OF) == {"Drain": 0}  # resolved, but within 30 days


def test_closed_products_open_complaints_and_falling_logins(manager, rm, savings) -> None:
    for name, kind in (
        ("Closed", "product_closed"),
        ("Complaint", "complaint_open"),
        ("Logins", "contact_drop"),
    ):
        alert_rule_save(actor=manager, name=name, kind=kind, params={})
    closer = CustomerFactory(owner=rm)
    HoldingFactory(
        customer=closer,
        product=savings,
        closed=AS_OF - dt.timedelta(days=3),
        status="closed",
        balance=Decimal(0),
    )
    complainer = CustomerFactory(owner=rm)
    InteractionFactory(
        customer=complainer, occurred_at=at(20), outcome="escalated", channel="phone"
    )
    answered = CustomerFactory(owner=rm)
    InteractionFactory(customer=answered, occurred_at=at(20), outcome="escalated")
    InteractionFactory(customer=answered, occurred_at=at(15), outcome="resolved")
    fresh = CustomerFactory(owner=rm)
    InteractionFactory(customer=fresh, occurred_at=at(5), outcome="escalated")  # under 14 days
    quiet = CustomerFactory(owner=rm)
    for days in range(35, 115, 5):
        InteractionFactory(customer=quiet, occurred_at=at(days), channel="web")
    busy = CustomerFactory(owner=rm)
    for days in range(1, 115, 5):
        InteractionFactory(customer=busy, occurred_at=at(days), channel="web")
    raised = alerts_evaluate(as_of=AS_OF)
    assert raised == {"Closed": 1, "Complaint": 1, "Logins": 1}
    by_rule = {a.rule.name: a for a in Alert.objects.select_related("rule")}
    assert (
        by_rule["Closed"].customer == closer and "Closed Savings Plus" in by_rule["Closed"].reason
    )
    assert (
        by_rule["Complaint"].customer == complainer
        and "open for 20 days" in by_rule["Complaint"].reason
    )
    assert by_rule["Logins"].customer == quiet and by_rule["Logins"].reason.startswith(
        "Web contacts down 100 %"
    )


def test_alert_reasons_count_in_words_and_name_a_channel_as_people_write_it(manager, rm) -> None:
    from ckm.analytics.services.alerts import rule_hits

    complaint = alert_rule_save(
        actor=manager, name="Complaint", kind="complaint_open", params={"days": 1}
    )
    texting = alert_rule_save(
        actor=manager,
        name="Texts",
        kind="contact_drop",
        params={"channel": "sms", "drop_pct": 60, "min_before": 1},
    )
    complainer = CustomerFactory(owner=rm)
    InteractionFactory(customer=complainer, occurred_at=at(1), outcome="escalated")
    quiet = CustomerFactory(owner=rm)
    for days in range(35, 115, 10):
        InteractionFactory(customer=quiet, occurred_at=at(days), channel="sms")
    reason = rule_hits(complaint, as_of=AS_OF)[complainer.pk][0]
    assert reason.startswith("Complaint open for 1 day (")
    assert rule_hits(texting, as_of=AS_OF)[quiet.pk][0].startswith("SMS contacts down 100 %")


def test_a_complaint_found_in_the_contacts_names_the_contact_to_look_for(manager, rm) -> None:
    """No case to open on the profile: the reason says which contact on the timeline it is."""
    from ckm.analytics.services.alerts import rule_hits

    complaint = alert_rule_save(
        actor=manager, name="Complaint", kind="complaint_open", params={"days": 1}
    )
    complainer = CustomerFactory(owner=rm)
    InteractionFactory(
        customer=complainer,
        occurred_at=at(20),
        outcome="escalated",
        channel="chat",
        subject="Online banking not working",
    )
    InteractionFactory(customer=complainer, occurred_at=at(5), outcome="escalated", subject="Later")
    caller = CustomerFactory(owner=rm)
    InteractionFactory(
        customer=caller, occurred_at=at(3), outcome="escalated", channel="phone", subject=""
    )
    hits = rule_hits(complaint, as_of=AS_OF)
    assert 'escalated chat "Online banking not working" on ' in hits[complainer.pk][0]
    assert "nothing resolved since" in hits[complainer.pk][0]
    assert "(escalated phone call on " in hits[caller.pk][0]


def big_city_rule(manager) -> AlertRule:
    return alert_rule_save(
        actor=manager,
        name="Big city",
        kind="custom",
        params={
            "definition": {
                "match": "all",
                "conditions": [{"field": "customer:city", "op": "eq", "value": "Hamburg"}],
            }
        },
    )


def test_a_custom_rule_is_a_segment_filter(manager, rm) -> None:
    big_city_rule(manager)
    hamburg = CustomerFactory(owner=rm, city="Hamburg")
    CustomerFactory(owner=rm, city="Berlin")
    alerts_evaluate(as_of=AS_OF)
    assert list(Alert.objects.values_list("customer", flat=True)) == [hamburg.pk]


def test_a_rule_that_no_longer_holds_is_skipped_and_the_others_still_run(manager, rm) -> None:
    # saved before operators were checked per field: `eq` on a yes/no field is refused now
    stale = AlertRule.objects.create(
        name="Stale",
        kind="custom",
        params={
            "definition": {
                "match": "all",
                "conditions": [{"field": "alert:open", "op": "eq", "value": True}],
            }
        },
    )
    big_city_rule(manager)
    hamburg = CustomerFactory(owner=rm, city="Hamburg")
    assert alerts_evaluate(as_of=AS_OF) == {"Big city": 1}
    assert list(Alert.objects.values_list("customer", flat=True)) == [hamburg.pk]
    entry = AuditEntry.objects.filter(object_type="analytics.alertrule", object_id=str(stale.pk))
    assert "not evaluated" in entry.get().summary and "does not apply" in entry.get().summary


def test_rules_are_validated_and_edited_by_managers_only(manager, rm) -> None:
    with pytest.raises(ValidationError):
        alert_rule_save(actor=manager, name="Bad", kind="balance_drop", params={"drop_pct": 140})
    with pytest.raises(ValidationError):
        alert_rule_save(
            actor=manager,
            name="Bad",
            kind="custom",
            params={"definition": {"conditions": [{"field": "nope:x"}]}},
        )
    with pytest.raises(ValidationError):
        alert_rule_save(actor=manager, name="Bad", kind="wishful", params={})
    with pytest.raises(PermissionDenied):
        alert_rule_save(actor=rm, name="Mine", kind="product_closed", params={})
    rule = alert_rule_save(actor=manager, name="Closed", kind="product_closed", params={"days": 10})
    rule = alert_rule_save(
        actor=manager,
        rule_id=rule.pk,
        name="Closed",
        kind="product_closed",
        params={"days": 20},
        is_active=False,
    )
    assert rule.params["days"] == 20 and not rule.is_active
    assert AlertRule.objects.count() == 1


def test_only_the_customers_team_may_handle_an_alert(manager, rm, rm_south, savings) -> None:
    alert_rule_save(actor=manager, name="Drain", kind="balance_drop", params={})
    drained(rm, savings, before="12000", now="4000")
    alerts_evaluate(as_of=AS_OF)
    alert = Alert.objects.get()
    with pytest.raises(NotFound):
        alert_update(actor=rm_south, alert_id=alert.pk, status="contacted")
    assert retention_list(user=rm_south).count() == 0
    alert_update(
        actor=rm, alert_id=alert.pk, status="contacted", note="Called, will visit the branch"
    )
    alert.refresh_from_db()
    assert alert.status == "contacted" and alert.handled_by == rm
    assert CustomerEvent.objects.filter(kind="retention_contact", customer=alert.customer).exists()
