"""Knowledge about customers: value, CLV, model versions (the registry), scores, segments and
retention alerts. No business logic here: services.* write, selectors read."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ckm.core.models import Job, TimeStampedModel
from ckm.customers.models import Customer, Product


def default_interaction_costs() -> dict[str, float]:
    return {
        "phone": 4.0,
        "email": 2.0,
        "letter": 3.0,
        "web": 0.1,
        "chat": 1.5,
        "branch": 12.0,
        "field": 40.0,
        "sms": 0.1,
        "social": 1.0,
        "note": 0.0,
    }


def default_case_costs() -> dict[str, float]:
    return {"request": 15.0, "complaint": 45.0, "idea": 2.0}


class ValueSettings(TimeStampedModel):
    """The rates behind customer value (one row, pk=1): cost to serve per contact and per case,
    revenue per transaction kind, and the CLV horizon and discount."""

    interaction_costs = models.JSONField(
        default=default_interaction_costs, help_text="Cost of one contact per channel"
    )
    case_costs = models.JSONField(default=default_case_costs, help_text="Cost of one case per kind")
    transaction_rates = models.JSONField(
        default=dict,
        blank=True,
        help_text='Share of |amount| the firm earns per transaction kind, e.g. {"card": 0.005}',
    )
    purchase_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="Transaction kinds that count as purchases for CLV (empty: every kind)",
    )
    clv_horizon_weeks = models.PositiveIntegerField(default=52)
    discount_rate = models.FloatField(default=0.08, help_text="Annual discount rate for CLV")
    currency = models.CharField(max_length=3, default="EUR")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "value settings"

    def __str__(self) -> str:
        return "Value settings"


class CustomerValue(models.Model):
    """A customer's value as of a date: profitability, RFM and lifetime value (one row each)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="value"
    )
    as_of = models.DateField()
    balance = models.FloatField(default=0)
    revenue = models.FloatField(default=0, help_text="Annual: margins, fees, transaction income")
    cost_to_serve = models.FloatField(default=0, help_text="Annual: contacts and cases")
    profit = models.FloatField(default=0, db_index=True)
    recency_days = models.IntegerField(null=True, blank=True)
    frequency = models.IntegerField(default=0)
    monetary = models.FloatField(default=0)
    rfm = models.CharField(max_length=3, blank=True, help_text="R, F, M quintile scores (1-5)")
    expected_purchases = models.FloatField(null=True, blank=True)
    p_alive = models.FloatField(null=True, blank=True)
    clv = models.FloatField(null=True, blank=True, db_index=True)
    value_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("change_value_settings", "Can change the rates behind customer value")]

    def __str__(self) -> str:
        return f"{self.customer_id}: profit {self.profit:.0f}, CLV {self.clv or 0:.0f}"


class ModelVersion(models.Model):
    """One trained model: its data window, features, metrics and artefact. The registry."""

    class Kind(models.TextChoices):
        CHURN = "churn", "Churn risk"
        PROPENSITY = "propensity", "Propensity"
        CLV = "clv", "Lifetime value"
        SEGMENTATION = "segmentation", "Segmentation"

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=14, choices=Kind.choices)
    # one active version per slot: "churn", "propensity:<product id>", "clv", "segments"
    slot = models.CharField(max_length=100, db_index=True)
    version = models.PositiveIntegerField(default=1)
    target = models.CharField(max_length=100, blank=True, help_text="Label name or product id")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING)
    horizon_days = models.PositiveIntegerField(default=90)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True, help_text="Features cut at this date")
    features = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    n_examples = models.PositiveIntegerField(default=0)
    n_positive = models.PositiveIntegerField(default=0)
    training_seconds = models.FloatField(default=0)
    artifact = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    current_run = models.ForeignKey(
        "ScoringRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["slot", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slot", "version"], name="modelversion_slot_version"),
            models.UniqueConstraint(
                fields=["slot"],
                condition=models.Q(status="active"),
                name="modelversion_one_active_per_slot",
            ),
        ]
        permissions = [
            ("train_modelversion", "Can train models and score customers"),
            ("promote_modelversion", "Can promote and roll back model versions"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        if self.kind == self.Kind.PROPENSITY:
            return f"Propensity: {self.product.name if self.product else self.target}"
        return str(self.get_kind_display())

    @property
    def auc(self) -> float | None:
        value = self.metrics.get("auc") if isinstance(self.metrics, dict) else None
        return float(value) if value is not None else None


class ScoringRun(models.Model):
    """One scoring of a population by a model version; its scores become current when done."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="runs")
    as_of = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    n_scored = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    histogram = models.JSONField(default=list, blank=True, help_text="Share of scores in 20 bins")
    mean = models.FloatField(null=True, blank=True)
    psi = models.FloatField(null=True, blank=True, help_text="Drift against the training scores")
    psi_previous = models.FloatField(null=True, blank=True, help_text="Drift against the last run")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_version} scored {self.as_of}"


class Score(models.Model):
    """A customer's score from one scoring run, its decile (10 = highest) and top reasons.

    reasons: [[feature, value, effect], ...] in log-odds; the words come from the model
    version's feature descriptions when shown."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="scores")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="scores")
    value = models.FloatField()
    decile = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="score_run_customer")
        ]
        indexes = [
            models.Index(fields=["run", "-value"], name="score_run_value_idx"),
            models.Index(fields=["customer", "run"], name="score_customer_idx"),
        ]
        permissions = [("view_prospects", "Can see shortlists of best prospects per product")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.value:.3f} (decile {self.decile})"


class Segment(TimeStampedModel):
    """A group of customers: a saved rule (a dynamic filter) or a learned cluster."""

    class Kind(models.TextChoices):
        RULE = "rule", "Rule"
        LEARNED = "learned", "Learned cluster"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.RULE)
    description = models.CharField(max_length=500, blank=True)
    definition = models.JSONField(default=dict, blank=True, help_text="Rule: {match, conditions}")
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="segments"
    )
    cluster = models.IntegerField(null=True, blank=True)
    profile = models.JSONField(default=dict, blank=True, help_text="Learned: what sets it apart")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """Membership of a learned segment (rule segments are evaluated when read)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="segmentmember_unique")
        ]
        indexes = [models.Index(fields=["customer"], name="segmentmember_customer_idx")]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.customer_id}"


class SegmentSnapshot(models.Model):
    """A segment's size, value and risk on a day, so they can be followed over time."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    taken_on = models.DateField()
    size = models.PositiveIntegerField()
    profit_total = models.FloatField(default=0)
    clv_total = models.FloatField(default=0)
    clv_mean = models.FloatField(null=True, blank=True)
    churn_mean = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["segment", "taken_on"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "taken_on"], name="segmentsnapshot_day")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.taken_on}: {self.size}"


class AlertRule(TimeStampedModel):
    """A churn early-warning rule a manager can edit; evaluated as data arrives."""

    class Kind(models.TextChoices):
        BALANCE_DROP = "balance_drop", "Balance drops"
        PRODUCT_CLOSED = "product_closed", "Product closed"
        COMPLAINT_OPEN = "complaint_open", "Complaint left open"
        CONTACT_DROP = "contact_drop", "Contacts or logins drop"
        SCORE_THRESHOLD = "score_threshold", "Score above a threshold"
        CUSTOM = "custom", "Custom filter"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    cooldown_days = models.PositiveIntegerField(
        default=30, help_text="Do not raise the rule again for a customer within these days"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """A customer on the retention list: which rule fired, why, and who handles it."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        RESOLVED = "resolved", "Resolved"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(AlertRule, null=True, on_delete=models.SET_NULL, related_name="alerts")
    reason = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="alert_owner_idx"),
            models.Index(fields=["customer", "rule", "-raised_at"], name="alert_customer_idx"),
            models.Index(fields=["status", "-raised_at"], name="alert_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED
