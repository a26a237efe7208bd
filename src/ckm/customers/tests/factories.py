"""Factories for customers, products, holdings and transactions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from ckm.customers import keys
from ckm.customers.models import ContactPoint, Customer, Holding, Product, Transaction


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    kind = Customer.Kind.PERSON
    first_name = "Max"
    last_name = factory.Sequence(lambda n: f"Muster{n}")
    name = ""
    display_name = factory.LazyAttribute(
        lambda o: keys.display_name(
            kind=o.kind, first_name=o.first_name, last_name=o.last_name, name=o.name
        )
    )
    name_key = factory.LazyAttribute(
        lambda o: keys.name_keys(
            kind=o.kind, first_name=o.first_name, last_name=o.last_name, name=o.name
        )[0]
    )
    sort_key = factory.LazyAttribute(
        lambda o: keys.name_keys(
            kind=o.kind, first_name=o.first_name, last_name=o.last_name, name=o.name
        )[1]
    )
    customer_since = dt.date(2015, 1, 1)
    date_of_birth = dt.date(1980, 6, 15)
    city = "Berlin"
    country = "DE"


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    customer = factory.SubFactory(CustomerFactory)
    kind = "email"
    value = factory.Sequence(lambda n: f"person{n}@example.com")
    value_key = factory.LazyAttribute(lambda o: keys.contact_key(o.kind, o.value))
    is_primary = True


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("external_id",)

    external_id = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    family = "savings"
    margin = 0.01


class HoldingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holding

    external_id = factory.Sequence(lambda n: f"H{n}")
    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    opened = dt.date(2020, 1, 1)
    balance = Decimal("1000.00")


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    external_id = factory.Sequence(lambda n: f"T{n}")
    customer = factory.SubFactory(CustomerFactory)
    booked_at = factory.LazyFunction(timezone.now)
    amount = Decimal("-25.00")
    kind = "card"
