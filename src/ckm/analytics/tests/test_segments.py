"""Segments: rule definitions over any attribute, product, value and score; learned clusters with
readable descriptions; snapshots over time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ckm.analytics.models import CustomerValue, Segment, SegmentSnapshot
from ckm.analytics.segments import definition_queryset, definition_words, segment_fields
from ckm.analytics.selectors import segment_customers
from ckm.analytics.services import (
    segment_delete,
    segment_save,
    segment_snapshots_take,
    segments_learn,
    value_compute,
)
from ckm.analytics.synthetic import synthetic_bank
from ckm.customers.models import AttributeDefinition
from ckm.customers.tests.factories import CustomerFactory, HoldingFactory, ProductFactory

pytestmark = pytest.mark.django_db


def rule(*conditions, match="all"):
    return {
        "match": match,
        "conditions": [{"field": f, "op": o, "value": v} for f, o, v in conditions],
    }


def names(queryset):
    return sorted(c.last_name for c in queryset)


@pytest.fixture
def people(db):
    AttributeDefinition.objects.create(name="income", type="float", label="Income")
    AttributeDefinition.objects.create(name="contract", type="category", label="Contract")
    AttributeDefinition.objects.create(name="online", type="bool", label="Online banking")
    savings = ProductFactory(external_id="SAV", family="savings")
    rich = CustomerFactory(
        last_name="Rich",
        city="Hamburg",
        date_of_birth=dt.date(1950, 1, 1),
        attributes={"income": 90000, "contract": "Two year", "online": True},
    )
    poor = CustomerFactory(
        last_name="Poor",
        city="Berlin",
        date_of_birth=dt.date(2000, 1, 1),
        attributes={"income": 20000, "contract": "Month-to-month", "online": False},
    )
    none = CustomerFactory(last_name="Unknown", city="Berlin", attributes={})
    HoldingFactory(customer=rich, product=savings, balance=Decimal("50000"))
    CustomerValue.objects.create(
        customer=rich, as_of=dt.date(2026, 6, 30), profit=900, clv=4000, value_decile=10
    )
    CustomerValue.objects.create(
        customer=poor, as_of=dt.date(2026, 6, 30), profit=-20, clv=50, value_decile=1
    )
    return rich, poor, none


def test_conditions_on_attributes_products_value_and_customer_fields(people) -> None:
    assert names(definition_queryset(rule(("attribute:income", "gte", "50000")))) == ["Rich"]
    assert names(definition_queryset(rule(("attribute:contract", "eq", "Month-to-month")))) == [
        "Poor"
    ]
    assert names(
        definition_queryset(rule(("attribute:contract", "in", "Two year, Month-to-month")))
    ) == ["Poor", "Rich"]
    assert names(definition_queryset(rule(("attribute:online", "is_true", True)))) == ["Rich"]
    assert names(definition_queryset(rule(("attribute:income", "is_not_set", None)))) == ["Unknown"]
    assert names(definition_queryset(rule(("holds:family", "has", "savings")))) == ["Rich"]
    assert names(definition_queryset(rule(("holds:family", "has_not", "savings")))) == [
        "Poor",
        "Unknown",
    ]
    assert names(definition_queryset(rule(("value:clv", "gt", 100)))) == ["Rich"]
    assert names(definition_queryset(rule(("customer:age", "gte", 60)))) == ["Rich"]
    assert names(definition_queryset(rule(("customer:city", "eq", "berlin")))) == [
        "Poor",
        "Unknown",
    ]
    either = rule(("customer:city", "eq", "Hamburg"), ("value:profit", "lt", 0), match="any")
    assert names(definition_queryset(either)) == ["Poor", "Rich"]


def test_bad_definitions_are_refused_with_a_reason(people) -> None:
    with pytest.raises(ValidationError, match="unknown field"):
        definition_queryset(rule(("wishes:anything", "eq", 1)))
    with pytest.raises(ValidationError, match="not a number"):
        definition_queryset(rule(("attribute:income", "gte", "lots")))
    with pytest.raises(ValidationError, match="at least one condition"):
        definition_queryset({"match": "all", "conditions": []})


@pytest.mark.parametrize(
    "condition, words",
    [
        (("customer:age", "gt", "NaN"), "not a number"),
        (("customer:tenure_years", "gt", "nan"), "not a number"),
        (("customer:age", "gt", "inf"), "not a number"),
        (("customer:age", "gt", 1e308), "too large"),
        (("customer:age", "gt", 5000), "out of range"),
        (("value:clv", "gt", "NaN"), "not a number"),
        (("value:value_decile", "gte", 1e300), "too large"),
        (("attribute:income", "gte", "-Infinity"), "not a number"),
        (("customer:kind", "eq", "martian"), "not one of"),
        (("customer:status", "in", ["active", "gone"]), "not one of"),
        (("holds:product", "has", "NOPE"), "no product 'NOPE'"),
        (("holds:family", "has", ["savings"]), "not a list"),
        (("customer:city", "eq", ["x"]), "not a list"),
        (("customer:city", "contains", 5), "needs a text"),
        (("customer:city", "in", 5), "needs a list"),
        (("customer:city", "in", [["x"]]), "plain values"),
        (("holds:family", "has", "yachts"), "no product family 'yachts'"),
        (("holds:family", "gt", "savings"), "operator 'gt' does not apply"),
        (("alert:open", "eq", "yes"), "operator 'eq' does not apply"),
        (("customer:kind", "gt", "person"), "operator 'gt' does not apply"),
        (("customer:age", "contains", "4"), "operator 'contains' does not apply"),
        (("value:rfm", "gt", "555"), "operator 'gt' does not apply"),
        (("value:clv", "in", "1, 2"), "operator 'in' does not apply"),
    ],
)
def test_a_condition_with_a_value_that_cannot_be_meant_is_refused_naming_the_field(
    people, condition, words
) -> None:
    with pytest.raises(ValidationError) as refused:
        definition_queryset(rule(condition))
    message = " ".join(refused.value.message_dict["definition"])
    assert message.startswith(f"{condition[0]}: ") and words in message


def test_choices_products_and_lists_that_exist_are_still_accepted(people) -> None:
    assert names(definition_queryset(rule(("customer:kind", "in", "person, organisation")))) == [
        "Poor",
        "Rich",
        "Unknown",
    ]
    assert names(definition_queryset(rule(("customer:status", "eq", "active")))) == [
        "Poor",
        "Rich",
        "Unknown",
    ]
    assert names(definition_queryset(rule(("holds:product", "has", "SAV")))) == ["Rich"]
    assert names(definition_queryset(rule(("customer:city", "in", ["Hamburg"])))) == ["Rich"]


def test_the_builder_knows_every_attribute_and_speaks_plainly(people) -> None:
    keys = {f.key for f in segment_fields()}
    assert {
        "attribute:income",
        "attribute:contract",
        "holds:family",
        "value:clv",
        "alert:open",
    } <= keys
    words = definition_words(
        rule(("attribute:income", "gte", 50000), ("holds:family", "has", "savings"))
    )
    assert words == "Income ≥ 50000 and a savings product is held"


def test_a_holding_condition_reads_as_a_sentence_with_the_products_name(people) -> None:
    ProductFactory(external_id="CARD-GOLD", name="Gold card", family="card")
    words = definition_words(
        rule(("holds:family", "has_not", "card"), ("holds:product", "has", "CARD-GOLD"))
    )
    assert words == "no card product is held and Gold card is held"


def test_saving_a_rule_segment_needs_the_permission_and_is_evaluated_when_read(
    people, marketer, rm
) -> None:
    segment = segment_save(
        actor=marketer, name="Savers", definition=rule(("holds:family", "has", "savings"))
    )
    assert [c.last_name for c in segment_customers(user=marketer, segment_id=segment.pk)] == [
        "Rich"
    ]
    poor = people[1]
    HoldingFactory(customer=poor, product=ProductFactory(external_id="SAV", family="savings"))
    assert names(segment_customers(user=marketer, segment_id=segment.pk)) == ["Poor", "Rich"]
    assert segment_snapshots_take() == 1
    snapshot = SegmentSnapshot.objects.get(segment=segment)
    assert snapshot.size == 2 and snapshot.clv_total == pytest.approx(4050)
    with pytest.raises(PermissionDenied):
        segment_save(actor=rm, name="Mine", definition=rule(("customer:city", "eq", "Berlin")))
    with pytest.raises(ValidationError):
        segment_save(actor=marketer, name=" ", definition=rule(("customer:city", "eq", "Berlin")))
    segment_delete(actor=marketer, segment_id=segment.pk)
    assert not Segment.objects.exists()


def test_learned_segments_describe_what_sets_each_apart(db, marketer) -> None:
    synthetic_bank(customers=150, months=6, seed=5)
    value_compute()
    version = segments_learn(actor=marketer, k=4)
    segments = list(version.segments.all())
    assert len(segments) == 4 and version.kind == "segmentation" and version.status == "active"
    assert sum(s.profile["size"] for s in segments) == 150
    for segment in segments:
        assert segment.name and segment.description
        assert len(segment.profile["traits"]) == 3
        assert "(all" in segment.profile["traits"][0]["text"]
        assert segment.members.count() == segment.profile["size"]
    assert SegmentSnapshot.objects.filter(segment__in=segments).count() == 4
    again = segments_learn(actor=marketer, k=3)
    assert Segment.objects.filter(is_active=True, kind="learned").count() == 3
    assert again.version == 2
    learned = again.segments.first()
    any_member = learned.members.first().customer_id  # the old clusters' members are gone
    assert any_member in definition_queryset(
        rule((f"segment:{learned.pk}", "is_true", True))
    ).values_list("pk", flat=True)


def test_a_saved_rule_that_no_longer_holds_leads_to_the_builder_not_a_500(login, marketer) -> None:
    # 'alert:open is true' was accepted as op 'eq' before operators were checked per field
    old = rule(("alert:open", "eq", True))
    segment = Segment.objects.create(name="Old rule", kind=Segment.Kind.RULE, definition=old)
    client = login(marketer)
    response = client.get(f"/analytics/segments/{segment.pk}/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"/analytics/segments/{segment.pk}/edit/", 302)]
    assert "Old rule cannot be evaluated" in response.content.decode()


def test_an_attribute_without_a_definition_offers_every_operator(people) -> None:
    # as before operators were checked per field: yes/no too, not only numbers and text
    for op in ("is_true", "is_false", "gt", "contains"):
        value = True if op.startswith("is_") else "1"
        definition_queryset(rule(("attribute:vip", op, value))).count()


def test_the_member_table_sorts_by_value_and_churn_risk_in_the_database(
    people, login, marketer
) -> None:
    from ckm.analytics.models import ModelVersion, Score, ScoringRun

    rich, poor, none = people
    version = ModelVersion.objects.create(kind="churn", slot="churn", status="active")
    run = ScoringRun.objects.create(model_version=version, as_of=dt.date(2026, 6, 30))
    version.current_run = run
    version.save()
    Score.objects.create(run=run, customer=poor, value=0.9, decile=10)
    Score.objects.create(run=run, customer=rich, value=0.1, decile=1)
    segment = Segment.objects.create(
        name="Everyone",
        kind=Segment.Kind.RULE,
        definition=rule(("customer:status", "eq", "active")),
    )
    client = login(marketer)
    url = f"/analytics/segments/{segment.pk}/"

    def order(query: str) -> list[str]:
        page = client.get(url + query).content.decode()
        body = page[page.index('id="members-heading"') :]
        found = [(body.index(c.last_name), c.last_name) for c in (rich, poor, none)]
        return [name for _, name in sorted(found)]

    assert order("") == ["Poor", "Rich", "Unknown"]  # by name, as before
    assert order("?sort=-clv") == ["Rich", "Poor", "Unknown"]  # no value: last either way
    assert order("?sort=clv") == ["Poor", "Rich", "Unknown"]
    assert order("?sort=-churn") == ["Poor", "Rich", "Unknown"]
    assert order("?sort=churn") == ["Rich", "Poor", "Unknown"]
    # anything else is the default order, never an error
    for bogus in ("?sort=password", "?sort=--clv", "?sort=", "?sort=clv%00"):
        response = client.get(url + bogus)
        assert response.status_code == 200
        assert order(bogus) == ["Poor", "Rich", "Unknown"]
    page = client.get(url + "?sort=-churn&page=1").content.decode()
    # the active header says its direction; its link turns it round and keeps to page one
    assert (
        '<th scope="col" class="num" aria-sort="descending"><a class="sort-link" href="?sort=churn">'
        in page
    )
    assert page.count("aria-sort=") == 1
    assert 'href="?sort=-clv"' in page and "page=1" not in page.split("</thead>")[0]
