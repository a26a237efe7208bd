"""Reads of the demo app."""

from __future__ import annotations

from ckm.customers.models import Customer


def demo_customers_exist() -> bool:
    """Whether the database already holds customers (then `ckm demo --if-empty` does nothing)."""
    return Customer.objects.exists()
