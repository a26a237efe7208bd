"""Knowledge from customers: cases (service requests, complaints, ideas) from every channel, their
messages and history, queues, SLA policies on business calendars, reply templates and the case
classifier's registry. No business logic here: services write, selectors read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ckm.core.models import Job, Office, Team, TimeStampedModel
from ckm.customers.models import Customer, Product


class CaseKind(models.TextChoices):
    REQUEST = "request", "Service request"
    COMPLAINT = "complaint", "Complaint"
    IDEA = "idea", "Idea or suggestion"


class CaseChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Letter"
    PORTAL = "portal", "Portal form"
    CHAT = "chat", "Chat"
    BRANCH = "branch", "Branch visit"
    API = "api", "API"
    IMPORT = "import", "Import"


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    CaseStatus.RECEIVED,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_PROGRESS,
)


class CasePriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class BusinessCalendar(TimeStampedModel):
    """Opening hours per weekday and holidays: the clock SLA timers run on."""

    name = models.CharField(max_length=120, unique=True)
    # {"0": [["09:00", "17:00"]], ..., "6": []}: Monday is "0"; several spans a day allowed
    hours = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=60, default="Europe/Berlin")
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_calendar_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(TimeStampedModel):
    """Targets for first response and resolution, in business hours, per case kind and priority.
    An empty kind or priority matches any; the most specific active policy wins."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=CaseKind.choices, blank=True)
    priority = models.CharField(max_length=10, choices=CasePriority.choices, blank=True)
    first_response_hours = models.FloatField(default=8)
    resolution_hours = models.FloatField(default=40)
    warn_at_percent = models.PositiveSmallIntegerField(
        default=80, help_text="Warn when this share of the time has passed"
    )
    escalate_at_percent = models.PositiveSmallIntegerField(
        default=95, help_text="Escalate when this share of a target has passed (100: at breach)"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who is told before a breach (default: the queue's team manager)",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class Queue(TimeStampedModel):
    """Where cases wait for an agent. Routing rules: products, offices, case kinds and the
    categories (skills) the queue handles; an empty rule matches anything."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin"
        LEAST_LOADED = "least_loaded", "Least loaded"

    name = models.CharField(max_length=120, unique=True)
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    product_families = models.JSONField(default=list, blank=True)
    offices = models.ManyToManyField(Office, blank=True, related_name="+")
    kinds = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True, help_text="Skills: issue categories")
    strategy = models.CharField(
        max_length=14, choices=Strategy.choices, default=Strategy.LEAST_LOADED
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="QueueMember", blank=True, related_name="case_queues"
    )
    rank = models.PositiveSmallIntegerField(default=100, help_text="Lower is tried first")
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["rank", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def rules_in_words(self) -> list[str]:
        """The kind and product-family rules as people say them ("Complaint", "current account")."""
        kinds = [CaseKind(k).label if k in CaseKind.values else str(k) for k in self.kinds]
        families = [str(f).replace("_", " ") for f in self.product_families]
        return [
            *([f"Kinds: {', '.join(kinds)}."] if kinds else []),
            *([f"Product families: {', '.join(families)}."] if families else []),
        ]


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    skills = models.JSONField(default=list, blank=True, help_text="Categories; empty: all")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["queue", "user"]
        constraints = [models.UniqueConstraint(fields=["queue", "user"], name="queuemember_unique")]

    def __str__(self) -> str:
        return f"{self.queue} · {self.user}"


class ClassifierModel(models.Model):
    """One trained case classifier (product and issue category): the registry."""

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    version = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING)
    active = models.BooleanField(default=False)
    artifact = models.CharField(max_length=200, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    n_examples = models.PositiveIntegerField(default=0)
    training_seconds = models.FloatField(default=0)
    trained_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("train_classifiermodel", "Can train and activate the case classifier")]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="classifier_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.version


class Case(TimeStampedModel):
    """A service request, complaint or idea from any channel and office."""

    kind = models.CharField(max_length=10, choices=CaseKind.choices, default=CaseKind.REQUEST)
    channel = models.CharField(max_length=10, choices=CaseChannel.choices)
    office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    # who wrote when no customer matched: kept so the case can be linked later
    sender_name = models.CharField(max_length=200, blank=True)
    sender_email = models.EmailField(blank=True)
    sender_phone = models.CharField(max_length=40, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=CaseStatus.choices, default=CaseStatus.RECEIVED, db_index=True
    )
    priority = models.CharField(
        max_length=8, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    first_response_warned = models.BooleanField(default=False)
    resolution_warned = models.BooleanField(default=False)
    escalated = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    category = models.CharField(max_length=120, blank=True, db_index=True, help_text="Issue")
    resolution = models.TextField(blank=True)
    # the classifier's suggestion on arrival, kept next to what the agent decided
    suggested_product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_product_confidence = models.FloatField(null=True, blank=True)
    suggested_category = models.CharField(max_length=120, blank=True)
    suggested_category_confidence = models.FloatField(null=True, blank=True)
    classifier_version = models.CharField(max_length=40, blank=True)
    product_corrected = models.BooleanField(default=False)
    category_corrected = models.BooleanField(default=False)
    satisfaction_score = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.CharField(max_length=500, blank=True)
    satisfaction_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    opened_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    # the last reopen: the resolution target runs again from here
    reopened_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        permissions = [("view_all_cases", "Can see every case, whoever's customer")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="case_channel_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "-opened_at"], name="case_customer_idx"),
            models.Index(fields=["status", "queue"], name="case_status_queue_idx"),
            models.Index(fields=["assignee", "status"], name="case_assignee_idx"),
            models.Index(fields=["product", "-opened_at"], name="case_product_idx"),
            models.Index(fields=["office", "-opened_at"], name="case_office_idx"),
            # the desk dashboard's closes and satisfaction answers of a period
            models.Index(fields=["closed_at"], name="case_closed_idx"),
            models.Index(fields=["satisfaction_at"], name="case_satisfaction_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"C-{self.pk:06d}" if self.pk else "C-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def contact_label(self) -> str:
        if self.customer_id and self.customer is not None:
            return self.customer.display_name
        return self.sender_name or self.sender_email or self.sender_phone or "Unknown contact"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:case_detail", args=[self.pk])


class CaseEvent(models.Model):
    """The case's own history: every status change, assignment, correction, SLA warning."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    summary = models.CharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class CaseMessage(models.Model):
    """A message in or out of a case: the customer's e-mail, letter, chat, or the firm's reply."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "From the customer"
        OUTBOUND = "outbound", "To the customer"
        INTERNAL = "internal", "Internal note"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=CaseChannel.choices)
    at = models.DateTimeField()
    sender = models.CharField(max_length=255, blank=True)
    recipients = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    template = models.ForeignKey(
        "ReplyTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="casemessage_message_id"
            )
        ]
        indexes = [models.Index(fields=["case", "at"], name="casemessage_case_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.direction} {self.subject}"


class ReplyTemplate(TimeStampedModel):
    """A reply in the house style with placeholders: {reference}, {name}, {subject}, {agent}."""

    class Purpose(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        ANSWER = "answer", "Answer"
        SATISFACTION = "satisfaction", "Satisfaction question"
        OTHER = "other", "Other"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.OTHER)
    kind = models.CharField(max_length=10, choices=CaseKind.choices, blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["purpose", "name"]

    def __str__(self) -> str:
        return self.name
