"""Fixtures of the customers app's tests."""

from __future__ import annotations

import datetime as dt

import pytest

from ckm.customers.tests.factories import ContactPointFactory, CustomerFactory


@pytest.fixture
def twins(rm, team_north):
    """Anna Schmidt recorded twice in the north team: once by her RM, once by the call centre."""
    first = CustomerFactory(
        first_name="Anna",
        last_name="Schmidt",
        owner=rm,
        team=team_north,
        address="Hauptstr. 1",
        postcode="10115",
        date_of_birth=dt.date(1980, 6, 15),
    )
    second = CustomerFactory(
        first_name="Anna",
        last_name="Schmitd",
        team=team_north,
        address="Hauptstr. 1",
        postcode="10115",
        date_of_birth=dt.date(1980, 6, 15),
        status="prospect",
        customer_since=dt.date(2009, 1, 1),
    )
    ContactPointFactory(customer=first, kind="email", value="anna@example.de")
    ContactPointFactory(customer=second, kind="email", value="Anna@Example.de")
    ContactPointFactory(customer=second, kind="phone", value="0171 1234567")
    return first, second
