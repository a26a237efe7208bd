"""Writes of customer data. Each service checks permission and record access, validates,
writes in one transaction, records the audit entry and, where users should see it, a timeline event."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import DomainError, NotFound, ValidationError
from ckm.core.models import AuditEntry, Office, Team, User
from ckm.core.permissions import require_perm
from ckm.customers import keys
from ckm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerEvent,
    MergedRecord,
    PersonalFact,
    RecordConfirmation,
)
from ckm.customers.selectors import customer_get, customer_queryset

IDENTITY_FIELDS = [
    "kind",
    "first_name",
    "last_name",
    "name",
    "date_of_birth",
    "customer_since",
    "status",
    "address",
    "postcode",
    "city",
    "country",
]


def _set_keys(customer: Customer) -> None:
    if customer.kind == Customer.Kind.PERSON and not (
        customer.last_name.strip() or customer.name.strip()
    ):
        raise ValidationError({"last_name": "A person needs a last name."})
    if customer.kind == Customer.Kind.ORGANISATION and not customer.name.strip():
        raise ValidationError({"name": "An organisation needs a name."})
    customer.display_name = keys.display_name(
        kind=customer.kind,
        first_name=customer.first_name,
        last_name=customer.last_name,
        name=customer.name,
    )[:255]
    customer.name_key, customer.sort_key = keys.name_keys(
        kind=customer.kind,
        first_name=customer.first_name,
        last_name=customer.last_name,
        name=customer.name,
    )
    if not customer.display_name:
        raise ValidationError({"last_name": "Give a last name (person) or a name (organisation)."})


def customer_event_record(
    *,
    customer_id: int,
    kind: str,
    summary: str,
    actor: Any = None,
    occurred_at: dt.datetime | None = None,
    source: str = "customers",
    payload: dict[str, Any] | None = None,
) -> CustomerEvent:
    """Put a system event on a customer's timeline (used by every app that changes a customer)."""
    return CustomerEvent.objects.create(
        customer_id=customer_id,
        kind=kind,
        summary=summary[:300],
        actor=actor if actor is not None and actor.is_authenticated else None,
        occurred_at=occurred_at or timezone.now(),
        source=source,
        payload=payload or {},
    )


@transaction.atomic
def customer_create(
    *,
    actor: Any,
    kind: str,
    first_name: str = "",
    last_name: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    date_of_birth: dt.date | None = None,
    address: str = "",
    postcode: str = "",
    city: str = "",
    country: str = "",
    status: str = Customer.Status.ACTIVE,
    external_id: str = "",
    owner: User | None = None,
    team: Team | None = None,
    office: Office | None = None,
) -> Customer:
    """Create a customer (with primary e-mail and phone when given)."""
    require_perm(actor, "customers.add_customer")
    external_id = external_id.strip()  # blank is no id: one is generated
    customer = Customer(
        external_id=external_id or f"CKM-{secrets.token_hex(5).upper()}",
        kind=kind,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        name=name.strip(),
        date_of_birth=date_of_birth,
        address=address,
        postcode=postcode,
        city=city,
        country=country.upper(),
        status=status,
        owner=owner,
        team=team or (owner.team if owner else None),
        office=office,
        customer_since=timezone.localdate(),
    )
    errors = _contact_errors(email=email, phone=phone)
    if external_id and MergedRecord.objects.filter(external_id=external_id).exists():
        # a merged record's id keeps finding the customer it was merged into
        errors["external_id"] = ["This customer id is taken."]
    derived: list[str] = []
    try:
        _set_keys(customer)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
        derived = ["display_name", "name_key", "sort_key"]  # not set: nothing to name them from
    try:
        customer.full_clean(exclude=derived)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)  # every problem of the request at once
    customer.save()
    if email:
        contact_point_add(
            actor=actor, customer=customer, kind="email", value=email, primary=True, audit=False
        )
    if phone:
        contact_point_add(
            actor=actor, customer=customer, kind="phone", value=phone, primary=True, audit=False
        )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=customer,
        customer_id=customer.pk,
        after={
            **snapshot(customer, [*IDENTITY_FIELDS, "external_id", "owner_id", "team_id"]),
            "office_id": customer.office_id,
            "email": email.strip(),
            "phone": phone.strip(),
        },
    )
    customer_event_record(
        customer_id=customer.pk,
        kind="customer_created",
        summary="Customer record created",
        actor=actor,
    )
    return customer


@transaction.atomic
def customer_update(
    *,
    actor: Any,
    customer_id: int,
    email: str | None = None,
    phone: str | None = None,
    **fields: Any,
) -> Customer:
    """Change identity and address fields; the diff goes to the audit log. A new `email` or
    `phone` becomes the primary one (the old stays on the record as a secondary point)."""
    require_perm(actor, "customers.change_customer")
    customer = customer_get(user=actor, customer_id=customer_id)
    errors = _contact_errors(email=email, phone=phone)
    if errors:
        raise ValidationError(errors)
    for kind, value in (("email", email), ("phone", phone)):
        if not value or not value.strip():
            continue
        current = customer.contact_points.filter(kind=kind, is_primary=True).first()
        if current is None or current.value_key != keys.contact_key(kind, value):
            contact_point_add(actor=actor, customer=customer, kind=kind, value=value, primary=True)
    unknown = set(fields) - set(IDENTITY_FIELDS)
    if unknown:
        raise DomainError(
            f"cannot change {', '.join(sorted(unknown))} here", field=sorted(unknown)[0]
        )
    before = snapshot(customer, IDENTITY_FIELDS)
    for name, value in fields.items():
        setattr(customer, name, value.strip() if isinstance(value, str) else value)
    customer.country = customer.country.upper()
    _set_keys(customer)
    customer.full_clean()
    customer.save()
    after = snapshot(customer, IDENTITY_FIELDS)
    if before != after:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=customer,
            customer_id=customer.pk,
            before=before,
            after=after,
        )
        _confirm(customer, RecordConfirmation.Section.IDENTITY, actor, source="edit")
        changed = ", ".join(k.replace("_", " ") for k in after if before.get(k) != after.get(k))
        customer_event_record(
            customer_id=customer.pk,
            kind="record_updated",
            summary=f"Updated {changed}",
            actor=actor,
        )
    return customer


@transaction.atomic
def customer_reassign(
    *, actor: Any, customer_id: int, owner: User | None, team: Team | None = None, note: str = ""
) -> Customer:
    """Hand a customer over to a new owner/team; the handover note stays on the timeline."""
    require_perm(actor, "customers.reassign_customer")
    customer = customer_get(user=actor, customer_id=customer_id)
    before = snapshot(customer, ["owner_id", "team_id"])
    previous = customer.owner
    customer.owner = owner
    customer.team = (
        team if team is not None else (owner.team if owner and owner.team_id else customer.team)
    )
    customer.save(update_fields=["owner", "team", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=customer,
        customer_id=customer.pk,
        before=before,
        after=snapshot(customer, ["owner_id", "team_id"]),
        summary="handover",
    )
    summary = f"Handed over from {previous or 'nobody'} to {owner or 'nobody'}"
    customer_event_record(
        customer_id=customer.pk,
        kind="handover",
        summary=summary,
        actor=actor,
        payload={"note": note.strip()[:2000]},
    )
    return customer


def contact_value_problem(kind: str, value: str) -> str:
    """Why a contact value cannot be kept ("" when it can)."""
    if kind == "email" and not keys.is_email(value.strip()):
        return "Not an e-mail address."
    if kind in ("phone", "mobile") and len(keys.phone_digits(value)) < 5:
        return "Not a phone number."
    if not keys.contact_key(kind, value.strip()):
        return "Give a value (letters or digits)."
    return ""


def _contact_errors(**values: str | None) -> dict[str, list[str]]:
    """Field errors for the e-mail and phone given to a customer form or API call, under the
    names the caller used."""
    errors: dict[str, list[str]] = {}
    for kind, value in values.items():
        problem = contact_value_problem(kind, value) if value and value.strip() else ""
        if problem:
            errors[kind] = [problem]
    return errors


@transaction.atomic
def contact_point_add(
    *,
    actor: Any,
    customer: Customer,
    kind: str,
    value: str,
    label: str = "",
    primary: bool = False,
    audit: bool = True,
) -> ContactPoint:
    """Add (or re-confirm) a contact point; a primary one demotes the previous primary."""
    require_perm(actor, "customers.add_contactpoint")
    value = value.strip()
    problem = contact_value_problem(kind, value)
    if problem:
        raise ValidationError({"value": problem})
    key = keys.contact_key(kind, value)
    point, created = ContactPoint.objects.get_or_create(
        customer=customer, kind=kind, value_key=key, defaults={"value": value, "label": label}
    )
    point.verified_at = timezone.now()
    point.confirmed_by = actor
    if primary:
        ContactPoint.objects.filter(customer=customer, kind=kind).exclude(pk=point.pk).update(
            is_primary=False
        )
        point.is_primary = True
    point.full_clean()
    point.save()
    _confirm(customer, RecordConfirmation.Section.CONTACT, actor, source="edit")
    if audit:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            obj=point,
            customer_id=customer.pk,
            after={"kind": kind, "value": value, "primary": point.is_primary},
        )
    return point


@transaction.atomic
def personal_fact_add(
    *,
    actor: Any,
    customer_id: int,
    kind: str,
    label: str,
    value: str = "",
    date: dt.date | None = None,
    recurring: bool | None = None,
) -> PersonalFact:
    """Record a personal fact (family name, anniversary, preference) on the customer."""
    require_perm(actor, "customers.add_personalfact")
    customer = customer_get(user=actor, customer_id=customer_id)
    if recurring is None:
        recurring = kind in (PersonalFact.Kind.BIRTHDAY, PersonalFact.Kind.ANNIVERSARY)
    if date is None and (
        recurring or kind in (PersonalFact.Kind.BIRTHDAY, PersonalFact.Kind.ANNIVERSARY)
    ):
        raise ValidationError(
            {"date": "A birthday, an anniversary or a yearly date needs the date."}
        )
    fact = PersonalFact(
        customer=customer,
        kind=kind,
        label=label.strip(),
        value=value.strip(),
        date=date,
        recurring=recurring,
        created_by=actor,
        confirmed_at=timezone.now(),
    )
    fact.full_clean()
    fact.save()
    _confirm(customer, RecordConfirmation.Section.PERSONAL, actor, source="edit")
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=fact,
        customer_id=customer.pk,
        after=snapshot(fact, ["kind", "label", "value", "date", "recurring"]),
    )
    customer_event_record(
        customer_id=customer.pk, kind="fact_added", summary=f"Noted {fact.label}", actor=actor
    )
    return fact


@transaction.atomic
def personal_fact_delete(*, actor: Any, fact_id: int, customer_id: int | None = None) -> None:
    """Remove a personal fact that is no longer true (of `customer_id`, when the caller names
    the customer: a fact of another reads as no fact at all)."""
    require_perm(actor, "customers.delete_personalfact")
    # a fact of a customer outside the actor's scope reads as no fact at all
    fact = PersonalFact.objects.filter(
        pk=fact_id, customer__in=customer_queryset(user=actor).values("pk")
    ).first()
    # compared here, not in the query: a customer id beyond a database key overflows SQLite in a
    # foreign-key lookup (Django guards only plain integer fields)
    if fact is not None and customer_id is not None and fact.customer_id != customer_id:
        fact = None
    if fact is None:
        raise NotFound("No such fact.")
    before = snapshot(fact, ["kind", "label", "value", "date"])
    fact.delete()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        object_type="customers.personalfact",
        object_id=fact_id,
        customer_id=fact.customer_id,
        before=before,
    )


@transaction.atomic
def consent_set(
    *,
    actor: Any,
    customer_id: int,
    purpose: str,
    channel: str,
    granted: bool,
    source: str = "agent",
) -> Consent:
    """Record the customer's consent (or its withdrawal) for a purpose and channel."""
    require_perm(actor, "customers.change_consent")
    customer = customer_get(user=actor, customer_id=customer_id)
    if purpose not in Consent.Purpose.values:
        raise ValidationError({"purpose": f"Unknown purpose {purpose!r}."})
    if channel not in Consent.Channel.values:
        raise ValidationError({"channel": f"Unknown channel {channel!r}."})
    consent = Consent.objects.filter(customer=customer, purpose=purpose, channel=channel).first()
    before = {"granted": consent.granted} if consent else {"granted": None}
    if consent is None:
        consent = Consent(customer=customer, purpose=purpose, channel=channel)
    consent.granted = granted
    consent.recorded_at = timezone.now()
    consent.recorded_by = actor
    consent.source = source
    consent.full_clean()
    consent.save()
    _confirm(customer, RecordConfirmation.Section.CONSENT, actor, source="edit")
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=consent,
        customer_id=customer.pk,
        before=before,
        after={"granted": granted},
    )
    state = "gave" if granted else "withdrew"
    customer_event_record(
        customer_id=customer.pk,
        kind="consent",
        actor=actor,
        summary=f"Customer {state} consent: {consent.get_purpose_display()} by {consent.get_channel_display()}",
    )
    return consent


def consent_allows(*, customer_id: int, purpose: str, channel: str) -> bool:
    """Whether the customer has granted this purpose on this channel (no record means no)."""
    return Consent.objects.filter(
        customer_id=customer_id, purpose=purpose, channel=channel, granted=True
    ).exists()


@transaction.atomic
def record_confirm(*, actor: Any, customer_id: int, section: str) -> RecordConfirmation:
    """Confirm that a part of the record is current (the customer said so today)."""
    require_perm(actor, "customers.confirm_customer")
    customer = customer_get(user=actor, customer_id=customer_id)
    if section not in RecordConfirmation.Section.values:
        raise ValidationError({"section": f"Unknown section {section!r}."})
    confirmation = _confirm(customer, section, actor, source="confirmed")
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=customer,
        customer_id=customer.pk,
        summary=f"confirmed {confirmation.get_section_display().lower()} as current",
    )
    return confirmation


def _confirm(customer: Customer, section: str, actor: Any, *, source: str) -> RecordConfirmation:
    confirmation, _ = RecordConfirmation.objects.update_or_create(
        customer=customer,
        section=section,
        defaults={
            "confirmed_at": timezone.now(),
            "confirmed_by": actor if actor is not None and actor.is_authenticated else None,
            "source": source,
        },
    )
    return confirmation


def customer_profile_viewed(*, actor: Any, customer: Customer) -> None:
    """Every profile view is in the audit log."""
    audit_record(actor=actor, action=AuditEntry.Action.VIEW, obj=customer, customer_id=customer.pk)
