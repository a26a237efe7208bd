"""Factories for the contact history."""

from __future__ import annotations

import factory
from django.utils import timezone

from ckm.customers.tests.factories import CustomerFactory
from ckm.interactions.models import Interaction


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    external_id = factory.Sequence(lambda n: f"I{n}")
    customer = factory.SubFactory(CustomerFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    channel = "phone"
    subject = factory.Sequence(lambda n: f"Call {n}")
    text = "The customer asked about card fees."
