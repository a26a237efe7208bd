"""Fixtures of the campaign tests: a small synthetic bank built once per module, with consents,
a scored propensity model for the investment fund and a rule segment (training takes seconds,
so the expensive part is shared; every test still runs in its own transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from ckm.core.models import Role
from ckm.core.tests.factories import TeamFactory, UserFactory

AS_OF = dt.date(2026, 10, 31)


def build_bank(*, customers: int = 300, seed: int = 3) -> dict[str, Any]:
    from ckm.analytics.models import Segment
    from ckm.analytics.services import model_train, value_compute
    from ckm.analytics.synthetic import synthetic_bank
    from ckm.customers.models import Consent, ContactPoint, Customer, Product

    north = TeamFactory(name="North")
    south = TeamFactory(name="South")
    rm = UserFactory(role=Role.RELATIONSHIP_MANAGER, username="rm", team=north)
    rm_south = UserFactory(role=Role.RELATIONSHIP_MANAGER, username="rm_south", team=south)
    manager = UserFactory(role=Role.MANAGER, username="manager", team=north)
    marketer = UserFactory(role=Role.MARKETER, username="marketer")
    north.manager = manager
    north.save()
    info = synthetic_bank(
        customers=customers, as_of=AS_OF, owners=[rm, rm_south], months=14, seed=seed
    )
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(
                customer_id=cid,
                purpose="marketing",
                channel=channel,
                granted=k % 10 != 0,
                recorded_at=now,
            )
            for k, cid in enumerate(ids)
            for channel in ("phone", "email", "letter")
        ]
    )
    # a number to call and an address to write to, but not for every 13th customer
    ContactPoint.objects.bulk_create(
        [
            ContactPoint(customer_id=cid, kind=kind, value=value)
            for k, cid in enumerate(ids)
            if k % 13 != 5
            for kind, value in (("mobile", f"+4917{cid:08d}"), ("email", f"c{cid}@example.com"))
        ]
    )
    value_compute(as_of=AS_OF)
    fund = Product.objects.get(external_id="INV")
    version = model_train(
        actor=None, kind="propensity", product_id=fund.pk, as_of=AS_OF, folds=2, snapshots=2
    )
    segment = Segment.objects.create(
        name="Everyone active",
        definition={
            "match": "all",
            "conditions": [{"field": "customer:status", "op": "eq", "value": "active"}],
        },
    )
    info.update(
        {
            "rm": rm.pk,
            "rm_south": rm_south.pk,
            "manager": manager.pk,
            "marketer": marketer.pk,
            "fund": fund.pk,
            "version": version.pk,
            "segment": segment.pk,
            "north": north.pk,
        }
    )
    return info


@pytest.fixture(scope="module")
def bank(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        info = build_bank()
        try:
            yield info
        finally:
            call_command("flush", interactive=False, verbosity=0)
            ContentType.objects.clear_cache()


@pytest.fixture
def users(bank: dict[str, Any]) -> dict[str, Any]:
    from ckm.core.models import User

    return {
        name: User.objects.get(pk=bank[name]) for name in ("rm", "rm_south", "manager", "marketer")
    }
