"""The feature builder: typed attributes from any package, and the as-of cut (no leakage)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from ckm.analytics.features import (
    build_features,
    case_frame,
    day_number,
    feature_phrase,
    make_keys,
)
from ckm.customers.models import AttributeDefinition
from ckm.customers.tests.factories import (
    CustomerFactory,
    HoldingFactory,
    ProductFactory,
    TransactionFactory,
)
from ckm.interactions.tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def row(table, index=0):
    return table.frame.iloc[index]


def test_events_after_the_as_of_day_never_count() -> None:
    customer = CustomerFactory()
    for day in (
        AS_OF - dt.timedelta(days=10),
        AS_OF,
        AS_OF + dt.timedelta(days=1),
        AS_OF + dt.timedelta(days=40),
    ):
        TransactionFactory(customer=customer, booked_at=at(day), amount=Decimal("-10"), kind="card")
        InteractionFactory(
            customer=customer, occurred_at=at(day), channel="phone", outcome="escalated"
        )
    table = build_features(make_keys([customer.pk], AS_OF))
    features = row(table)
    assert features["tx_count_30d"] == 2  # 10 days before and on the day; never the day after
    assert features["outflow_30d"] == 20
    assert features["contacts_90d"] == 2
    assert features["escalated_contacts_90d"] == 2
    assert features["days_since_transaction"] == 0
    later = row(build_features(make_keys([customer.pk], AS_OF + dt.timedelta(days=1))))
    assert later["tx_count_30d"] == 3


def test_each_key_is_cut_at_its_own_date() -> None:
    customer = CustomerFactory()
    TransactionFactory(customer=customer, booked_at=at(dt.date(2026, 1, 10)), kind="card")
    TransactionFactory(customer=customer, booked_at=at(dt.date(2026, 5, 10)), kind="card")
    keys = make_keys([customer.pk, customer.pk], [dt.date(2026, 2, 1), dt.date(2026, 6, 1)])
    table = build_features(keys)
    assert list(table.frame["tx_count_365d"]) == [1, 2]


def test_products_opened_later_are_not_held_and_have_no_balance_yet() -> None:
    customer = CustomerFactory()
    savings = ProductFactory(external_id="SAV", family="savings")
    fund = ProductFactory(external_id="INV", family="investment")
    HoldingFactory(
        customer=customer, product=savings, opened=dt.date(2020, 1, 1), balance=Decimal("5000")
    )
    HoldingFactory(
        customer=customer,
        product=fund,
        opened=AS_OF + dt.timedelta(days=20),
        balance=Decimal("90000"),
    )
    features = row(build_features(make_keys([customer.pk], AS_OF)))
    assert features["holds_savings"] == 1 and features["holds_investment"] == 0
    assert features["balance_investment"] == 0  # the future fund's balance must not leak back
    assert features["balance_total"] == 5000
    assert features["products_held"] == 1


def test_balances_roll_back_through_later_transactions() -> None:
    customer = CustomerFactory()
    savings = ProductFactory(external_id="SAV", family="savings")
    HoldingFactory(
        customer=customer, product=savings, opened=dt.date(2020, 1, 1), balance=Decimal("2000")
    )
    # 8,000 left the account 10 days before the as-of day, 1,000 came in after it
    TransactionFactory(
        customer=customer,
        product=savings,
        booked_at=at(AS_OF - dt.timedelta(days=10)),
        amount=Decimal("-8000"),
    )
    TransactionFactory(
        customer=customer,
        product=savings,
        booked_at=at(AS_OF + dt.timedelta(days=5)),
        amount=Decimal("1000"),
    )
    features = row(build_features(make_keys([customer.pk], AS_OF)))
    assert features["balance_savings"] == pytest.approx(1000)  # 2,000 now - 1,000 booked later
    assert features["balance_savings_change_30d"] == pytest.approx((1000 - 9000) / 9000)
    assert "down 89 %" in feature_phrase(
        table_info("balance_savings_change_30d", customer), features["balance_savings_change_30d"]
    )


def table_info(name, customer):
    return build_features(make_keys([customer.pk], AS_OF)).info[name]


def test_a_large_share_of_customers_is_read_by_one_scan_with_the_same_features(
    monkeypatch,
) -> None:
    from ckm.analytics import features as builder

    savings = ProductFactory(external_id="SAV", family="savings")
    people = [CustomerFactory() for _ in range(4)]
    for index, customer in enumerate(people):
        HoldingFactory(
            customer=customer, product=savings, opened=dt.date(2020, 1, 1), balance=Decimal("100")
        )
        for _ in range(index + 1):
            TransactionFactory(
                customer=customer,
                product=savings,
                booked_at=at(AS_OF - dt.timedelta(days=3)),
                amount=Decimal("-5"),
                kind="card",
            )
            InteractionFactory(customer=customer, occurred_at=at(AS_OF), channel="phone")
    keys = make_keys([p.pk for p in people[:3]], AS_OF)  # 3 of 4 customers
    monkeypatch.setattr(builder, "FULL_SCAN_MIN", 0)
    assert builder._population(keys) is None
    scanned = build_features(keys).frame
    monkeypatch.setattr(builder, "FULL_SCAN_SHARE", 2.0)  # never scan: IN lists
    assert builder._population(keys) is not None
    listed = build_features(keys).frame
    assert list(scanned["tx_count_30d"]) == [1, 2, 3]  # the fourth customer is not read in
    assert scanned.columns.tolist() == listed.columns.tolist()
    assert scanned.equals(listed)


def test_closed_products_count_until_they_close() -> None:
    customer = CustomerFactory()
    card = ProductFactory(external_id="CARD", family="card")
    HoldingFactory(
        customer=customer,
        product=card,
        opened=dt.date(2021, 1, 1),
        closed=AS_OF - dt.timedelta(days=5),
        status="closed",
    )
    before = row(build_features(make_keys([customer.pk], AS_OF - dt.timedelta(days=6))))
    after = row(build_features(make_keys([customer.pk], AS_OF)))
    assert before["holds_card"] == 1 and before["products_closed_90d"] == 0
    assert after["holds_card"] == 0 and after["products_closed_90d"] == 1


def test_attributes_are_typed_from_their_definitions() -> None:
    AttributeDefinition.objects.create(name="income", type="float", label="Income")
    AttributeDefinition.objects.create(name="contract", type="category", label="Contract")
    AttributeDefinition.objects.create(name="paperless", type="bool", label="Paperless billing")
    AttributeDefinition.objects.create(name="last_login", type="date", label="Last login")
    first = CustomerFactory(
        attributes={
            "income": 52000.5,
            "contract": "Month-to-month",
            "paperless": True,
            "last_login": "2026-06-20",
        }
    )
    second = CustomerFactory(
        attributes={
            "income": None,
            "contract": "Two year",
            "paperless": "no",
            "last_login": "2026-07-15",
        }
    )
    table = build_features(make_keys([first.pk, second.pk], AS_OF), snapshot=AS_OF)
    frame = table.frame
    assert frame["attr_income"].tolist()[0] == 52000.5 and np.isnan(
        frame["attr_income"].tolist()[1]
    )
    assert frame["attr_contract"].dtype.name == "category"
    assert frame["attr_paperless"].tolist() == [1.0, 0.0]
    assert frame["attr_last_login"].tolist()[0] == 10
    assert np.isnan(
        frame["attr_last_login"].tolist()[1]
    )  # a login after the as-of day is unknown then
    assert table.info["attr_contract"].label == "Contract"
    # attributes are a snapshot: taken a month after the as-of day, the last login says
    # nothing about that day (it may be a login after it)
    earlier = build_features(make_keys([first.pk], AS_OF), snapshot=AS_OF + dt.timedelta(days=30))
    assert np.isnan(earlier.frame["attr_last_login"].tolist()[0])
    assert (
        feature_phrase(table.info["attr_contract"], "Month-to-month") == "Contract: Month-to-month"
    )


def test_the_outcome_and_identifiers_are_not_features() -> None:
    for i in range(300):
        CustomerFactory(
            attributes={
                "churn": "yes" if i % 2 else "no",
                "account_no": f"A{i:05d}",
                "plan": "basic" if i % 3 else "plus",
            }
        )
    table = build_features(make_keys(_ids(), AS_OF), exclude={"churn"})
    assert "attr_churn" not in table.frame.columns
    assert "attr_account_no" not in table.frame.columns  # 300 distinct values: an identifier
    assert "attr_plan" in table.frame.columns


def _ids():
    from ckm.customers.models import Customer

    return list(Customer.objects.values_list("pk", flat=True))


def test_the_case_seam_is_empty_while_the_service_app_has_no_case_model() -> None:
    frame = case_frame(customer_ids=[1, 2], until=AS_OF)
    assert list(frame.columns) == [
        "customer_id",
        "kind",
        "opened_at",
        "closed_at",
        "status",
        "category",
        "product_id",
    ]
    customer = CustomerFactory()
    features = row(build_features(make_keys([customer.pk], AS_OF)))
    assert features["complaints_60d"] == 0 and features["open_complaints"] == 0


def test_phrases_read_like_a_person_wrote_them() -> None:
    count = {"name": "complaints_60d", "label": "complaints in the last 60 days", "kind": "count"}
    assert feature_phrase(count, 3) == "3 complaints in the last 60 days"
    held = {"name": "holds_savings", "label": "savings products held", "kind": "count"}
    assert feature_phrase(held, 0) == "holds no savings product"
    assert feature_phrase(held, 2) == "holds 2 savings products"
    change = {
        "name": "c",
        "label": "transactions in the last 30 days against the 3 months before",
        "kind": "change",
    }
    assert (
        feature_phrase(change, -0.6)
        == "transactions down 60 % in the last 30 days against the 3 months before"
    )
    days = {"name": "d", "label": "days since the last contact", "kind": "days"}
    assert feature_phrase(days, 45.0) == "45 days since the last contact"
    assert day_number(dt.date(1970, 1, 2)) == 1


def test_a_cluster_name_says_no_product_only_when_hardly_anyone_holds_it() -> None:
    from ckm.analytics.services.segments import _trait_tag

    assert _trait_tag("holds_savings", "savings", -1.2, share=0.26) == "fewer with savings"
    assert _trait_tag("holds_savings", "savings", -1.2, share=0.01) == "no savings"
    assert _trait_tag("holds_savings", "savings", 0.8, share=0.9) == "holds savings"


def test_a_cluster_name_says_holds_a_product_only_when_most_of_it_holds_one() -> None:
    from ckm.analytics.services.segments import _trait_tag

    # 31 % of the cluster against 9 % of all customers: most members hold no mortgage
    assert _trait_tag("holds_mortgage", "mortgage", 0.9, share=0.31) == "more with mortgage"
    assert _trait_tag("holds_mortgage", "mortgage", 0.9, share=0.5) == "holds mortgage"


def test_a_coded_category_reads_as_words_in_a_reason() -> None:
    info = {"name": "attr_occupation", "label": "Occupation", "kind": "category"}
    assert feature_phrase(info, "self_employed") == "Occupation: self employed"
    assert feature_phrase(info, "civil_servant") == "Occupation: civil servant"
    assert feature_phrase(info, "Month_to_Month") == "Occupation: Month_to_Month"  # not a code


# the nouns and units a reason counts: after "1" (and up to two words) they must be singular
_PLURAL_AFTER_ONE = re.compile(
    r"\b1 (?:\S+ ){0,2}?(products|transactions|contacts|cases|complaints|days|years)\b"
)


def _every_feature() -> dict:
    """Every feature the builder makes from a firm's data: typed attributes with sentence-case
    labels, two product families (one a code), several transaction kinds and contact channels."""
    for name, kind, label in (
        ("income", "float", "Income"),
        ("contract_type", "category", "Contract type"),
        ("online_banking", "bool", "Online banking"),
        ("last_login", "date", "Last login"),
    ):
        AttributeDefinition.objects.create(name=name, type=kind, label=label)
    customer = CustomerFactory(
        attributes={
            "income": 1000,
            "contract_type": "month_to_month",
            "online_banking": "yes",
            "last_login": "2026-06-01",
            "nps_band": "promoter",  # no definition: its name is its label
        }
    )
    for family in ("savings", "current_account"):
        HoldingFactory(customer=customer, product=ProductFactory(family=family))
    for kind in ("card", "direct_debit", "transfer_in", "odd_kind"):
        TransactionFactory(customer=customer, booked_at=at(AS_OF), kind=kind)
    for channel in ("phone", "sms"):
        InteractionFactory(customer=customer, occurred_at=at(AS_OF), channel=channel)
    return build_features(make_keys([customer.pk], AS_OF), snapshot=AS_OF).info


def test_every_reason_reads_as_clean_english() -> None:
    infos = _every_feature()
    assert {i.kind for i in infos.values()} >= {
        "count",
        "amount",
        "days",
        "years",
        "change",
        "category",
        "number",
        "flag",
    }
    for name, info in infos.items():
        samples = ["month_to_month", "Two year", None] if info.kind == "category" else []
        samples = samples or [0, 1, 3, 2.5, 12000.0, -0.45, None, float("nan")]
        phrases = {repr(v): feature_phrase(info, v) for v in samples}
        for value, text in phrases.items():
            where = f"{name}={value}: {text!r}"
            assert text and text == text.strip(), where
            assert "  " not in text, where
            assert not re.search(r"[A-Za-z0-9]_[A-Za-z0-9]", text), where  # a snake_case code
            assert not re.search(r"\S:\S", text), where  # a code such as 'propensity:card'
            # a label keeps its capital only at the start of the sentence or after a colon
            for part in text.split(": "):
                assert not re.search(r" [A-Z][a-z]+\b", part), where
            assert not _PLURAL_AFTER_ONE.search(text), where
            if info.kind != "change":
                assert "change to compare" not in text, where
        if info.kind in ("count", "days", "years"):
            assert phrases["1"] != phrases["3"].replace("3", "1"), name  # singular for one


def test_counts_agree_with_their_number_and_labels_read_mid_sentence() -> None:
    infos = _every_feature()
    held = infos["products_held"]
    assert feature_phrase(held, 0) == "holds no product"
    assert feature_phrase(held, 1) == "holds 1 product"
    assert feature_phrase(held, 3) == "holds 3 products"
    assert feature_phrase(infos["holds_current_account"], 1) == "holds 1 current account product"
    assert feature_phrase(infos["complaints_60d"], 1) == "1 complaint in the last 60 days"
    assert feature_phrase(infos["complaints_60d"], 0) == "no complaints in the last 60 days"
    assert feature_phrase(infos["contacts_sms_90d"], 2) == "2 SMS contacts in the last 90 days"
    assert feature_phrase(infos["days_since_contact"], 1) == "1 day since the last contact"
    assert feature_phrase(infos["days_since_contact"], None) == "no contact recorded"
    assert feature_phrase(infos["attr_income"], None) == "no income recorded"
    assert feature_phrase(infos["attr_income"], 1000) == "Income: 1,000"
    assert feature_phrase(infos["attr_last_login"], 4) == "4 days since last login"
    assert feature_phrase(infos["attr_last_login"], None) == "no last login recorded"
    assert feature_phrase(infos["attr_online_banking"], None) == "Online banking: unknown"
    assert feature_phrase(infos["tenure_years"], 1.02) == "1 year as a customer"
    assert (
        feature_phrase(infos["oldest_open_complaint_days"], 1)
        == "the oldest unresolved complaint has been open for 1 day"
    )
    # kinds of transaction in words, counted as people count them
    transfers = infos["tx_transfer_in_90d"]
    assert feature_phrase(transfers, 1) == "1 incoming transfer in the last 90 days"
    assert feature_phrase(transfers, 3) == "3 incoming transfers in the last 90 days"
    assert feature_phrase(infos["tx_card_90d"], 2) == "2 card payments in the last 90 days"
    assert (
        feature_phrase(infos["tx_odd_kind_90d"], 2) == "2 odd kind transactions in the last 90 days"
    )
    # stored versions keep the labels they were trained with
    old = {"name": "attr_last_login", "label": "days since Last login", "kind": "days"}
    assert feature_phrase(old, 1) == "1 day since last login"
