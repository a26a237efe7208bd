"""Fixtures of the analytics tests: a small synthetic bank built once per module (training a model
takes seconds, so the expensive part is shared; every test still runs in its own transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from ckm.core.models import Role
from ckm.core.tests.factories import TeamFactory, UserFactory

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def bank(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """300 customers (half owned by `rm` of team North, half by `rm_south`), two years of
    transactions and contacts, ~8 % drifting with a `churned` label; a churn model trained and
    scored; value and CLV computed; the default alert rules. Removed after the module."""
    from ckm.analytics.services import alert_rules_default, model_train, value_compute
    from ckm.analytics.synthetic import synthetic_bank

    with django_db_blocker.unblock():
        north = TeamFactory(name="North")
        south = TeamFactory(name="South")
        rm = UserFactory(role=Role.RELATIONSHIP_MANAGER, username="rm", team=north)
        rm_south = UserFactory(role=Role.RELATIONSHIP_MANAGER, username="rm_south", team=south)
        manager = UserFactory(role=Role.MANAGER, username="manager", team=north)
        north.manager = manager
        north.save()
        info = synthetic_bank(
            customers=300, as_of=AS_OF, owners=[rm, rm_south], months=14, drift_share=0.12, seed=3
        )
        value_compute(as_of=AS_OF)
        churn = model_train(actor=None, kind="churn", as_of=AS_OF, folds=3)
        alert_rules_default()
        info.update(
            {"churn": churn.pk, "rm": rm.pk, "rm_south": rm_south.pk, "manager": manager.pk}
        )
        try:
            yield info
        finally:
            call_command("flush", interactive=False, verbosity=0)
            ContentType.objects.clear_cache()
