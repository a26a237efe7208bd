"""Customer value: profitability with configurable rates, RFM, CLV, the settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ckm.analytics.models import CustomerValue, ModelVersion
from ckm.analytics.services import value_compute, value_settings_update
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


def test_profit_is_margins_and_fees_minus_the_cost_to_serve(manager) -> None:
    value_settings_update(
        actor=manager,
        interaction_costs={"phone": 5.0, "web": 0.0},
        transaction_rates={"card": 0.01},
    )
    customer = CustomerFactory()
    savings = ProductFactory(external_id="SAV", family="savings", margin=0.02, fee=None)
    current = ProductFactory(
        external_id="CUR", family="current_account", margin=0.0, fee=Decimal("60")
    )
    HoldingFactory(customer=customer, product=savings, balance=Decimal("10000"))
    HoldingFactory(customer=customer, product=current, balance=Decimal("-500"))
    HoldingFactory(
        customer=customer,
        product=savings,
        balance=Decimal("99999"),
        opened=AS_OF + dt.timedelta(days=3),
    )
    TransactionFactory(customer=customer, booked_at=at(10), amount=Decimal("-1000"), kind="card")
    TransactionFactory(
        customer=customer, booked_at=at(400), amount=Decimal("-5000"), kind="card"
    )  # over a year ago
    for days in (5, 50, 500):
        InteractionFactory(customer=customer, occurred_at=at(days), channel="phone")
    value_compute(as_of=AS_OF)
    value = CustomerValue.objects.get(customer=customer)
    # 10,000 x 2 % + 60 fee + 1,000 x 1 % card income; two calls in the last year at 5
    assert value.revenue == pytest.approx(200 + 60 + 10)
    assert value.cost_to_serve == pytest.approx(10)
    assert value.profit == pytest.approx(260)
    assert value.balance == pytest.approx(9500)
    assert (
        value.frequency == 1 and value.recency_days == 10 and value.monetary == pytest.approx(1000)
    )


def test_rfm_scores_rank_customers_and_clv_is_registered() -> None:
    customers = [CustomerFactory() for _ in range(25)]
    for index, customer in enumerate(customers):
        for k in range(1 + index % 5):
            TransactionFactory(
                customer=customer,
                booked_at=at(3 + 20 * (index % 7) + 40 * k),
                amount=Decimal(-10 * (1 + index)),
                kind="card",
            )
    result = value_compute(as_of=AS_OF)
    assert result["customers"] == 25 and result["clv_version"]
    values = {v.customer_id: v for v in CustomerValue.objects.all()}
    best = max(values.values(), key=lambda v: (v.frequency, v.monetary))
    assert best.rfm[1] == "5"
    assert all(len(v.rfm) == 3 for v in values.values())
    assert all(v.p_alive is not None and 0 <= v.p_alive <= 1 for v in values.values())
    version = ModelVersion.objects.get(slot="clv", status="active")
    assert (
        version.kind == "clv" and "r" in version.params["bgnbd"] and version.metrics["loglik"] < 0
    )


def test_settings_are_validated_and_need_the_permission(manager, marketer) -> None:
    with pytest.raises(ValidationError):
        value_settings_update(actor=manager, interaction_costs={"phone": -1})
    with pytest.raises(ValidationError):
        value_settings_update(actor=manager, discount_rate=1.5)
    with pytest.raises(PermissionDenied):
        value_settings_update(actor=marketer, discount_rate=0.05)


def test_a_cost_for_an_unknown_channel_or_beyond_any_real_one_is_refused(manager) -> None:
    for fields, name in (
        ({"interaction_costs": {"phone": 4, "phnoe": 1}}, "interaction_costs"),
        ({"case_costs": {"complaint": 45, "nonsense": 2}}, "case_costs"),
        ({"interaction_costs": {"phone": 1e308}}, "interaction_costs"),
        ({"transaction_rates": {"card": 1e300}}, "transaction_rates"),
        ({"case_costs": {"complaint": True}}, "case_costs"),
    ):
        with pytest.raises(ValidationError) as refused:
            value_settings_update(actor=manager, **fields)
        assert name in refused.value.message_dict, fields
    settings = value_settings_update(
        actor=manager, interaction_costs={"phone": 5}, transaction_rates={"own_kind": 0.01}
    )
    assert settings.interaction_costs == {"phone": 5}
