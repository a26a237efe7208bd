"""Rule segments: a saved definition (JSON) evaluated to a customer queryset when read, so a
segment is always current. Used by the segment builder, the custom alert rule, and the campaigns
app ("customers of segment S").

A definition: {"match": "all" | "any", "conditions": [{"field": ..., "op": ..., "value": ...}]}.
Fields (see `segment_fields()` for the live catalogue with labels and allowed operators):
    customer:kind | status | city | country | age | tenure_years | owner | team | office
    attribute:<name>                     any typed customer attribute
    holds:family | holds:product         has / has_not a product (family or product id) held now
    value:profit | clv | balance | p_alive | value_decile | frequency | recency_days | rfm
    score:<slot>                         current score of the slot's active model (0..1)
    decile:<slot>                        its decile (10 = highest)
    alert:open                           on the retention list (true/false)
    segment:<id>                         member of a learned segment (true/false)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ckm.analytics.models import Alert, ModelVersion, Score, Segment, SegmentMember
from ckm.core.errors import ValidationError
from ckm.customers.models import AttributeDefinition, Customer, Holding, Product

NUMBER_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "is_set", "is_not_set"]
TEXT_OPS = ["eq", "ne", "in", "contains", "is_set", "is_not_set"]
CHOICE_OPS = ["eq", "ne", "in"]
HAS_OPS = ["has", "has_not"]
BOOL_OPS = ["is_true", "is_false"]
OWNER_OPS = ["eq", "ne", "is_set", "is_not_set"]
RFM_OPS = ["eq", "ne", "in", "contains"]
# an attribute's type -> the builder's field type
_ATTRIBUTE_TYPES = {
    "integer": "number",
    "float": "number",
    "decimal": "number",
    "bool": "bool",
    "date": "date",
    "datetime": "date",
}
_CUSTOMER_OPS = {
    "kind": CHOICE_OPS,
    "status": CHOICE_OPS,
    "city": TEXT_OPS,
    "country": TEXT_OPS,
    "age": NUMBER_OPS,
    "tenure_years": NUMBER_OPS,
    "owner": OWNER_OPS,
    "team": OWNER_OPS,
    "office": OWNER_OPS,
}
OP_LABELS = {
    "eq": "is",
    "ne": "is not",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "is one of",
    "contains": "contains",
    "is_set": "is known",
    "is_not_set": "is unknown",
    "has": "holds",
    "has_not": "does not hold",
    "is_true": "yes",
    "is_false": "no",
}
_COMPARE = {"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


@dataclass(frozen=True)
class SegmentField:
    key: str
    label: str
    group: str
    type: str  # number | text | choice | has | bool | date
    ops: list[str]
    choices: list[tuple[str, str]] = field(default_factory=list)


def segment_fields() -> list[SegmentField]:
    """Every field a rule may filter on, with its label and operators (for the builder)."""
    fields = [
        SegmentField(
            "customer:kind", "Kind", "Customer", "choice", CHOICE_OPS, list(Customer.Kind.choices)
        ),
        SegmentField(
            "customer:status",
            "Status",
            "Customer",
            "choice",
            CHOICE_OPS,
            list(Customer.Status.choices),
        ),
        SegmentField("customer:city", "City", "Customer", "text", TEXT_OPS),
        SegmentField("customer:country", "Country", "Customer", "text", TEXT_OPS),
        SegmentField("customer:age", "Age (years)", "Customer", "number", NUMBER_OPS),
        SegmentField(
            "customer:tenure_years", "Years as a customer", "Customer", "number", NUMBER_OPS
        ),
        SegmentField(
            "customer:owner",
            "Owner (username)",
            "Customer",
            "text",
            OWNER_OPS,
        ),
        SegmentField("customer:team", "Team", "Customer", "text", OWNER_OPS),
        SegmentField(
            "customer:office",
            "Home office (code)",
            "Customer",
            "text",
            OWNER_OPS,
        ),
    ]
    for definition in AttributeDefinition.objects.order_by("name"):
        fields.append(
            SegmentField(
                f"attribute:{definition.name}",
                definition.label or definition.name,
                "Attributes",
                _ATTRIBUTE_TYPES.get(definition.type, "text"),
                _attribute_ops(definition.type),
            )
        )
    families = sorted(Product.objects.order_by().values_list("family", flat=True).distinct())
    fields.append(
        SegmentField(
            "holds:family",
            "Product family",
            "Products",
            "has",
            HAS_OPS,
            [(f, f.replace("_", " ")) for f in families],
        )
    )
    products = list(Product.objects.order_by("name").values_list("external_id", "name"))
    fields.append(SegmentField("holds:product", "Product", "Products", "has", HAS_OPS, products))
    for key, label in (
        ("profit", "Annual profit"),
        ("clv", "Lifetime value (CLV)"),
        ("balance", "Total balance"),
        ("p_alive", "Probability still active"),
        ("value_decile", "Value decile"),
        ("frequency", "Transactions in the last year"),
        ("recency_days", "Days since the last transaction"),
    ):
        fields.append(SegmentField(f"value:{key}", label, "Value", "number", NUMBER_OPS))
    fields.append(SegmentField("value:rfm", "RFM code (e.g. 555)", "Value", "text", RFM_OPS))
    for version in ModelVersion.objects.filter(
        status=ModelVersion.Status.ACTIVE, kind__in=["churn", "propensity"]
    ).select_related("product"):
        fields.append(
            SegmentField(
                f"score:{version.slot}",
                f"{version.title}: score (0-1)",
                "Scores",
                "number",
                NUMBER_OPS[:6],
            )
        )
        fields.append(
            SegmentField(
                f"decile:{version.slot}",
                f"{version.title}: decile (10 = highest)",
                "Scores",
                "number",
                NUMBER_OPS[:6],
            )
        )
    fields.append(
        SegmentField("alert:open", "On the retention list", "Retention", "bool", BOOL_OPS)
    )
    for segment in Segment.objects.filter(kind=Segment.Kind.LEARNED, is_active=True).order_by(
        "name"
    ):
        fields.append(
            SegmentField(
                f"segment:{segment.pk}",
                f"In cluster: {segment.name}",
                "Learned segments",
                "bool",
                BOOL_OPS,
            )
        )
    return fields


# a number in a condition beyond this is a typing mistake, and beyond what the database compares
_NUMBER_LIMIT = 1e15
# an age or a tenure in years: enough for anyone, and the day it names is a valid date
_YEARS_LIMIT = 200
# operators that compare with one value (a list or an object is no such value)
_SCALAR_OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "contains", "has", "has_not"}


def _refuse(key: str, problem: str) -> ValidationError:
    return ValidationError({"definition": f"{key}: {problem}"})


def _number(value: Any, key: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _refuse(key, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise _refuse(key, f"{value!r} is not a number")
    if abs(number) > _NUMBER_LIMIT:
        raise _refuse(key, f"{value!r} is too large")
    return number


def _years_ago(value: Any, key: str, today: dt.date) -> dt.date:
    """The day `value` years before today (an age or a tenure), refused when out of range."""
    years = _number(value, key)
    if not 0 <= years <= _YEARS_LIMIT:
        raise _refuse(key, f"{value!r} is out of range (0 to {_YEARS_LIMIT} years)")
    return today - dt.timedelta(days=int(years * 365.25))


def _values(value: Any, key: str) -> list[Any]:
    """The values of an `in` condition: a list, or a comma-separated text (as the builder sends)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise _refuse(key, "'is one of' needs a list of values")
    if any(isinstance(v, (list, dict)) or v is None for v in value):
        raise _refuse(key, "'is one of' needs a list of plain values")
    return value


def _check_shape(key: str, op: str, value: Any) -> None:
    """Refuse a value of the wrong shape for its operator: a list where one value is compared,
    anything but text for 'contains', anything but a list (or a comma-separated text) for 'in'."""
    if op in _SCALAR_OPS and isinstance(value, (list, dict)):
        raise _refuse(key, f"{OP_LABELS.get(op, op)!r} compares with one value, not a list")
    if op == "contains" and not isinstance(value, str):
        raise _refuse(key, "'contains' needs a text")
    if op == "in":
        _values(value, key)


def _check_choice(key: str, op: str, value: Any, choices: list[tuple[str, str]]) -> None:
    """Refuse a value outside a choice field's choices."""
    if op not in ("eq", "ne", "in"):
        return
    allowed = [str(c[0]) for c in choices]
    for item in _values(value, key) if op == "in" else [value]:
        if str(item) not in allowed:
            raise _refuse(key, f"{item!r} is not one of {', '.join(allowed)}")


def _check_op(key: str, op: str, allowed: list[str]) -> None:
    """Refuse an operator the field does not offer ('holds:family > 3', 'alert:open contains')."""
    if op not in allowed:
        offered = ", ".join(f"{o} ({OP_LABELS[o]})" for o in allowed)
        raise _refuse(key, f"the operator {op!r} does not apply; use one of {offered}")


def _attribute_ops(type_name: str) -> list[str]:
    """The operators an attribute offers by its type; one without a definition offers all."""
    if not type_name:
        return list(dict.fromkeys(NUMBER_OPS + TEXT_OPS + BOOL_OPS))
    kind = _ATTRIBUTE_TYPES.get(type_name, "text")
    return {"bool": BOOL_OPS, "number": NUMBER_OPS, "date": NUMBER_OPS}.get(kind, TEXT_OPS)


def _compare(lookup: str, op: str, value: Any) -> Q:
    if op == "eq":
        return Q(**{lookup: value})
    if op == "ne":
        return ~Q(**{lookup: value})
    if op in _COMPARE:
        return Q(**{f"{lookup}__{_COMPARE[op]}": value})
    if op == "in":
        return Q(**{f"{lookup}__in": _values(value, lookup)})
    if op == "contains":
        return Q(**{f"{lookup}__icontains": value})
    if op == "is_set":
        return Q(**{f"{lookup}__isnull": False})
    if op == "is_not_set":
        return Q(**{f"{lookup}__isnull": True})
    raise ValidationError({"definition": f"unknown operator {op!r}"})


def _active_run(slot: str) -> int | None:
    return (
        ModelVersion.objects.filter(slot=slot, status=ModelVersion.Status.ACTIVE)
        .values_list("current_run_id", flat=True)
        .first()
    )


def condition_q(condition: dict[str, Any], *, today: dt.date | None = None) -> Q:
    """One condition as a filter on Customer."""
    key = str(condition.get("field", ""))
    op = str(condition.get("op", "eq"))
    value = condition.get("value")
    group, _, name = key.partition(":")
    today = today or timezone.localdate()
    _check_shape(key, op, value)
    if group == "customer" and name in _CUSTOMER_OPS:
        _check_op(key, op, _CUSTOMER_OPS[name])
        if name in ("age", "tenure_years"):
            day = _years_ago(value, key, today) if op not in ("is_set", "is_not_set") else today
            flipped = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}.get(op, op)
            lookup = "date_of_birth" if name == "age" else "customer_since"
            return _compare(lookup, flipped, day)
        lookup = {"owner": "owner__username", "team": "team__name", "office": "office__code"}.get(
            name, name
        )
        if name == "kind":
            _check_choice(key, op, value, list(Customer.Kind.choices))
        elif name == "status":
            _check_choice(key, op, value, list(Customer.Status.choices))
        if op == "eq" and name in ("city", "country"):
            return Q(**{f"{lookup}__iexact": value})
        return _compare(lookup, op, value)
    elif group == "attribute" and name:
        lookup = f"attributes__{name}"
        type_name = (
            AttributeDefinition.objects.filter(name=name).values_list("type", flat=True).first()
            or ""
        )
        _check_op(key, op, _attribute_ops(type_name))
        if op == "is_true":
            return Q(**{lookup: True})
        if op == "is_false":
            return Q(**{lookup: False})
        if op == "is_set":
            return Q(**{f"{lookup}__isnull": False})
        if op == "is_not_set":
            return Q(**{f"{lookup}__isnull": True})
        if type_name in ("integer", "float", "decimal"):
            value = (
                [_number(v, key) for v in value]
                if isinstance(value, list)
                else (
                    [_number(v.strip(), key) for v in value.split(",") if v.strip()]
                    if op == "in" and isinstance(value, str)
                    else _number(value, key)
                )
            )
        elif type_name == "bool" and not isinstance(value, bool):
            value = str(value).strip().lower() in {"true", "yes", "1", "y"}
        elif op in _COMPARE and not isinstance(value, str):
            value = _number(value, key)
        return _compare(lookup, op, value)
    elif group == "holds" and name in ("family", "product"):
        holdings = Holding.objects.filter(customer=OuterRef("pk")).exclude(
            status=Holding.Status.CLOSED
        )
        _check_op(key, op, HAS_OPS)
        if not isinstance(value, str) or not value.strip():
            raise _refuse(key, "name the product" if name == "product" else "name the family")
        if name == "family":
            if not Product.objects.filter(family=value).exists():
                raise _refuse(key, f"there is no product family {value!r}")
            holdings = holdings.filter(product__family=value)
        else:
            if not Product.objects.filter(external_id=value).exists():
                raise _refuse(key, f"there is no product {value!r}")
            holdings = holdings.filter(product__external_id=value)
        exists = Exists(holdings)
        return Q(exists) if op == "has" else ~Q(exists)
    elif group == "value" and name:
        if name == "rfm":
            _check_op(key, op, RFM_OPS)
            return _compare("value__rfm", op, value)
        if name not in (
            "profit",
            "clv",
            "balance",
            "p_alive",
            "value_decile",
            "frequency",
            "recency_days",
        ):
            raise ValidationError({"definition": f"unknown value field {name!r}"})
        _check_op(key, op, NUMBER_OPS)
        number = _number(value, key) if op not in ("is_set", "is_not_set") else None
        return _compare(f"value__{name}", op, number)
    elif group in ("score", "decile") and name:
        _check_op(key, op, NUMBER_OPS[:6])
        run = _active_run(name)
        if run is None:
            return Q(pk__in=[])
        lookup = "value" if group == "score" else "decile"
        scores = Score.objects.filter(run_id=run, customer=OuterRef("pk"))
        scores = scores.filter(_compare(lookup, op, _number(value, key)))
        return Q(Exists(scores))
    elif group == "alert" and name == "open":
        _check_op(key, op, BOOL_OPS)
        exists = Exists(
            Alert.objects.filter(customer=OuterRef("pk")).exclude(status=Alert.Status.RESOLVED)
        )
        return Q(exists) if op != "is_false" else ~Q(exists)
    elif group == "segment" and name.isdigit():
        _check_op(key, op, BOOL_OPS)
        exists = Exists(SegmentMember.objects.filter(segment_id=int(name), customer=OuterRef("pk")))
        return Q(exists) if op != "is_false" else ~Q(exists)
    raise ValidationError({"definition": f"unknown field {key!r}"})


def definition_validate(definition: Any) -> dict[str, Any]:
    """A clean definition, or ValidationError naming what is wrong."""
    if not isinstance(definition, dict):
        raise ValidationError({"definition": "a definition is an object with match and conditions"})
    match = definition.get("match", "all")
    if match not in ("all", "any"):
        raise ValidationError({"definition": "match must be 'all' or 'any'"})
    conditions = definition.get("conditions", [])
    if not isinstance(conditions, list) or not conditions:
        raise ValidationError({"definition": "add at least one condition"})
    clean = []
    for condition in conditions:
        if not isinstance(condition, dict) or "field" not in condition:
            raise ValidationError(
                {"definition": "each condition needs a field, an operator and a value"}
            )
        item = {
            "field": str(condition["field"]),
            "op": str(condition.get("op", "eq")),
            "value": condition.get("value"),
        }
        condition_q(item)  # raises on unknown fields, operators or values
        clean.append(item)
    return {"match": match, "conditions": clean}


def definition_queryset(
    definition: dict[str, Any], customers: QuerySet[Customer] | None = None
) -> QuerySet[Customer]:
    """The customers a definition selects, within `customers` (default: all)."""
    clean = definition_validate(definition)
    queries = [condition_q(c) for c in clean["conditions"]]
    combined = queries[0]
    for query in queries[1:]:
        combined = combined & query if clean["match"] == "all" else combined | query
    base = customers if customers is not None else Customer.objects.all()
    return base.filter(combined)


def definition_words(definition: dict[str, Any]) -> str:
    """A definition in words, to follow "Customers where": 'a savings product is held and Annual
    profit ≥ 500'."""
    fields = segment_fields()
    labels = {f.key: f.label for f in fields}
    choices = {f.key: dict(f.choices) for f in fields}
    parts = []
    for condition in definition.get("conditions", []):
        label = labels.get(condition.get("field", ""), condition.get("field", ""))
        op = OP_LABELS.get(condition.get("op", ""), condition.get("op", ""))
        value = condition.get("value")
        if condition.get("op") in ("is_set", "is_not_set", "is_true", "is_false"):
            parts.append(f"{label} {op}")
        elif str(condition.get("field", "")).startswith("holds:"):
            # a clause of its own after "Customers where": "no card product is held"
            key = str(condition.get("field"))
            name = choices.get(key, {}).get(str(value), value)
            held = condition.get("op") != "has_not"
            if key == "holds:family":
                parts.append(f"{'a' if held else 'no'} {name} product is held")
            else:
                parts.append(f"{name} is {'' if held else 'not '}held")
        else:
            parts.append(f"{label} {op} {value}")
    joiner = " and " if definition.get("match", "all") == "all" else " or "
    return joiner.join(parts)
