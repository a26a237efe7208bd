"""The customer data package files this app owns: products, customers, holdings, transactions
and labels. The import engine streams and validates; these classes resolve ids and write in bulk."""

from __future__ import annotations

from typing import Any, ClassVar

from ckm.core.audit import ImportedRecord, audit_import_rows
from ckm.core.imports.bulk import bulk_upsert
from ckm.core.imports.registry import Column, FileLoader, LoadContext, Row
from ckm.core.imports.values import to_json
from ckm.core.models import Office, Team, User
from ckm.customers import keys
from ckm.customers.models import (
    AttributeDefinition,
    ContactPoint,
    Customer,
    Holding,
    Household,
    Label,
    MergedRecord,
    Product,
    Transaction,
    plausible_birth,
)
from ckm.customers.services import IDENTITY_FIELDS


def customer_ids(ctx: LoadContext) -> dict[str, int]:
    """external customer id -> primary key, shared by every file of a run."""
    if "customer_ids" not in ctx.cache:
        # the id of a record merged into another finds that one
        ids = dict(MergedRecord.objects.values_list("external_id", "customer_id"))
        ids.update(Customer.objects.values_list("external_id", "id"))
        ctx.cache["customer_ids"] = ids
    return ctx.cache["customer_ids"]  # type: ignore[no-any-return]


def product_ids(ctx: LoadContext) -> dict[str, int]:
    if "product_ids" not in ctx.cache:
        ctx.cache["product_ids"] = dict(Product.objects.values_list("external_id", "id"))
    return ctx.cache["product_ids"]  # type: ignore[no-any-return]


def usernames(ctx: LoadContext) -> dict[str, int]:
    if "usernames" not in ctx.cache:
        ctx.cache["usernames"] = {
            u.lower(): pk for u, pk in User.objects.values_list("username", "id")
        }
    return ctx.cache["usernames"]  # type: ignore[no-any-return]


def reference_problems(
    values: dict[str, Any], ctx: LoadContext, *, customer: str = "customer_id", product: str = ""
) -> list[tuple[str, str]]:
    """Problems with a row's customer id (required) and product id (checked when given)."""
    problems = []
    if values.get(customer) is not None and values[customer] not in customer_ids(ctx):
        problems.append((customer, "unknown customer id (not in customers.csv or the database)"))
    if product and values.get(product) and values[product] not in product_ids(ctx):
        problems.append((product, "unknown product id (not in products.csv or the database)"))
    return problems


def office_id(ctx: LoadContext, code: str) -> int:
    """The office with this code; created (and noted in the report) when new."""
    offices: dict[str, int] = ctx.cache.setdefault(
        "offices", dict(Office.objects.values_list("code", "id"))
    )
    if code not in offices:
        offices[code] = Office.objects.create(code=code, name=code).pk
        ctx.notes.append(f"created office {code}")
    return offices[code]


class ProductLoader(FileLoader):
    filename = "products.csv"
    order = 10
    key = "product_id"
    extras = "keep"
    columns: ClassVar = [
        Column("product_id", required=True, max_length=64),
        Column("name", required=True, max_length=200),
        Column("family", required=True, max_length=60),
        Column("margin", "float"),
        Column("fee", "decimal"),
        Column("description"),
    ]

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        result = bulk_upsert(
            Product,
            [
                {
                    "external_id": row.key,
                    "name": row.values["name"],
                    "family": row.values["family"].lower(),
                    "margin": row.values["margin"],
                    "fee": row.values["fee"],
                    "description": row.values["description"] or "",
                    "attributes": {k: to_json(v) for k, v in row.extras.items()},
                    "is_active": True,
                }
                for row in rows
            ],
        )
        ctx.cache.pop("product_ids", None)
        return result


# what a customer's audit entry records of an imported row (identity, status and who serves them)
AUDITED_FIELDS = (*IDENTITY_FIELDS, "household_id", "owner_id", "team_id", "office_id")


class CustomerLoader(FileLoader):
    filename = "customers.csv"
    order = 20
    key = "customer_id"
    extras = "attributes"
    columns: ClassVar = [
        Column("customer_id", required=True, max_length=64),
        Column("kind", required=True, choices=("person", "organisation")),
        Column("first_name", max_length=100),
        Column("last_name", max_length=100),
        Column("name", max_length=200),
        Column("email", max_length=255),
        Column("phone", max_length=40),
        Column("address", max_length=255),
        Column("postcode", max_length=20),
        Column("city", max_length=100),
        Column("country", max_length=2),
        Column("date_of_birth", "date"),
        Column("customer_since", "date"),
        Column("status", choices=("active", "prospect", "inactive", "closed")),
        Column("household_id", max_length=64),
        Column("owner", max_length=150),
        Column("team", max_length=120),
        Column("office", max_length=32),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        v = row.values
        problems = []
        if v["kind"] == "person" and not (v["last_name"] or v["name"]):
            problems.append(("last_name", "a person needs a last name (or a name)"))
        if v["kind"] == "organisation" and not v["name"]:
            problems.append(("name", "an organisation needs a name"))
        if v["email"] and not keys.is_email(v["email"]):
            problems.append(("email", "not an e-mail address"))
        if v["phone"] and len(keys.phone_digits(v["phone"])) < 5:
            problems.append(("phone", "not a phone number (too few digits)"))
        if v["country"] and not (len(v["country"]) == 2 and v["country"].isalpha()):
            problems.append(("country", "use a two-letter ISO country code"))
        if v["owner"] and v["owner"].lower() not in usernames(ctx):
            problems.append(("owner", f"no user with the username {v['owner']!r}"))
        if v.get("date_of_birth") is not None and not plausible_birth(v["date_of_birth"]):
            problems.append(("date_of_birth", "not a plausible date of birth"))
        return problems

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        merged = dict(
            MergedRecord.objects.filter(external_id__in=[r.key for r in rows]).values_list(
                "external_id", "customer__external_id"
            )
        )
        if merged:
            # a merged record's identity is the survivor's now: the source's row for it would
            # undo the choices made in the merge (or bring the record back)
            for row in rows:
                if row.key in merged:
                    ctx.notes.append(
                        f"line {row.line}: {row.key} was merged into {merged[row.key]}; "
                        "its identity row is not applied (update the survivor instead)"
                    )
            rows = [row for row in rows if row.key not in merged]
        households = self._households(rows)
        teams: dict[str, int] = ctx.cache.setdefault(
            "teams", dict(Team.objects.values_list("name", "id"))
        )
        stored = {
            c["external_id"]: c
            for c in Customer.objects.filter(external_id__in=[r.key for r in rows]).values(
                "external_id", "attributes", *AUDITED_FIELDS
            )
        }
        existing_attributes = {k: c["attributes"] for k, c in stored.items()}
        objs = []
        for row in rows:
            v = row.values
            team_name = v["team"]
            if team_name and team_name not in teams:
                teams[team_name] = Team.objects.create(name=team_name).pk
                ctx.notes.append(f"created team {team_name}")
            first, last, name = v["first_name"] or "", v["last_name"] or "", v["name"] or ""
            name_key, sort_key = keys.name_keys(
                kind=v["kind"], first_name=first, last_name=last, name=name
            )
            attributes = dict(existing_attributes.get(row.key) or {})
            attributes.update({k: to_json(x) for k, x in row.extras.items()})
            objs.append(
                {
                    "external_id": row.key,
                    "kind": v["kind"],
                    "first_name": first,
                    "last_name": last,
                    "name": name,
                    "display_name": keys.display_name(
                        kind=v["kind"], first_name=first, last_name=last, name=name
                    )[:255],
                    "name_key": name_key,
                    "sort_key": sort_key,
                    "date_of_birth": v["date_of_birth"],
                    "customer_since": v["customer_since"],
                    "status": v["status"] or Customer.Status.ACTIVE,
                    "address": v["address"] or "",
                    "postcode": v["postcode"] or "",
                    "city": v["city"] or "",
                    "country": (v["country"] or "").upper(),
                    "household_id": households.get(v["household_id"] or ""),
                    "owner_id": usernames(ctx).get((v["owner"] or "").lower()),
                    "team_id": teams.get(team_name) if team_name else None,
                    "office_id": office_id(ctx, v["office"]) if v["office"] else None,
                    "attributes": attributes,
                }
            )
        result = bulk_upsert(Customer, objs)
        ids = dict(
            Customer.objects.filter(external_id__in=[r.key for r in rows]).values_list(
                "external_id", "id"
            )
        )
        customer_ids(ctx).update(ids)
        self._contact_points(rows, ids)
        audit_import_rows(
            actor=ctx.user,
            object_type="customers.customer",
            file=self.filename,
            run_id=ctx.run_id,
            records=[
                ImportedRecord(
                    pk=ids[row.key],
                    label=obj["display_name"],
                    line=row.line,
                    before=(
                        {f: stored[row.key][f] for f in AUDITED_FIELDS}
                        if row.key in stored
                        else None
                    ),
                    after={
                        **{f: obj[f] for f in AUDITED_FIELDS},
                        **(
                            {"email": row.values["email"], "phone": row.values["phone"]}
                            if row.key not in stored
                            else {}
                        ),
                    },
                    customer_id=ids[row.key],
                )
                for row, obj in zip(rows, objs, strict=True)
            ],
        )
        return result

    @staticmethod
    def _households(rows: list[Row]) -> dict[str, int]:
        wanted = {r.values["household_id"] for r in rows if r.values["household_id"]}
        if not wanted:
            return {}
        Household.objects.bulk_create(
            [Household(external_id=h) for h in wanted], ignore_conflicts=True
        )
        return dict(
            Household.objects.filter(external_id__in=wanted).values_list("external_id", "id")
        )

    @staticmethod
    def _contact_points(rows: list[Row], ids: dict[str, int]) -> None:
        points: dict[tuple[int, str, str], dict[str, object]] = {}
        for row in rows:
            for kind in ("email", "phone"):
                value = row.values[kind]
                if value:
                    key = (ids[row.key], kind, keys.contact_key(kind, value))
                    points[key] = {
                        "customer_id": key[0],
                        "kind": kind,
                        "value": value,
                        "value_key": key[2],
                        "label": "",
                        "is_primary": True,
                    }
        if not points:
            return
        bulk_upsert(ContactPoint, list(points.values()), key=("customer_id", "kind", "value_key"))
        # the imported value is the primary one of its kind; earlier values stay as history
        for kind in ("email", "phone"):
            keep = [(c, k) for (c, kd, k) in points if kd == kind]
            if not keep:
                continue
            stale = ContactPoint.objects.filter(
                customer_id__in=[c for c, _ in keep], kind=kind, is_primary=True
            ).exclude(value_key__in=[k for _, k in keep])
            stale.update(is_primary=False)

    def finish(self, ctx: LoadContext, extra_types: dict[str, str]) -> None:
        for name, type_name in extra_types.items():
            AttributeDefinition.objects.update_or_create(
                name=name[:80],
                defaults={
                    "type": type_name,
                    "label": name.replace("_", " ").capitalize()[:120],
                    "source": str(ctx.manifest.get("name") or "")[:200],
                },
            )


class HoldingLoader(FileLoader):
    filename = "holdings.csv"
    order = 30
    key = "holding_id"
    key_required = False
    content_key = ("customer_id", "product_id", "opened")
    columns: ClassVar = [
        Column("holding_id", max_length=64),
        Column("customer_id", required=True),
        Column("product_id", required=True),
        Column("opened", "date", required=True),
        Column("closed", "date"),
        Column("status", choices=("active", "closed", "dormant")),
        Column("balance", "decimal"),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        v = row.values
        problems = reference_problems(v, ctx, product="product_id")
        if v["closed"] and v["opened"] and v["closed"] < v["opened"]:
            problems.append(("closed", "closed before it was opened"))
        return problems

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        customers, products = customer_ids(ctx), product_ids(ctx)
        return bulk_upsert(
            Holding,
            [
                {
                    "external_id": row.key,
                    "customer_id": customers[row.values["customer_id"]],
                    "product_id": products[row.values["product_id"]],
                    "opened": row.values["opened"],
                    "closed": row.values["closed"],
                    "status": row.values["status"]
                    or (Holding.Status.CLOSED if row.values["closed"] else Holding.Status.ACTIVE),
                    "balance": row.values["balance"],
                }
                for row in rows
            ],
        )


class TransactionLoader(FileLoader):
    filename = "transactions.csv"
    order = 40
    key = "transaction_id"
    key_required = False
    content_key = ("customer_id", "product_id", "booked_at", "amount", "kind", "description")
    batch_size = 5000
    columns: ClassVar = [
        Column("transaction_id", max_length=64),
        Column("customer_id", required=True),
        Column("product_id"),
        Column("booked_at", "datetime", required=True),
        Column("amount", "decimal", required=True),
        Column("kind", required=True, max_length=30),
        Column("description", max_length=255),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        return reference_problems(row.values, ctx, product="product_id")

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        customers, products = customer_ids(ctx), product_ids(ctx)
        return bulk_upsert(
            Transaction,
            [
                {
                    "external_id": row.key,
                    "customer_id": customers[row.values["customer_id"]],
                    "product_id": products.get(row.values["product_id"] or ""),
                    "booked_at": row.values["booked_at"],
                    "amount": row.values["amount"],
                    "kind": row.values["kind"].lower(),
                    "description": row.values["description"] or "",
                }
                for row in rows
            ],
        )


class LabelLoader(FileLoader):
    filename = "labels.csv"
    order = 60
    key = "label_id"
    key_required = False
    content_key = ("customer_id", "name", "as_of")
    columns: ClassVar = [
        Column("label_id", max_length=64),
        Column("customer_id", required=True),
        Column("name", required=True, max_length=60),
        Column("value", required=True, max_length=100),
        Column("as_of", "date", required=True),
    ]

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        return reference_problems(row.values, ctx)

    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        customers = customer_ids(ctx)
        objs = []
        for row in rows:
            value = row.values["value"]
            try:
                number: float | None = float(value)
            except ValueError:
                number = {"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}.get(value.lower())
            objs.append(
                {
                    "external_id": row.key,
                    "customer_id": customers[row.values["customer_id"]],
                    "name": row.values["name"].lower(),
                    "value": value,
                    "value_number": number,
                    "as_of": row.values["as_of"],
                }
            )
        return bulk_upsert(Label, objs)


LOADERS: list[FileLoader] = [
    ProductLoader(),
    CustomerLoader(),
    HoldingLoader(),
    TransactionLoader(),
    LabelLoader(),
]
