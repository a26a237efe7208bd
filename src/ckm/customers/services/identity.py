"""Identity resolution: finding customers recorded twice (record linkage over every customer,
run as a background job) and merging two records into one.

A merge keeps one record (the survivor) and moves everything that points at the other one to it:
contact points, holdings, transactions, consent, facts, the timeline, and every other app's
records (interactions, cases, scores, campaign memberships, ...), found through the model
relations, so this app needs to know none of them. Where the survivor already holds the same
thing (the same e-mail address, a membership in the same campaign) the other's copy is dropped
and kept in the audit entry; for consent and record confirmations the later decision wins. The
other record's id and external id keep answering for the survivor (MergedRecord)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import models, transaction
from django.utils import timezone

from ckm.core.audit import audit_record, diff, snapshot
from ckm.core.errors import ConflictError, NotFound, ValidationError
from ckm.core.jobs import (
    Progress,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_progress,
    job_start,
    job_waiting,
    no_progress,
)
from ckm.core.models import AuditEntry, Job
from ckm.core.permissions import require_perm
from ckm.customers import keys
from ckm.customers.linkage import Record, find_pairs, learn_m
from ckm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    DuplicatePair,
    MergedRecord,
    PartyRelationship,
    RecordConfirmation,
)
from ckm.customers.selectors import (
    MERGE_GROUPS,
    customer_get,
    customer_relations,
    duplicate_get,
    merge_default,
    unique_clashes,
)
from ckm.customers.services.records import _set_keys, customer_event_record

JOB_KIND = "customers.duplicates"
# the later of two colliding rows wins for these (the customer's latest word)
_LATEST = {Consent: "recorded_at", RecordConfirmation: "confirmed_at"}
# the customer's own fields a merge chooses between
_MERGED_FIELDS = [name for names in MERGE_GROUPS.values() for name in names]


# --- finding duplicates -----------------------------------------------------------------------


def phone_key(value: str) -> str:
    """A phone number's last nine digits: "+49 171 1234567", "0171 1234567" and "171/1234567"
    are one number (matching elsewhere compares the ends of numbers the same way)."""
    return keys.phone_digits(value)[-9:]


def _record(record_id: int, row: Mapping[str, Any], email: str, phone: str) -> Record:
    """A customer as linkage sees it, from its fields (a row, or a merged record's identity)."""
    person = row["kind"] == Customer.Kind.PERSON
    born = row.get("date_of_birth") or ""
    return Record(
        id=record_id,
        kind=row["kind"],
        first_name=keys.fold(row.get("first_name") or "") if person else "",
        last_name=keys.fold(
            (row.get("last_name") if person else row.get("name") or row.get("last_name")) or ""
        ),
        date_of_birth=born if isinstance(born, str) else born.isoformat(),
        email=keys.contact_key("email", email),
        phone=phone_key(phone),
        street=keys.fold(row.get("address") or ""),
        postcode=keys.fold(row.get("postcode") or "").replace(" ", ""),
    )


def _records() -> Iterable[Record]:
    primary: dict[tuple[int, str], str] = {}
    points = ContactPoint.objects.filter(kind__in=("email", "phone", "mobile")).order_by(
        "customer_id", "-is_primary", "id"
    )
    for customer_id, kind, value in points.values_list("customer_id", "kind", "value").iterator(
        chunk_size=5000
    ):
        kind = "phone" if kind == "mobile" else kind
        primary.setdefault((customer_id, kind), value)
    fields = ("id", "kind", "first_name", "last_name", "name", "date_of_birth")
    for row in Customer.objects.values(*fields, "address", "postcode").iterator(chunk_size=5000):
        email, phone = primary.get((row["id"], "email"), ""), primary.get((row["id"], "phone"), "")
        yield _record(row["id"], row, email, phone)


def _identity_record(identity: Mapping[str, Any], kind: str) -> Record:
    """A record as it was at a merge (MergedRecord.identity or kept_identity)."""
    points = [(k, v) for k, v in identity.get("contact_points") or []]
    email = next((v for k, v in points if k == "email"), "")
    phone = next((v for k, v in points if k in ("phone", "mobile")), "")
    return _record(0, {**identity, "kind": kind}, email, phone)


def merges_confirmed() -> list[tuple[Record, Record]]:
    """Every merge as a pair of records known to be one customer: the survivor as it was just
    before and the record merged into it (merges made before the survivor's identity was kept
    are left out)."""
    rows = MergedRecord.objects.exclude(kept_identity={}).values_list(
        "kept_identity", "identity", "customer__kind"
    )
    return [
        (_identity_record(kept, kind), _identity_record(other, kind))
        for kept, other, kind in rows.iterator(chunk_size=2000)
    ]


def duplicates_find(*, actor: Any = None, progress: Progress = no_progress) -> dict[str, Any]:
    """Compare every customer with the likely candidates and keep the probable duplicates as open
    pairs: new pairs are added, known open pairs get the new figures, pairs no longer found are
    removed, dismissed pairs stay dismissed."""
    if actor is not None:
        require_perm(actor, "customers.merge_customer")
    progress(0, 3, "Reading customers")
    records = list(_records())
    confirmed = merges_confirmed()
    progress(1, 3, f"Comparing {len(records):,} customers")
    linkage = find_pairs(records, m=learn_m(confirmed) if confirmed else None)
    progress(2, 3, f"Keeping {len(linkage.pairs):,} probable duplicates")
    with transaction.atomic():
        # a customer merged or deleted while the comparison ran has no pairs any more
        alive = set(Customer.objects.values_list("pk", flat=True).iterator(chunk_size=10000))
        linkage_pairs = [p for p in linkage.pairs if p.left_id in alive and p.right_id in alive]
        known = {(p.customer_id, p.other_id): p for p in DuplicatePair.objects.all()}
        found: set[tuple[int, int]] = set()
        new, changed = [], []
        for pair in linkage_pairs:
            key = (pair.left_id, pair.right_id)
            found.add(key)
            row = known.get(key)
            if row is None:
                new.append(
                    DuplicatePair(
                        customer_id=pair.left_id,
                        other_id=pair.right_id,
                        probability=pair.probability,
                        weight=pair.weight,
                        evidence=pair.evidence,
                    )
                )
            elif row.status == DuplicatePair.Status.OPEN:
                row.probability, row.weight, row.evidence = (
                    pair.probability,
                    pair.weight,
                    pair.evidence,
                )
                changed.append(row)
        DuplicatePair.objects.bulk_create(new, batch_size=1000)
        DuplicatePair.objects.bulk_update(
            changed, ["probability", "weight", "evidence", "updated_at"], batch_size=1000
        )
        stale = [
            row.pk
            for key, row in known.items()
            if key not in found and row.status == DuplicatePair.Status.OPEN
        ]
        DuplicatePair.objects.filter(pk__in=stale).delete()
        result = {
            "customers": linkage.records,
            "compared": linkage.compared,
            "found": len(linkage_pairs),
            "new": len(new),
            "removed": len(stale),
            "learned": linkage.trained,
            "merges_learned_from": len(confirmed),
            "seconds": round(linkage.seconds, 2),
        }
        audit_record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            object_type="customers.duplicatepair",
            object_repr="Duplicate search",
            summary=(
                f"Compared {linkage.records:,} customers: {len(linkage_pairs):,} probable "
                f"duplicates ({len(new):,} new, {len(stale):,} no longer found)"
            ),
            changes={"after": result},
        )
    progress(3, 3, "Done")
    return result


def duplicates_find_start(*, actor: Any) -> Job:
    """Queue a duplicate search (the Duplicates page's button); a queued one is joined."""
    require_perm(actor, "customers.merge_customer")
    # a search queued or running now reads the same customers: join it
    waiting = job_waiting(kind=JOB_KIND) or (
        Job.objects.filter(kind=JOB_KIND, status=Job.Status.RUNNING).order_by("-created_at").first()
    )
    if waiting is not None:
        return waiting
    job = job_create(kind=JOB_KIND, label="Find customers recorded twice", user=actor)
    from ckm.customers.tasks import duplicates_find_task

    job_enqueue(job, duplicates_find_task, job_id=job.pk)
    return job


def duplicates_find_job(*, job_id: int) -> dict[str, Any] | None:
    """Run a queued duplicate search (called by the task)."""
    job_start(job_id=job_id)
    try:
        result = duplicates_find(progress=job_progress(job_id))
    except Exception as exc:
        job_fail(job_id=job_id, message=str(getattr(exc, "message", exc)))
        return None
    job_finish(
        job_id=job_id,
        result=result,
        message=f"{result['found']:,} probable duplicates among {result['customers']:,} customers"
        f" (learned from {result['merges_learned_from']:,} merges)",
    )
    return result


def duplicate_dismiss(*, actor: Any, pair_id: int) -> DuplicatePair:
    """Record that the two customers of a pair are not the same: the pair is not proposed again."""
    return _pair_decide(
        actor=actor,
        pair_id=pair_id,
        status=DuplicatePair.Status.DISMISSED,
        summary="Not the same customer",
    )


def duplicate_reopen(*, actor: Any, pair_id: int) -> DuplicatePair:
    """Take back a "not the same" (a wrong click): the pair is open to decide again."""
    return _pair_decide(
        actor=actor,
        pair_id=pair_id,
        status=DuplicatePair.Status.OPEN,
        summary="Proposed again: perhaps the same customer after all",
    )


@transaction.atomic
def _pair_decide(*, actor: Any, pair_id: int, status: str, summary: str) -> DuplicatePair:
    """Set a pair's status (who decided and when, or nobody for an open pair), audited on both
    customers; a pair already in that status is left alone (a retry changes nothing)."""
    require_perm(actor, "customers.merge_customer")
    pair = _pair_get(actor=actor, pair_id=pair_id)
    if pair.status == status:
        return pair
    before = pair.status
    pair.status = status
    dismissed = status == DuplicatePair.Status.DISMISSED
    pair.decided_by = actor if dismissed else None
    pair.decided_at = timezone.now() if dismissed else None
    pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    for customer_id in (pair.customer_id, pair.other_id):
        audit_record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=pair,
            customer_id=customer_id,
            summary=summary,
            changes={"status": [before, status]},
        )
    return pair


def _pair_get(*, actor: Any, pair_id: int) -> DuplicatePair:
    pair = duplicate_get(user=actor, pair_id=pair_id)
    return DuplicatePair.objects.select_for_update().get(pk=pair.pk)


# --- merging ----------------------------------------------------------------------------------


def _identity(customer: Customer) -> dict[str, Any]:
    """Who a record says the customer is, for MergedRecord: its fields and contact points."""
    return {
        **snapshot(customer, [*_MERGED_FIELDS, "external_id", "attributes"]),
        "contact_points": list(
            customer.contact_points.order_by("-is_primary", "id").values_list("kind", "value")
        ),
    }


@dataclasses.dataclass(frozen=True)
class MergeResult:
    customer: Customer
    merged: MergedRecord
    moved: dict[str, int]
    dropped: list[dict[str, Any]]


@transaction.atomic
def customer_merge(
    *,
    actor: Any,
    customer_id: int,
    other_id: int,
    take: Mapping[str, str] | None = None,
) -> MergeResult:
    """Merge customer `other_id` into `customer_id` (the survivor). `take` chooses, per group of
    fields (MERGE_GROUPS), whose values the survivor keeps: "customer" or "other"; a group not
    named keeps the survivor's value, or the other's where the survivor has none."""
    require_perm(actor, "customers.merge_customer")
    done = _merged_already(actor=actor, customer_id=customer_id, other_id=other_id, take=take)
    if done is not None:
        return done
    if customer_id == other_id:
        raise ValidationError({"other_id": "A customer cannot be merged with itself."})
    take = dict(take or {})
    errors = {
        f"take.{group}": [f"Choose customer or other, not {side!r}."]
        for group, side in take.items()
        if group in MERGE_GROUPS and side not in ("customer", "other")
    }
    errors |= {
        f"take.{group}": [f"Unknown field group; choose from {', '.join(MERGE_GROUPS)}."]
        for group in take
        if group not in MERGE_GROUPS
    }
    if errors:
        raise ValidationError(errors)
    # both must be visible to the actor; locked so that two merges cannot cross
    customer_get(user=actor, customer_id=customer_id)
    customer_get(user=actor, customer_id=other_id)
    locked = Customer.objects.select_for_update().in_bulk([customer_id, other_id])
    if len(locked) < 2:  # merged away a moment ago: by this same request's twin, or by another
        done = _merged_already(actor=actor, customer_id=customer_id, other_id=other_id, take=take)
        if done is not None:
            return done
        raise NotFound("No such customer.")
    survivor, other = locked[customer_id], locked[other_id]
    if survivor.kind != other.kind:
        raise ValidationError(
            {"other_id": "A person and an organisation cannot be the same customer."}
        )
    before = snapshot(survivor, [*_MERGED_FIELDS, "attributes"])
    kept_identity = _identity(survivor)  # as it was: with `identity`, a pair the search learns from
    chosen = {
        group: take.get(group) or merge_default(group, survivor, other) for group in MERGE_GROUPS
    }
    for group, names in MERGE_GROUPS.items():
        side = chosen[group]
        if side == "other":
            for name in names:
                setattr(survivor, name, getattr(other, name))
    survivor.attributes = {**(other.attributes or {}), **(survivor.attributes or {})}
    _set_keys(survivor)
    survivor.full_clean(exclude=["external_id"])
    survivor.save()
    identity = _identity(other)
    _pairs_hand_over(other=other, survivor=survivor)
    between = PartyRelationship.objects.filter(
        models.Q(from_customer=other, to_customer=survivor)
        | models.Q(from_customer=survivor, to_customer=other)
    )
    dropped = [_dropped(row, of="both") for row in between]  # a customer related to itself
    between.delete()
    primaries = list(
        ContactPoint.objects.filter(customer=survivor, is_primary=True).values_list("pk", "kind")
    )
    moved, left_out = _move_related(other=other, survivor=survivor)
    dropped += left_out
    # one primary contact point per kind: the survivor's where it had one
    ContactPoint.objects.filter(
        customer=survivor, is_primary=True, kind__in=[kind for _, kind in primaries]
    ).exclude(pk__in=[pk for pk, _ in primaries]).update(is_primary=False)
    merged = MergedRecord.objects.create(
        customer=survivor,
        former_id=other.pk,
        external_id=other.external_id,
        display_name=other.display_name,
        identity=identity,
        kept_identity=kept_identity,
        moved=moved,
        dropped=dropped,
        take=chosen,
        merged_by=actor,
    )
    other_label = f"{other.display_name} ({other.external_id})"
    other.delete()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.MERGE,
        obj=survivor,
        customer_id=survivor.pk,
        summary=f"Merged the duplicate record {other_label} into this one",
        changes={
            **diff(before, snapshot(survivor, [*_MERGED_FIELDS, "attributes"])),
            "merged_record": [None, identity],
            "moved": [None, moved],
            **({"dropped": [None, dropped]} if dropped else {}),
        },
    )
    # the merged record's own history stays findable under its former id
    audit_record(
        actor=actor,
        action=AuditEntry.Action.MERGE,
        object_type="customers.customer",
        object_id=merged.former_id,
        object_repr=other_label,
        customer_id=merged.former_id,
        summary=f"Merged into {survivor.display_name} ({survivor.external_id})",
        changes={"merged_into": [None, survivor.pk]},
    )
    customer_event_record(
        customer_id=survivor.pk,
        kind="merged",
        summary=f"Merged with the duplicate record {other_label}",
        actor=actor,
        payload={"former_id": merged.former_id, "moved": moved},
    )
    return MergeResult(customer=survivor, merged=merged, moved=moved, dropped=dropped)


def _merged_already(
    *, actor: Any, customer_id: int, other_id: int, take: Mapping[str, str] | None
) -> MergeResult | None:
    """The result of this very merge if it went through already (a retry answers the same; a
    request with other choices is refused: the merge cannot be made again)."""
    done = MergedRecord.objects.filter(former_id=other_id, customer_id=customer_id).first()
    if done is None:
        return None
    survivor = customer_get(user=actor, customer_id=customer_id)
    differs = sorted(g for g, side in (take or {}).items() if done.take.get(g, side) != side)
    if differs:
        raise ConflictError(
            f"These records were merged already, keeping other values for {', '.join(differs)}; "
            "change the customer record instead."
        )
    return MergeResult(customer=survivor, merged=done, moved=done.moved, dropped=done.dropped)


def _pairs_hand_over(*, other: Customer, survivor: Customer) -> None:
    """The merged record's pairs: open ones go (the next search finds them again for the
    survivor); a "not the same" decision about a third customer holds for the survivor too."""
    for pair in DuplicatePair.objects.filter(models.Q(customer=other) | models.Q(other=other)):
        third = pair.other_id if pair.customer_id == other.pk else pair.customer_id
        if pair.status == DuplicatePair.Status.DISMISSED and third != survivor.pk:
            low, high = sorted((survivor.pk, third))
            DuplicatePair.objects.update_or_create(
                customer_id=low,
                other_id=high,
                defaults={
                    "status": DuplicatePair.Status.DISMISSED,
                    "decided_by": pair.decided_by,
                    "decided_at": pair.decided_at,
                },
                create_defaults={
                    "probability": pair.probability,
                    "weight": pair.weight,
                    "evidence": pair.evidence,
                    "status": DuplicatePair.Status.DISMISSED,
                    "decided_by": pair.decided_by,
                    "decided_at": pair.decided_at,
                },
            )
        pair.delete()


def _dropped(row: models.Model, *, of: str) -> dict[str, Any]:
    return {"record": str(row._meta.verbose_name), "of": of, "values": snapshot(row)}


def _filled(row: models.Model) -> int:
    """How many of a row's fields hold something (the fuller of two copies is kept)."""
    return sum(
        1
        for f in row._meta.concrete_fields
        if not f.primary_key and getattr(row, f.attname) not in (None, "", False, {}, [])
    )


def _loser(model: type[models.Model], theirs: models.Model, ours: models.Model) -> models.Model:
    """Of two rows that may not both exist, the one to leave out: for consent and confirmations
    the earlier decision, otherwise the emptier copy (a campaign membership with an outcome beats
    one without, a verified contact point an unverified one); on a tie the merged record's."""
    latest = _LATEST.get(model)
    if latest and getattr(theirs, latest) and getattr(ours, latest):
        return ours if getattr(theirs, latest) > getattr(ours, latest) else theirs
    return ours if _filled(theirs) > _filled(ours) else theirs


def _move_related(*, other: Customer, survivor: Customer) -> tuple[dict[str, int], list[Any]]:
    moved: dict[str, int] = {}
    dropped: list[dict[str, Any]] = []
    for relation in customer_relations():
        model = cast(type[models.Model], relation.related_model)
        name = relation.field.name
        gone: set[Any] = set()  # a row may meet another in more than one uniqueness rule
        for row, clash in unique_clashes(model, name, survivor, other):
            if row.pk in gone or clash.pk in gone:
                continue
            loser = _loser(model, row, clash)
            dropped.append(_dropped(loser, of="customer" if loser is clash else "other"))
            gone.add(loser.pk)
            loser.delete()
        count = model._default_manager.filter(**{name: other}).update(**{name: survivor})
        if count:
            label = str(model._meta.verbose_name_plural)
            moved[label] = moved.get(label, 0) + count
    return moved, dropped
