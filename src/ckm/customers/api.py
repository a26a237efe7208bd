"""API of the customers app: customers, contact points, products, holdings, transactions,
personal facts and consent. Thin: validation by schema, work by services and selectors."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ckm.core.apikit import In, JobOut, Pages, Patch, job_answer, sent_fields
from ckm.core.http import AuthedRequest
from ckm.core.models import Office, Team, User
from ckm.core.permissions import require_perm
from ckm.customers import selectors, services
from ckm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    DuplicatePair,
    MergedRecord,
    PersonalFact,
)

router = Router(tags=["customers"])


class CustomerOut(Schema):
    id: int
    external_id: str
    kind: str
    display_name: str
    first_name: str
    last_name: str
    name: str
    status: str
    date_of_birth: dt.date | None
    customer_since: dt.date | None
    address: str
    postcode: str
    city: str
    country: str
    owner: str | None
    team: str | None
    office: str | None
    household_id: int | None
    attributes: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(c: Customer) -> str | None:
        return c.owner.username if c.owner_id and c.owner else None

    @staticmethod
    def resolve_team(c: Customer) -> str | None:
        return c.team.name if c.team_id and c.team else None

    @staticmethod
    def resolve_office(c: Customer) -> str | None:
        return c.office.code if c.office_id and c.office else None


class CustomerFilterIn(In):
    q: str = Field("", description="Prefix of a name, e-mail, phone or customer id")
    kind: Literal["", "person", "organisation"] = ""
    status: Literal["", "active", "prospect", "inactive", "closed"] = ""
    owner_id: int | None = None
    team_id: int | None = None
    office_id: int | None = None
    city: str = ""
    mine: bool = False


class CustomerIn(In):
    kind: Literal["person", "organisation"]
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=255)
    phone: str = Field("", max_length=40)
    date_of_birth: dt.date | None = None
    address: str = Field("", max_length=255)
    postcode: str = Field("", max_length=20)
    city: str = Field("", max_length=100)
    country: str = Field("", max_length=2)
    status: Literal["active", "prospect", "inactive", "closed"] = "active"
    external_id: str = Field("", max_length=64, description="Your id; generated when empty")
    owner: str = Field("", description="Username of the owner")
    team: str = Field("", description="Team name")
    office: str = Field("", description="Office code")


class CustomerPatch(Patch):
    nullable = frozenset({"date_of_birth"})

    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=200)
    date_of_birth: dt.date | None = None
    status: Literal["active", "prospect", "inactive", "closed"] | None = None
    address: str | None = Field(None, max_length=255)
    postcode: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)


class DuplicateOut(Schema):
    id: int
    customer_id: int
    other_id: int
    customer_name: str
    other_name: str
    probability: float
    evidence: dict[str, str]
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_customer_name(p: DuplicatePair) -> str:
        return p.customer.display_name

    @staticmethod
    def resolve_other_name(p: DuplicatePair) -> str:
        return p.other.display_name

    @staticmethod
    def resolve_decided_by(p: DuplicatePair) -> str | None:
        return p.decided_by.username if p.decided_by_id and p.decided_by else None


class DuplicateFilterIn(In):
    status: Literal["", "open", "dismissed"] = "open"


@router.get(
    "/customers/duplicates",
    response=list[DuplicateOut],
    summary="Pairs of customers probably recorded twice, most probable first",
)
@paginate(Pages)
def duplicate_list(request: AuthedRequest, filters: Query[DuplicateFilterIn]) -> Any:
    return selectors.duplicate_list(user=request.user, status=filters.status)


@router.post(
    "/customers/duplicates/find",
    response={202: JobOut},
    summary="Look for customers recorded twice (a background job)",
)
def duplicates_find(request: AuthedRequest) -> Status[dict[str, Any]]:
    return Status(202, job_answer(services.duplicates_find_start(actor=request.user)))


@router.post(
    "/customers/duplicates/{pair_id}/dismiss",
    response=DuplicateOut,
    summary="Not the same customer: the pair is not proposed again",
)
def duplicate_dismiss(request: AuthedRequest, pair_id: int) -> DuplicatePair:
    pair = services.duplicate_dismiss(actor=request.user, pair_id=pair_id)
    return selectors.duplicate_get(user=request.user, pair_id=pair.pk)


@router.post(
    "/customers/duplicates/{pair_id}/reopen",
    response=DuplicateOut,
    summary="Take back a 'not the same': the pair is to decide again",
)
def duplicate_reopen(request: AuthedRequest, pair_id: int) -> DuplicatePair:
    pair = services.duplicate_reopen(actor=request.user, pair_id=pair_id)
    return selectors.duplicate_get(user=request.user, pair_id=pair.pk)


class MergeIn(In):
    other_id: int = Field(..., description="The record merged into this one (it is closed)")
    take: dict[str, Literal["customer", "other"]] = Field(
        default_factory=dict,
        description=(
            "Per field group, whose values to keep: first_name, last_name, name, date_of_birth, "
            "customer_since, status, address (with postcode, city, country), owner (with team), "
            "office, household. A group not named keeps this customer's value, or the other's "
            "where this one has none."
        ),
    )


class MergeOut(Schema):
    customer: CustomerOut
    merged_id: int
    merged_external_id: str
    moved: dict[str, int]
    dropped: int = Field(..., description="Copies the survivor already held (kept in the audit)")


@router.post(
    "/customers/{customer_id}/merge",
    response=MergeOut,
    summary="Merge another record of the same customer into this one",
)
def customer_merge(request: AuthedRequest, customer_id: int, payload: MergeIn) -> dict[str, Any]:
    result = services.customer_merge(
        actor=request.user, customer_id=customer_id, other_id=payload.other_id, take=payload.take
    )
    return {
        "customer": selectors.customer_get(user=request.user, customer_id=customer_id),
        "merged_id": result.merged.former_id,
        "merged_external_id": result.merged.external_id,
        "moved": result.moved,
        "dropped": len(result.dropped),
    }


@router.get("/customers", response=list[CustomerOut], summary="Customers you may see, filtered")
@paginate(Pages)
def customer_list(request: AuthedRequest, filters: Query[CustomerFilterIn]) -> Any:
    return selectors.customer_list(
        user=request.user, filters=selectors.CustomerFilters(**filters.dict())
    )


@router.post("/customers", response={201: CustomerOut}, summary="Create a customer")
def customer_create(request: AuthedRequest, payload: CustomerIn) -> Status[Customer]:
    # the right first: whether an id is taken is not for a role that may not create customers
    require_perm(request.user, "customers.add_customer")
    data = payload.dict()
    data["external_id"] = data["external_id"].strip()  # as the service keeps it
    taken = Customer.objects.filter(external_id=data["external_id"]).exists() or (
        MergedRecord.objects.filter(external_id=data["external_id"]).exists()
    )
    if data["external_id"] and taken:
        from ckm.core.errors import ConflictError

        raise ConflictError(f"A customer with the id {data['external_id']!r} exists already.")
    owner = _lookup(User, "username", data.pop("owner"), "owner")
    team = _lookup(Team, "name", data.pop("team"), "team")
    office = _lookup(Office, "code", data.pop("office"), "office")
    customer = services.customer_create(
        actor=request.user, owner=owner, team=team, office=office, **data
    )
    return Status(201, selectors.customer_get(user=request.user, customer_id=customer.pk))


def _lookup(model: Any, field: str, value: str, name: str) -> Any:
    if not value:
        return None
    obj = model.objects.filter(**{field: value}).first()
    if obj is None:
        from ckm.core.errors import ValidationError

        raise ValidationError({name: f"No {name} {value!r}."})
    return obj


@router.get(
    "/customers/{customer_id}", response=CustomerOut, summary="One customer (the view is audited)"
)
def customer_get(request: AuthedRequest, customer_id: int) -> Customer:
    customer = selectors.customer_get(user=request.user, customer_id=customer_id)
    services.customer_profile_viewed(actor=request.user, customer=customer)
    return customer


@router.get(
    "/customers/by-id/{external_id}", response=CustomerOut, summary="One customer by your id"
)
def customer_by_external_id(request: AuthedRequest, external_id: str) -> Customer:
    customer = selectors.customer_get_by_external_id(user=request.user, external_id=external_id)
    services.customer_profile_viewed(actor=request.user, customer=customer)
    return selectors.customer_get(user=request.user, customer_id=customer.pk)


@router.patch(
    "/customers/{customer_id}", response=CustomerOut, summary="Change identity and address"
)
def customer_patch(request: AuthedRequest, customer_id: int, payload: CustomerPatch) -> Customer:
    fields = sent_fields(payload)
    services.customer_update(actor=request.user, customer_id=customer_id, **fields)
    return selectors.customer_get(user=request.user, customer_id=customer_id)


class ContactPointOut(Schema):
    id: int
    kind: str
    value: str
    label: str
    is_primary: bool
    verified_at: dt.datetime | None


class ContactPointIn(In):
    kind: Literal["email", "phone", "mobile", "address", "web"]
    value: str = Field(..., min_length=1, max_length=255)
    label: str = Field("", max_length=40)
    primary: bool = False


@router.get("/customers/{customer_id}/contact-points", response=list[ContactPointOut])
def contact_points(request: AuthedRequest, customer_id: int) -> list[ContactPoint]:
    require_perm(request.user, "customers.view_contactpoint")
    return list(
        selectors.customer_get(user=request.user, customer_id=customer_id).contact_points.all()
    )


@router.post("/customers/{customer_id}/contact-points", response={201: ContactPointOut})
def contact_point_add(
    request: AuthedRequest, customer_id: int, payload: ContactPointIn
) -> Status[ContactPoint]:
    customer = selectors.customer_get(user=request.user, customer_id=customer_id)
    return Status(
        201, services.contact_point_add(actor=request.user, customer=customer, **payload.dict())
    )


class ProductOut(Schema):
    id: int
    external_id: str
    name: str
    family: str
    margin: float | None
    fee: Decimal | None
    description: str
    attributes: dict[str, Any]


@router.get("/products", response=list[ProductOut], summary="The product catalogue")
@paginate(Pages)
def product_list(request: AuthedRequest, family: str = "") -> Any:
    return selectors.product_list(user=request.user, family=family)


class HoldingOut(Schema):
    id: int
    external_id: str
    customer_id: int
    product_id: int
    product: str
    family: str
    opened: dt.date
    closed: dt.date | None
    status: str
    balance: Decimal | None

    @staticmethod
    def resolve_product(h: Any) -> str:
        return str(h.product.name)

    @staticmethod
    def resolve_family(h: Any) -> str:
        return str(h.product.family)


@router.get(
    "/customers/{customer_id}/holdings", response=list[HoldingOut], summary="A customer's products"
)
def holding_list(request: AuthedRequest, customer_id: int) -> Any:
    return list(selectors.holding_list(user=request.user, customer_id=customer_id))


class TransactionOut(Schema):
    id: int
    external_id: str
    customer_id: int
    product_id: int | None
    booked_at: dt.datetime
    amount: Decimal
    kind: str
    description: str


@router.get(
    "/customers/{customer_id}/transactions",
    response=list[TransactionOut],
    summary="A customer's transactions, newest first",
)
@paginate(Pages)
def transaction_list(request: AuthedRequest, customer_id: int) -> Any:
    return selectors.transaction_list(user=request.user, customer_id=customer_id)


class FactOut(Schema):
    id: int
    kind: str
    label: str
    value: str
    date: dt.date | None
    recurring: bool
    next_date: dt.date | None

    @staticmethod
    def resolve_next_date(f: PersonalFact) -> dt.date | None:
        from django.utils import timezone

        return f.next_date(timezone.localdate())


class FactIn(In):
    kind: Literal[
        "birthday", "anniversary", "family", "preference", "interest", "life_event", "note"
    ]
    label: str = Field(..., min_length=1, max_length=120)
    value: str = Field("", max_length=300)
    date: dt.date | None = None
    recurring: bool | None = None


@router.get("/customers/{customer_id}/facts", response=list[FactOut], summary="Personal facts")
def fact_list(request: AuthedRequest, customer_id: int) -> list[PersonalFact]:
    return selectors.customer_profile(user=request.user, customer_id=customer_id).facts


@router.post(
    "/customers/{customer_id}/facts", response={201: FactOut}, summary="Record a personal fact"
)
def fact_add(request: AuthedRequest, customer_id: int, payload: FactIn) -> Status[PersonalFact]:
    return Status(
        201,
        services.personal_fact_add(actor=request.user, customer_id=customer_id, **payload.dict()),
    )


@router.delete("/facts/{fact_id}", response={204: None}, summary="Remove a personal fact")
def fact_delete(request: AuthedRequest, fact_id: int) -> Status[None]:
    services.personal_fact_delete(actor=request.user, fact_id=fact_id)
    return Status(204, None)


class ConsentOut(Schema):
    purpose: str
    channel: str
    granted: bool
    recorded_at: dt.datetime
    source: str


class ConsentIn(In):
    purpose: Literal["marketing", "service", "profiling", "research", "product_feedback"]
    channel: Literal["email", "phone", "sms", "letter", "portal"]
    granted: bool
    source: str = Field("api", max_length=60)


@router.get(
    "/customers/{customer_id}/consents",
    response=list[ConsentOut],
    summary="Consent per purpose and channel",
)
def consent_list(request: AuthedRequest, customer_id: int) -> list[Consent]:
    profile = selectors.customer_profile(user=request.user, customer_id=customer_id)
    return [c for _, _, channels in profile.consents for _, _, c in channels if c is not None]


@router.put(
    "/customers/{customer_id}/consents",
    response=ConsentOut,
    summary="Record consent or its withdrawal",
)
def consent_set(request: AuthedRequest, customer_id: int, payload: ConsentIn) -> Consent:
    return services.consent_set(actor=request.user, customer_id=customer_id, **payload.dict())
