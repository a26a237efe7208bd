"""Reads of customer data. Every selector takes the user and returns only what they may see."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, ForeignObjectRel, Model, Q, QuerySet, Sum, UniqueConstraint
from django.utils import timezone

from ckm.core.errors import NotFound
from ckm.core.models import Job, Office, Role, Team, User
from ckm.core.permissions import require_perm
from ckm.core.sorting import Sorts
from ckm.core.text import edit_distance
from ckm.customers import keys
from ckm.customers.models import (
    AttributeDefinition,
    Consent,
    ContactPoint,
    Customer,
    CustomerEvent,
    DuplicatePair,
    Holding,
    MergedRecord,
    PartyRelationship,
    PersonalFact,
    Product,
    RecordConfirmation,
    Transaction,
)

SEARCH_MIN_CHARS = 2
_PHONE_PUNCTUATION = re.compile(r"[\d\s()+\-./]")


def customer_scope(user: Any) -> str:
    """How far the user's customer access reaches: all, managed, team, or none."""
    if user.is_superuser or user.role == Role.ADMIN:
        return "all"
    return str(settings.CKM_CUSTOMER_SCOPE.get(user.role, "none"))


def customer_ids_in_scope(user: Any) -> QuerySet[Customer, Any] | None:
    """None when the user sees every customer, else the primary keys of those they may see
    (registered with core for the audit log)."""
    if customer_scope(user) == "all" and user.has_perm("customers.view_customer"):
        return None
    try:
        return customer_queryset(user=user).values("pk")
    except PermissionDenied:
        return Customer.objects.none().values("pk")


def customer_refs_in_scope(user: Any) -> list[QuerySet[Any, Any]] | None:
    """What core's audit log may show a user: None for every customer, else the ids of the
    customers they may see and the former ids of the records merged into those."""
    visible = customer_ids_in_scope(user)
    if visible is None:
        return None
    return [visible, MergedRecord.objects.filter(customer__in=visible).values("former_id")]


def customer_queryset(*, user: Any) -> QuerySet[Customer]:
    """The customers this user may see (record-level access by role, ownership and team)."""
    require_perm(user, "customers.view_customer")
    customers = Customer.objects.all()
    scope = customer_scope(user)
    if scope == "all":
        return customers
    if scope == "managed":
        teams = set(Team.objects.filter(manager=user).values_list("id", flat=True))
        if user.team_id:
            teams.add(user.team_id)
        return customers.filter(Q(owner=user) | Q(team_id__in=teams))
    if scope == "team":
        if user.team_id:
            return customers.filter(Q(owner=user) | Q(team_id=user.team_id))
        return customers.filter(owner=user)
    return customers.none()


def customer_get(*, user: Any, customer_id: int) -> Customer:
    """One customer the user may see, or NotFound (never a hint that it exists)."""
    customer = (
        customer_queryset(user=user)
        .select_related("owner", "team", "office", "household")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def customer_get_by_external_id(*, user: Any, external_id: str) -> Customer:
    """One customer by the firm's id; the id of a record merged into another finds that one."""
    customers = customer_queryset(user=user)
    customer = customers.filter(
        Q(external_id=external_id) | Q(merged_records__external_id=external_id)
    ).first()
    if customer is None:
        raise NotFound("No such customer.")
    return customer


@dataclass(frozen=True)
class CustomerFilters:
    """The filters of the customer list, shared by the page and the API."""

    q: str = ""
    kind: str = ""
    status: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    office_id: int | None = None
    city: str = ""
    mine: bool = False


# the customer list sorts by these columns (`?sort=`, see core.sorting); the name (sort_key) and
# the customer id are indexed, so the default order and the id order read no more than a page
CUSTOMER_SORTS = Sorts(
    columns={
        "name": ("sort_key",),
        "customer_id": ("external_id",),
        "status": ("status", "sort_key"),
        "city": ("city", "sort_key"),
        # as the user list orders people (User.Meta.ordering); no owner comes last
        "owner": ("owner__last_name", "owner__first_name", "owner__username", "sort_key"),
    },
    default="name",
    model=Customer,
)


def customer_list(*, user: Any, filters: CustomerFilters, sort: str = "") -> QuerySet[Customer]:
    """Customers matching the filters, with owner/team/office joined, ordered in the database
    by a column of CUSTOMER_SORTS (by default the name)."""
    customers = customer_queryset(user=user).select_related("owner", "team", "office")
    if filters.q:
        ids = [c.pk for c in customer_search(user=user, q=filters.q, limit=500)]
        customers = customers.filter(pk__in=ids)
    if filters.kind:
        customers = customers.filter(kind=filters.kind)
    if filters.status:
        customers = customers.filter(status=filters.status)
    if filters.owner_id:
        customers = customers.filter(owner_id=filters.owner_id)
    if filters.team_id:
        customers = customers.filter(team_id=filters.team_id)
    if filters.office_id:
        customers = customers.filter(office_id=filters.office_id)
    if filters.city:
        customers = customers.filter(city__iexact=filters.city)
    if filters.mine:
        customers = customers.filter(owner=user)
    return customers.order_by(*CUSTOMER_SORTS.order_by(sort))


@dataclass(frozen=True)
class CustomerFilterOptions:
    """What the customer list's owner, team and office filters offer."""

    owners: QuerySet[User]
    teams: QuerySet[Team]
    offices: QuerySet[Office]


def customer_filter_options(
    *,
    user: Any,
    owner_id: int | None = None,
    team_id: int | None = None,
    office_id: int | None = None,
) -> CustomerFilterOptions:
    """The owners, teams and offices that occur among the customers this user may see (one
    subquery each, in the database), plus the value a filter is set to now, so that a link to
    the list filtered by someone without customers still works."""
    visible = customer_queryset(user=user)

    def present(column: str, current: int | None) -> Q:
        occurring = Q(pk__in=visible.values(column))
        return occurring | Q(pk=current) if current else occurring

    return CustomerFilterOptions(
        owners=User.objects.filter(present("owner_id", owner_id)),
        teams=Team.objects.filter(present("team_id", team_id)),
        offices=Office.objects.filter(present("office_id", office_id)),
    )


def customer_search(*, user: Any, q: str, limit: int = 10) -> list[Customer]:
    """Customers whose name, e-mail, phone or id starts with q; answers as the user types.

    Each kind of key is an index range scan limited to `limit` rows, so the cost does not
    grow with the number of customers."""
    query = q.strip()
    if len(query) < SEARCH_MIN_CHARS:
        return []
    visible = customer_queryset(user=user)
    scoped = customer_scope(user) != "all"
    found: dict[int, int] = {}  # customer id -> rank (lower is better)

    def add(ids: Any, rank: int) -> None:
        for pk in ids:
            found.setdefault(pk, rank)

    exact = visible.filter(external_id=query).values_list("id", flat=True)[:1]
    add(exact, 0)
    if "@" in query:
        lo, hi = keys.prefix_bounds(query.lower())
        add(_contact_ids(visible if scoped else None, "email", lo, hi, limit), 1)
    digits = keys.phone_digits(query)
    # a phone number as people write it: digits with spaces, brackets, dashes, dots, slashes
    if len(digits) >= 6 and len(_PHONE_PUNCTUATION.sub("", query)) <= 4:
        for prefix in keys.phone_prefixes(query):
            lo, hi = keys.prefix_bounds(prefix)
            add(_contact_ids(visible if scoped else None, ("phone", "mobile"), lo, hi, limit), 1)
    folded = keys.name_fold(query)
    if folded:
        lo, hi = keys.prefix_bounds(folded)
        add(
            visible.filter(name_key__gte=lo, name_key__lt=hi).values_list("id", flat=True)[:limit],
            2,
        )
        add(
            visible.filter(sort_key__gte=lo, sort_key__lt=hi).values_list("id", flat=True)[:limit],
            2,
        )
        words = folded.split()
        if len(words) > 1 and "@" not in query:  # an e-mail address is no name of words
            add(_name_word_ids(visible, words, limit), 2)
        lo, hi = keys.prefix_bounds(query)
        add(
            visible.filter(external_id__gte=lo, external_id__lt=hi).values_list("id", flat=True)[
                :limit
            ],
            3,
        )
    if not found and folded and "@" not in query and not any(ch.isdigit() for ch in query):
        # nothing starts so: a name mistyped ("Karin Fisher", "Bergmnn") by a letter or two
        add(_name_typo_ids(visible, folded.split(), limit), 4)
    ids = sorted(found, key=lambda pk: found[pk])[: limit * 2]
    customers = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=ids).select_related("owner", "team", "office")
    }
    ranked = sorted(
        (customers[pk] for pk in ids if pk in customers),
        key=lambda c: (found[c.pk], c.sort_key),
    )
    return ranked[:limit]


def _name_word_ids(visible: QuerySet[Customer], words: list[str], limit: int) -> list[int]:
    """Ids of customers with every word a prefix of some part of their name, in any order
    ("schul jo" finds Jörg Schulte). The longest word drives an index range scan on the keys
    that start with a name part (first name, last name); the others only filter the rows of
    that range, so no query reads the whole table."""
    driver = max(words, key=len)
    others = Q()
    for word in words:
        if word != driver:
            others &= Q(name_key__startswith=word) | Q(name_key__contains=f" {word}")
    lo, hi = keys.prefix_bounds(driver)
    ids: list[int] = []
    for key in ("name_key", "sort_key"):
        in_range = visible.filter(others, **{f"{key}__gte": lo, f"{key}__lt": hi})
        # in the order of the index scanned, so the scan stops at `limit` rows (the default order,
        # by sort_key, would sort the whole range of a name_key scan first)
        ids += list(in_range.order_by(key).values_list("id", flat=True)[:limit])
    return ids


# how many names sharing the first two letters a mistyped name is compared with (each way of
# writing the name: first name first, last name first)
TYPO_CANDIDATES = 3000


def _name_typo_ids(visible: QuerySet[Customer], words: list[str], limit: int) -> list[int]:
    """Ids of customers whose name parts match every word with a letter or two wrong (one for
    words of up to five letters, two for longer; a swap counts one), closest first. The
    candidates are the names that start with the longest word's first two letters, read in the
    index's order and at most TYPO_CANDIDATES of them, so a query never reads the whole table."""
    driver = max(words, key=len)
    if len(driver) < 4:
        return []
    lo, hi = keys.prefix_bounds(driver[:2])
    scored: dict[int, int] = {}
    for key in ("name_key", "sort_key"):
        rows = (
            visible.filter(**{f"{key}__gte": lo, f"{key}__lt": hi})
            .order_by(key)
            .values_list("id", key)[:TYPO_CANDIDATES]
        )
        for pk, name in rows:
            parts = name.split()
            total = 0
            for word in words:
                allowed = 1 if len(word) <= 5 else 2
                best = min(
                    (
                        0 if part.startswith(word) else edit_distance(word, part, limit=allowed)
                        for part in parts
                    ),
                    default=allowed + 1,
                )
                if best > allowed:
                    break
                total += best
            else:
                scored[pk] = min(total, scored.get(pk, total))
    return sorted(scored, key=lambda pk: scored[pk])[:limit]


def contact_points_of(customer_ids: list[int]) -> dict[int, list[ContactPoint]]:
    """The e-mail addresses and numbers of a few customers already found (primary first), in one
    query: what tells two people of one name apart when a message is linked to one of them."""
    found: dict[int, list[ContactPoint]] = defaultdict(list)
    points = ContactPoint.objects.filter(
        customer_id__in=customer_ids, kind__in=["email", "phone", "mobile"]
    ).order_by("customer_id", "-is_primary", "kind", "pk")
    for point in points:
        found[point.customer_id].append(point)
    return dict(found)


def primary_contacts(customer: Customer) -> dict[str, str]:
    """The customer's primary e-mail and phone (the edit form's starting values)."""
    points = customer.contact_points.filter(is_primary=True, kind__in=["email", "phone"])
    return {point.kind: point.value for point in points}


def customer_match(*, email: str = "", phone: str = "") -> list[int]:
    """Ids of customers whose e-mail equals or phone number ends like the given one (for intake
    matching of messages from outside; no user scope: the caller decides what to show)."""
    ids: list[int] = []
    if email and keys.is_email(email):
        ids += list(
            ContactPoint.objects.filter(
                kind="email", value_key=keys.contact_key("email", email)
            ).values_list("customer_id", flat=True)[:5]
        )
    if phone and len(keys.phone_digits(phone)) >= 6:
        for prefix in keys.phone_prefixes(phone):
            lo, hi = keys.prefix_bounds(prefix)
            ids += list(
                ContactPoint.objects.filter(
                    kind__in=("phone", "mobile"), value_key__gte=lo, value_key__lt=hi
                ).values_list("customer_id", flat=True)[:5]
            )
    return list(dict.fromkeys(ids))


def _contact_ids(
    visible: QuerySet[Customer] | None, kinds: str | tuple[str, ...], lo: str, hi: str, limit: int
) -> Any:
    points = ContactPoint.objects.filter(value_key__gte=lo, value_key__lt=hi)
    points = (
        points.filter(kind__in=kinds) if isinstance(kinds, tuple) else points.filter(kind=kinds)
    )
    if visible is not None:
        points = points.filter(customer__in=visible)
    return points.values_list("customer_id", flat=True)[:limit]


@dataclass
class ValueSummary:
    balance_total: Decimal
    balance_by_family: dict[str, Decimal]
    active_products: int
    annual_margin: Decimal
    tenure_years: float | None
    transactions_90d: int
    inflow_90d: Decimal
    outflow_90d: Decimal


@dataclass
class Freshness:
    section: str
    label: str
    confirmed_at: dt.datetime | None
    confirmed_by: str
    stale: bool


@dataclass
class Profile:
    """Everything the profile page shows about a customer, read in a fixed number of queries."""

    customer: Customer
    contact_points: list[ContactPoint]
    household_members: list[Customer]
    relationships: list[PartyRelationship]
    holdings: list[Holding]
    value: ValueSummary | None
    facts: list[PersonalFact]
    upcoming: list[tuple[dt.date, PersonalFact]]
    # (purpose, its label, [(channel, its label as a sentence says it, the consent or None)])
    consents: list[tuple[str, str, list[tuple[str, str, Consent | None]]]]
    freshness: list[Freshness]
    attributes: list[tuple[str, Any]]
    can: dict[str, bool] = field(default_factory=dict)
    relatives_hidden: int = 0  # household members and relations outside the user's customers


STALE_AFTER_DAYS = 365


def customer_profile(*, user: Any, customer_id: int) -> Profile:
    """The customer profile for one customer the user may see; sections follow their permissions."""
    customer = customer_get(user=user, customer_id=customer_id)
    can = {
        "holdings": user.has_perm("customers.view_holding"),
        "facts": user.has_perm("customers.view_personalfact"),
        "consent": user.has_perm("customers.view_consent"),
        "contacts": user.has_perm("customers.view_contactpoint"),
        "history": user.has_perm("customers.view_customer_history"),
        "edit": user.has_perm("customers.change_customer"),
        "add_fact": user.has_perm("customers.add_personalfact"),
        "change_consent": user.has_perm("customers.change_consent"),
        "confirm": user.has_perm("customers.confirm_customer"),
        "reassign": user.has_perm("customers.reassign_customer"),
    }
    today = timezone.localdate()
    contact_points = list(customer.contact_points.all()) if can["contacts"] else []
    # relatives outside the user's customers are counted, never named
    visible = customer_queryset(user=user)
    household = (
        Customer.objects.filter(household_id=customer.household_id).exclude(pk=customer.pk)
        if customer.household_id
        else Customer.objects.none()
    )
    members = list(
        household.filter(pk__in=visible.values("pk")).only(
            "id", "display_name", "kind", "date_of_birth"
        )[:20]
    )
    related = customer.relationships.select_related("to_customer")
    relationships = list(related.filter(to_customer__in=visible.values("pk"))[:20])
    hidden = (
        household.exclude(pk__in=visible.values("pk")).count()
        + related.exclude(to_customer__in=visible.values("pk")).count()
    )
    holdings: list[Holding] = []
    value = None
    if can["holdings"]:
        holdings = list(customer.holdings.select_related("product").order_by("status", "-opened"))
        value = _value_summary(customer, holdings, today)
    facts = list(customer.personal_facts.all()) if can["facts"] else []
    upcoming = sorted(
        ((d, f) for f in facts if (d := f.next_date(today)) and (d - today).days <= 90),
        key=lambda pair: pair[0],
    )
    recorded = (
        {(c.purpose, c.channel): c for c in customer.consents.all()} if can["consent"] else {}
    )
    consents = [
        (
            purpose,
            label,
            [
                (channel, _mid_sentence(channel_label), recorded.get((purpose, channel)))
                for channel, channel_label in Consent.Channel.choices
            ],
        )
        for purpose, label in Consent.Purpose.choices
    ]
    freshness = _freshness(customer)
    definitions = {d.name: d for d in AttributeDefinition.objects.all()}
    attributes = [
        (definitions[k].label if k in definitions else k.replace("_", " ").capitalize(), _shown(v))
        for k, v in sorted(customer.attributes.items())
    ]
    return Profile(
        customer=customer,
        contact_points=contact_points,
        household_members=members,
        relationships=relationships,
        relatives_hidden=hidden,
        holdings=holdings,
        value=value,
        facts=facts,
        upcoming=upcoming,
        consents=consents if can["consent"] else [],
        freshness=freshness,
        attributes=attributes,
        can=can,
    )


def _mid_sentence(label: str) -> str:
    """A choice's label inside a sentence ('by e-mail'); an abbreviation stays ('by SMS')."""
    return label if label.isupper() else label[:1].lower() + label[1:]


def _shown(value: Any) -> Any:
    """An attribute as a person reads it: yes/no, amounts without ".0", codes as words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, str) and "_" in value and " " not in value:
        return value.replace("_", " ")
    return value


def _value_summary(customer: Customer, holdings: list[Holding], today: dt.date) -> ValueSummary:
    by_family: dict[str, Decimal] = defaultdict(Decimal)
    margin = Decimal(0)
    active = 0
    for holding in holdings:
        if holding.status == Holding.Status.CLOSED:
            continue
        active += 1
        balance = holding.balance or Decimal(0)
        by_family[holding.product.family] += balance
        if holding.product.margin:
            margin += abs(balance) * Decimal(str(holding.product.margin))
        if holding.product.fee:
            margin += holding.product.fee
    since = timezone.now() - dt.timedelta(days=90)
    flows = Transaction.objects.filter(customer=customer, booked_at__gte=since).aggregate(
        n=Count("id"),
        inflow=Sum("amount", filter=Q(amount__gt=0)),
        outflow=Sum("amount", filter=Q(amount__lt=0)),
    )
    tenure = (today - customer.customer_since).days / 365.25 if customer.customer_since else None
    return ValueSummary(
        balance_total=sum(by_family.values(), Decimal(0)),
        balance_by_family=dict(sorted(by_family.items(), key=lambda kv: -abs(kv[1]))),
        active_products=active,
        annual_margin=margin.quantize(Decimal("0.01")),
        tenure_years=round(tenure, 1) if tenure is not None else None,
        transactions_90d=flows["n"] or 0,
        inflow_90d=flows["inflow"] or Decimal(0),
        outflow_90d=flows["outflow"] or Decimal(0),
    )


def _freshness(customer: Customer) -> list[Freshness]:
    confirmed = {
        c.section: c
        for c in RecordConfirmation.objects.filter(customer=customer).select_related("confirmed_by")
    }
    now = timezone.now()
    rows = []
    for section, label in RecordConfirmation.Section.choices:
        confirmation = confirmed.get(section)
        at = confirmation.confirmed_at if confirmation else None
        by = ""
        if confirmation:
            by = (
                str(confirmation.confirmed_by)
                if confirmation.confirmed_by
                else confirmation.source or "import"
            )
        rows.append(
            Freshness(
                section=section,
                label=label,
                confirmed_at=at,
                confirmed_by=by,
                stale=at is None or (now - at).days > STALE_AFTER_DAYS,
            )
        )
    return rows


def customer_events(*, customer: Customer, limit: int = 50) -> QuerySet[CustomerEvent]:
    """System events on a customer's timeline (the caller has checked access)."""
    return customer.events.select_related("actor").order_by("-occurred_at", "-id")[:limit]


def transaction_list(*, user: Any, customer_id: int) -> QuerySet[Transaction]:
    require_perm(user, "customers.view_transaction")
    customer = customer_get(user=user, customer_id=customer_id)
    return customer.transactions.select_related("product").order_by("-booked_at", "-id")


def holding_list(*, user: Any, customer_id: int) -> QuerySet[Holding]:
    require_perm(user, "customers.view_holding")
    customer = customer_get(user=user, customer_id=customer_id)
    return customer.holdings.select_related("product").order_by("status", "-opened")


def product_list(*, user: Any, family: str = "") -> QuerySet[Product]:
    require_perm(user, "customers.view_product")
    products = Product.objects.annotate(
        holders=Count("holdings", filter=Q(holdings__status="active"))
    )
    if family:
        products = products.filter(family=family)
    return products.order_by("family", "name")


def upcoming_personal_dates(
    *, user: Any, days: int = 30, limit: int = 50
) -> list[tuple[dt.date, PersonalFact]]:
    """Birthdays, anniversaries and other dates of the user's own customers in the next days."""
    require_perm(user, "customers.view_personalfact")
    today = timezone.localdate()
    facts = PersonalFact.objects.filter(
        customer__in=customer_queryset(user=user).filter(owner=user), date__isnull=False
    ).select_related("customer")
    upcoming = [(d, f) for f in facts if (d := f.next_date(today)) and (d - today).days <= days]
    return sorted(upcoming, key=lambda pair: pair[0])[:limit]


def stale_customers(
    *, user: Any, days: int = STALE_AFTER_DAYS, limit: int = 20
) -> QuerySet[Customer]:
    """The user's own customers whose identity or contact data nobody confirmed for a year."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    fresh = RecordConfirmation.objects.filter(
        section=RecordConfirmation.Section.CONTACT, confirmed_at__gte=cutoff
    ).values("customer_id")
    return (
        customer_queryset(user=user)
        .filter(owner=user)
        .exclude(pk__in=fresh)
        .order_by("sort_key")[:limit]
    )


def customer_counts(*, user: Any) -> dict[str, int]:
    """How many customers the user sees, owns, and how many of those are stale."""
    visible = customer_queryset(user=user)
    return {"visible": visible.count(), "owned": visible.filter(owner=user).count()}


def attribute_definitions() -> QuerySet[AttributeDefinition]:
    return AttributeDefinition.objects.order_by("name")


# --- identity resolution ----------------------------------------------------------------------

# what a merge lets a person choose, as groups of fields that belong together
MERGE_GROUPS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "name": ("name",),
    "date_of_birth": ("date_of_birth",),
    "customer_since": ("customer_since",),
    "status": ("status",),
    "address": ("address", "postcode", "city", "country"),
    "owner": ("owner", "team"),
    "office": ("office",),
    "household": ("household",),
}


def merge_default(group: str, customer: Customer, other: Customer) -> str:
    """Whose values a merge keeps for a group when nobody chose: the survivor's, unless it has
    none there; for "customer since", the earlier date."""
    names = MERGE_GROUPS[group]
    if group == "customer_since" and customer.customer_since and other.customer_since:
        return "other" if other.customer_since < customer.customer_since else "customer"
    if any(getattr(customer, n + ("_id" if n in _RELATED else "")) for n in names):
        return "customer"
    if any(getattr(other, n + ("_id" if n in _RELATED else "")) for n in names):
        return "other"
    return "customer"


_RELATED = {"owner", "team", "office", "household"}


def customer_relations() -> list[ForeignObjectRel]:
    """Every relation that points at a customer, in every app (hidden ones included), except the
    duplicate pairs themselves."""
    return [
        field
        for field in Customer._meta.get_fields(include_hidden=True)
        if isinstance(field, ForeignObjectRel)
        and field.is_relation
        and field.auto_created
        and not field.concrete
        and field.related_model not in (DuplicatePair, Customer)
    ]


def _unique_with(model: type[Model], name: str) -> list[list[str]]:
    """The other fields of each unconditional uniqueness rule that includes the field `name`
    (what may exist only once per customer: one consent per purpose and channel, one membership
    per campaign, one value row)."""
    groups: list[tuple[str, ...]] = [tuple(u) for u in model._meta.unique_together]
    groups += [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint) and c.fields and c.condition is None
    ]
    if getattr(model._meta.get_field(name), "unique", False):
        groups.append((name,))
    return [[f for f in group if f != name] for group in groups if name in group]


def _attname(model: type[Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "attname", name))


def unique_clashes(
    model: type[Model], name: str, customer: Customer, other: Customer
) -> list[tuple[Model, Model]]:
    """The rows of `other` that may not join `customer`'s (one consent per purpose and channel,
    one membership per campaign, one value row, ...), each with the row of `customer` it meets:
    (other's, customer's). A merge keeps one of each pair."""
    rows = model._default_manager
    clashes = []
    for rest in _unique_with(model, name):
        columns = [_attname(model, f) for f in rest]  # none: one row per customer at most
        ours = {tuple(getattr(r, c) for c in columns): r for r in rows.filter(**{name: customer})}
        for row in rows.filter(**{name: other}):
            clash = ours.get(tuple(getattr(row, c) for c in columns))
            if clash is not None:
                clashes.append((row, clash))
    return clashes


# what the records hanging on a customer are called on the merge page, where the model's own
# name reads as a developer's word
_RELATION_LABELS = {"customer events": "Timeline entries", "customer values": "Value and CLV"}


def duplicate_queryset(*, user: Any) -> QuerySet[DuplicatePair]:
    """Pairs whose two customers the user may both see."""
    require_perm(user, "customers.view_duplicatepair")
    pairs = DuplicatePair.objects.select_related(
        "customer", "other", "customer__owner", "other__owner", "decided_by"
    )
    visible = customer_ids_in_scope(user)
    if visible is not None:
        pairs = pairs.filter(customer_id__in=visible, other_id__in=visible)
    return pairs


def duplicate_list(
    *, user: Any, status: str = DuplicatePair.Status.OPEN
) -> QuerySet[DuplicatePair]:
    """Probable duplicates, most probable first."""
    pairs = duplicate_queryset(user=user)
    if status:
        pairs = pairs.filter(status=status)
    return pairs.order_by("-probability", "id")


def duplicate_get(*, user: Any, pair_id: int) -> DuplicatePair:
    pair = duplicate_queryset(user=user).filter(pk=pair_id).first()
    if pair is None:
        raise NotFound("No such pair of possible duplicates.")
    return pair


def duplicates_of(*, user: Any, customer: Customer) -> list[tuple[DuplicatePair, Customer]]:
    """The open pairs a customer is part of, with the other customer of each (the profile's
    warning); empty for a user who may not see duplicates."""
    if not user.has_perm("customers.view_duplicatepair"):
        return []
    pairs = duplicate_list(user=user).filter(Q(customer=customer) | Q(other=customer))
    return [(p, p.other if p.customer_id == customer.pk else p.customer) for p in pairs[:5]]


def merged_into(*, user: Any, former_id: int) -> int | None:
    """The customer a merged record now lives on, if `former_id` was merged and the user may
    see that customer (else nothing: no hint that the record existed)."""
    survivor = (
        MergedRecord.objects.filter(former_id=former_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    if survivor is None or not customer_queryset(user=user).filter(pk=survivor).exists():
        return None
    return int(survivor)


@dataclass(frozen=True)
class MergeRow:
    group: str
    label: str
    customer_value: str
    other_value: str
    default: str  # customer or other

    @property
    def same(self) -> bool:
        return self.customer_value == self.other_value


@dataclass(frozen=True)
class MergePreview:
    customer: Customer
    other: Customer
    rows: list[MergeRow]
    # what each record has: label, the customer's, the other's, the other's the customer holds
    # already (kept once)
    counts: list[tuple[str, int, int, int]]
    contacts: tuple[list[str], list[str]]
    pair: DuplicatePair | None


def _shown_group(customer: Customer, names: tuple[str, ...]) -> str:
    values = []
    for name in names:
        value = getattr(customer, f"get_{name}_display", lambda n=name: getattr(customer, n))()
        if value not in (None, ""):
            values.append(value.strftime("%d.%m.%Y") if isinstance(value, dt.date) else str(value))
    return ", ".join(values)


def merge_preview(*, user: Any, customer_id: int, other_id: int) -> MergePreview:
    """Two customers side by side for a merge: each group of fields with both values and the one
    a merge would keep, and how many records of each kind hang on either."""
    require_perm(user, "customers.merge_customer")
    customer = customer_get(user=user, customer_id=customer_id)
    other = customer_get(user=user, customer_id=other_id)
    if customer.pk == other.pk:
        raise ValidationError({"other_id": "A customer cannot be merged with itself."})
    if customer.kind != other.kind:
        raise ValidationError(
            {"other_id": "A person and an organisation cannot be the same customer."}
        )
    rows = []
    for group, names in MERGE_GROUPS.items():
        label = str(getattr(Customer._meta.get_field(names[0]), "verbose_name", group))
        rows.append(
            MergeRow(
                group=group,
                label=label[:1].upper() + label[1:],
                customer_value=_shown_group(customer, names),
                other_value=_shown_group(other, names),
                default=merge_default(group, customer, other),
            )
        )
    counts = []
    for relation in customer_relations():
        if relation.related_model is ContactPoint:
            continue  # shown value by value
        name = relation.field.name
        found = dict(
            relation.related_model._default_manager.filter(**{f"{name}__in": [customer, other]})
            .values_list(name)
            .annotate(n=Count("pk"))
            .values_list(name, "n")
        )
        if found:
            model = relation.related_model
            label = str(model._meta.verbose_name_plural)
            label = _RELATION_LABELS.get(label, label[:1].upper() + label[1:])
            theirs = found.get(other.pk, 0)
            once = (
                len({row.pk for row, _ in unique_clashes(model, name, customer, other)})
                if theirs
                else 0
            )
            counts.append((label, found.get(customer.pk, 0), theirs, once))
    low, high = sorted((customer.pk, other.pk))
    pair = DuplicatePair.objects.filter(customer_id=low, other_id=high).first()
    contacts = tuple(
        [f"{p.get_kind_display()}: {p.value}" for p in c.contact_points.all()]
        for c in (customer, other)
    )
    return MergePreview(
        customer=customer,
        other=other,
        rows=rows,
        counts=counts,
        contacts=(contacts[0], contacts[1]),
        pair=pair,
    )


def duplicate_count_open(user: Any) -> int:
    """Open pairs the user may decide (the navigation's badge)."""
    if not user.is_authenticated or not user.has_perm("customers.view_duplicatepair"):
        return 0
    return duplicate_list(user=user).count()


def duplicate_jobs(*, limit: int = 3) -> list[Job]:
    """Duplicate searches that are queued or running, newest first."""
    jobs = Job.objects.filter(
        kind="customers.duplicates", status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    )
    return list(jobs.order_by("-created_at")[:limit])


def customer_lookalikes(*, user: Any, customer: Customer, limit: int = 5) -> list[Customer]:
    """Customers the user may see who look like this one at a glance: the same e-mail address or
    phone number, or the same name with the same date of birth (or postcode). Shown when a
    record is created, before the nightly duplicate search would find it."""
    contacts = dict(customer.contact_points.values_list("kind", "value"))
    ids = set(customer_match(email=contacts.get("email", ""), phone=contacts.get("phone", "")))
    same_name = Q(name_key=customer.name_key, kind=customer.kind)
    if customer.date_of_birth:
        ids |= set(
            Customer.objects.filter(same_name, date_of_birth=customer.date_of_birth).values_list(
                "pk", flat=True
            )[:limit]
        )
    elif customer.postcode:
        ids |= set(
            Customer.objects.filter(same_name, postcode=customer.postcode).values_list(
                "pk", flat=True
            )[:limit]
        )
    ids.discard(customer.pk)
    return list(customer_queryset(user=user).filter(pk__in=ids).order_by("sort_key")[:limit])
