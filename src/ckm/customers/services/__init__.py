"""Writes of customer data, by subdomain: the records themselves (identity, contact points,
personal facts, consent, confirmation, handover) and identity resolution (finding customers
recorded twice and merging them)."""

from ckm.customers.services.identity import (
    customer_merge,
    duplicate_dismiss,
    duplicate_reopen,
    duplicates_find,
    duplicates_find_start,
)
from ckm.customers.services.records import (
    IDENTITY_FIELDS,
    consent_allows,
    consent_set,
    contact_point_add,
    contact_value_problem,
    customer_create,
    customer_event_record,
    customer_profile_viewed,
    customer_reassign,
    customer_update,
    personal_fact_add,
    personal_fact_delete,
    record_confirm,
)

__all__ = [
    "IDENTITY_FIELDS",
    "consent_allows",
    "consent_set",
    "contact_point_add",
    "contact_value_problem",
    "customer_create",
    "customer_event_record",
    "customer_merge",
    "customer_profile_viewed",
    "customer_reassign",
    "customer_update",
    "duplicate_dismiss",
    "duplicate_reopen",
    "duplicates_find",
    "duplicates_find_start",
    "personal_fact_add",
    "personal_fact_delete",
    "record_confirm",
]
