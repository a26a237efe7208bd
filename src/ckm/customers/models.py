"""Customers: parties, contact points, households and relationships, products, holdings,
transactions, typed attributes, personal facts, consent, freshness and the customer timeline."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from ckm.core.models import Office, Team, TimeStampedModel


class Household(TimeStampedModel):
    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name or self.external_id


BORN_EARLIEST = dt.date(1900, 1, 1)


def plausible_birth(born: dt.date) -> bool:
    """A date of birth a living customer can have: not in the future, not before 1900."""
    return BORN_EARLIEST <= born <= dt.date.today()


class Customer(TimeStampedModel):
    """A party the firm serves: a person or an organisation."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PROSPECT = "prospect", "Prospect"
        INACTIVE = "inactive", "Inactive"
        CLOSED = "closed", "Closed"

    external_id = models.CharField("customer id", max_length=64, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True, help_text="Legal name of an organisation")
    display_name = models.CharField(max_length=255)
    # normalised, unaccented, lower-case keys for prefix search ("anna schmidt", "schmidt anna")
    name_key = models.CharField(max_length=255, db_index=True)
    sort_key = models.CharField(max_length=255, db_index=True)
    date_of_birth = models.DateField(null=True, blank=True)
    customer_since = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    address = models.CharField(max_length=255, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["sort_key", "id"]
        indexes = [
            models.Index(fields=["owner", "sort_key"], name="customer_owner_idx"),
            models.Index(fields=["team", "sort_key"], name="customer_team_idx"),
            # the customer list sorted by status or city reads a page, not the whole table
            models.Index(fields=["status", "sort_key"], name="customer_status_idx"),
            models.Index(fields=["city", "sort_key"], name="customer_city_idx"),
        ]
        permissions = [
            ("reassign_customer", "Can hand a customer over to another owner"),
            ("confirm_customer", "Can confirm that a customer's record is current"),
            ("view_customer_history", "Can see the audit history of a customer record"),
            ("merge_customer", "Can merge duplicate customers"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.date_of_birth and not plausible_birth(self.date_of_birth):
            raise ValidationError({"date_of_birth": "Not a plausible date of birth."})

    @property
    def is_person(self) -> bool:
        return self.kind == self.Kind.PERSON

    @property
    def age(self) -> int | None:
        if not self.date_of_birth:
            return None
        today = dt.date.today()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ContactPoint(TimeStampedModel):
    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"
        MOBILE = "mobile", "Mobile"
        ADDRESS = "address", "Postal address"
        WEB = "web", "Web / social"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=255)
    # lower-case e-mail or digits-only phone number, for lookup and matching
    value_key = models.CharField(max_length=255, db_index=True)
    label = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-is_primary", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value_key"], name="contactpoint_unique_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class PartyRelationship(TimeStampedModel):
    """A relationship between two parties: spouse, child, director of, guarantor for, ..."""

    class Kind(models.TextChoices):
        SPOUSE = "spouse", "Spouse / partner"
        PARENT = "parent", "Parent of"
        CHILD = "child", "Child of"
        SIBLING = "sibling", "Sibling"
        DIRECTOR = "director", "Director of"
        EMPLOYEE = "employee", "Employee of"
        OWNER = "owner", "Owner of"
        GUARANTOR = "guarantor", "Guarantor for"
        OTHER = "other", "Related to"

    from_customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="relationships"
    )
    to_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_customer", "to_customer", "kind"], name="relationship_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_customer} {self.get_kind_display()} {self.to_customer}"


class Product(TimeStampedModel):
    external_id = models.CharField("product id", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=60, db_index=True)
    margin = models.FloatField(
        null=True, blank=True, help_text="Annual margin as a fraction of the balance"
    )
    fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family", "name"]

    def __str__(self) -> str:
        return self.name


class Holding(TimeStampedModel):
    """A product a customer holds (an account, a card, a loan, a policy)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DORMANT = "dormant", "Dormant"
        CLOSED = "closed", "Closed"

    external_id = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="holdings")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="holdings")
    opened = models.DateField()
    closed = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    balance = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["status", "-opened"]
        indexes = [models.Index(fields=["customer", "status"], name="holding_customer_idx")]

    def __str__(self) -> str:
        return f"{self.product} ({self.get_status_display()})"


class Transaction(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="transactions")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT)
    booked_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    kind = models.CharField(max_length=30)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-booked_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-booked_at"], name="transaction_customer_idx"),
            models.Index(fields=["booked_at"], name="transaction_booked_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.booked_at:%Y-%m-%d} {self.kind} {self.amount}"


class AttributeDefinition(TimeStampedModel):
    """A typed customer attribute that came from a package column (or was defined by hand)."""

    name = models.SlugField(max_length=80, unique=True)
    type = models.CharField(max_length=10)
    label = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name


class PersonalFact(TimeStampedModel):
    """What a good relationship manager remembers: anniversaries, family names, preferences."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", "Birthday"
        ANNIVERSARY = "anniversary", "Anniversary"
        FAMILY = "family", "Family"
        PREFERENCE = "preference", "Preference"
        INTEREST = "interest", "Interest"
        LIFE_EVENT = "life_event", "Life event"
        NOTE = "note", "Note"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="personal_facts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    label = models.CharField(max_length=120)
    value = models.CharField(max_length=300, blank=True)
    date = models.DateField(null=True, blank=True)
    recurring = models.BooleanField(default=False, help_text="Comes back every year")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "label"]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"

    def next_date(self, today: dt.date) -> dt.date | None:
        """The next time this date comes up (this year or next, for recurring facts)."""
        if self.date is None:
            return None
        if not self.recurring:
            return self.date if self.date >= today else None
        for year in (today.year, today.year + 1):
            try:
                candidate = self.date.replace(year=year)
            except ValueError:  # 29 February
                candidate = dt.date(year, 3, 1)
            if candidate >= today:
                return candidate
        return None


class Consent(TimeStampedModel):
    """Whether the customer agrees to be contacted for a purpose through a channel."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", "Marketing offers"
        SERVICE = "service", "Service updates"
        PROFILING = "profiling", "Profiling and scoring"
        RESEARCH = "research", "Surveys and research"
        PRODUCT_FEEDBACK = "product_feedback", "Product development contact"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"
        SMS = "sms", "SMS"
        LETTER = "letter", "Letter"
        PORTAL = "portal", "Portal"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["purpose", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "purpose", "channel"], name="consent_unique_purpose_channel"
            )
        ]

    def __str__(self) -> str:
        state = "granted" if self.granted else "withdrawn"
        return f"{self.get_purpose_display()} by {self.get_channel_display()}: {state}"


class Label(models.Model):
    """An observed outcome for a customer (churned, responded, ...) used to train and evaluate."""

    external_id = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=60, db_index=True)
    value = models.CharField(max_length=100)
    value_number = models.FloatField(null=True, blank=True)
    as_of = models.DateField()

    class Meta:
        ordering = ["name", "-as_of"]
        indexes = [models.Index(fields=["name", "as_of"], name="label_name_idx")]

    def __str__(self) -> str:
        return f"{self.name}={self.value} ({self.as_of})"


class RecordConfirmation(models.Model):
    """When a part of the customer record was last confirmed as current, and by whom."""

    class Section(models.TextChoices):
        IDENTITY = "identity", "Identity and address"
        CONTACT = "contact", "Contact points"
        PERSONAL = "personal", "Personal facts"
        CONSENT = "consent", "Consent"
        HOLDINGS = "holdings", "Products and holdings"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="confirmations")
    section = models.CharField(max_length=10, choices=Section.choices)
    confirmed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "section"], name="confirmation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.section} {self.confirmed_at:%Y-%m-%d}"


class CustomerEvent(models.Model):
    """An entry on the customer's timeline written by the system (not a contact): owner changed,
    facts updated, case opened, campaign contact, ... Apps write them through customer_event_record."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=30, default="customers")
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="event_customer_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind}"


class DuplicatePair(TimeStampedModel):
    """Two customer records that are probably the same party, found by record linkage
    (customers.linkage) and waiting for a person's decision: merge them, or dismiss the pair so
    that it is not proposed again."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Not the same"

    # the lower id is always `customer`
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    weight = models.FloatField(default=0.0)
    evidence = models.JSONField(default=dict, blank=True)  # field -> agreement in words
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "other"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(customer__lt=models.F("other")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["status", "-probability"], name="duplicate_status_idx")]
        verbose_name = "possible duplicate"

    def __str__(self) -> str:
        return f"{self.customer_id} ~ {self.other_id} ({self.probability:.0%})"

    @property
    def evidence_shown(self) -> list[tuple[str, str]]:
        """What the two records share, as (field, agreement) words; missing fields left out."""
        labels = dict(_EVIDENCE_LABELS)
        if self.customer.kind == Customer.Kind.ORGANISATION:
            labels["last_name"] = "Name"
        return [
            (labels.get(name, name), word)
            for name, word in self.evidence.items()
            if word != "missing"
        ]


_EVIDENCE_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "email": "E-mail",
    "phone": "Phone",
    "address": "Address",
}


class MergedRecord(TimeStampedModel):
    """A customer record merged into another: the survivor answers for its id and external id
    from then on (old links and later imports find the survivor), and its identity as it was
    stays here."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merged_records")
    former_id = models.BigIntegerField(unique=True)
    external_id = models.CharField("customer id", max_length=64, unique=True)
    display_name = models.CharField(max_length=255)
    identity = models.JSONField(default=dict, blank=True)
    # the survivor's identity just before the merge: with `identity`, a pair known to be one
    # customer, from which the duplicate search learns how this firm's duplicates differ
    kept_identity = models.JSONField(default=dict, blank=True)
    # what the merge moved and left out, so that a retried merge answers the same
    moved = models.JSONField(default=dict, blank=True)
    dropped = models.JSONField(default=list, blank=True)
    take = models.JSONField(default=dict, blank=True)  # whose values each field group kept
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.external_id} → {self.customer_id}"
