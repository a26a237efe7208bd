"""Campaigns: who is targeted and why (audience, selection by a model's score, a random control
group, contact rules), the business case (expected NPV with a range, and its gate), the members
with their outcomes, and uplift models learned from past campaigns with a control group.
No business logic here: services write, selectors read."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from ckm.analytics.models import ModelVersion, Segment
from ckm.core.models import Team, TimeStampedModel
from ckm.customers.models import Customer, Product


class UpliftModel(models.Model):
    """A model of the incremental effect of a campaign on a product's conversion, learned from
    past campaigns that kept a random control group (the registry of uplift generations)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"
        FAILED = "failed", "Failed"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    method = models.CharField(max_length=60, default="class transformation + two models")
    campaigns = models.JSONField(default=list, blank=True, help_text="Ids it learned from")
    n_treated = models.PositiveIntegerField(default=0)
    n_control = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    features = models.JSONField(default=list, blank=True)
    exclude = models.JSONField(default=list, blank=True)
    artifact = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="upliftmodel_version"),
        ]

    def __str__(self) -> str:
        return f"Uplift: {self.product.name} v{self.version}"


class Campaign(TimeStampedModel):
    """One campaign: objective, product, channel, period, audience, selection, control group,
    contact rules and the business case. The plan (members and expected NPV) is built from it."""

    class Channel(models.TextChoices):
        RM_CALL = "rm_call", "Relationship-manager call"
        EMAIL = "email", "E-mail (exported list)"
        LETTER = "letter", "Letter (exported list)"
        PORTAL_BANNER = "portal_banner", "Portal banner"

    class Objective(models.TextChoices):
        CROSS_SELL = "cross_sell", "Cross-sell / up-sell"
        RETENTION = "retention", "Retention"
        ACTIVATION = "activation", "Activation"

    class Audience(models.TextChoices):
        SEGMENT = "segment", "A segment"
        RULE = "rule", "A rule"
        RETENTION = "retention", "The retention list"
        ALL = "all", "Every active customer"

    class Selection(models.TextChoices):
        ALL = "all", "Everyone in the audience"
        TOP_K = "top_k", "The top k by score"
        TOP_PCT = "top_pct", "The top % by score"
        THRESHOLD = "threshold", "Score at or above a threshold"

    class ScoreSource(models.TextChoices):
        PROPENSITY = "propensity", "Propensity to buy (the product's active model)"
        UPLIFT = "uplift", "Uplift: incremental effect of the contact"
        CHURN = "churn", "Churn risk"
        NONE = "none", "No score"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        LAUNCHED = "launched", "Launched"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=150)
    objective = models.CharField(
        max_length=12, choices=Objective.choices, default=Objective.CROSS_SELL
    )
    description = models.CharField(max_length=500, blank=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=14, choices=Channel.choices, default=Channel.RM_CALL)
    starts_on = models.DateField()
    ends_on = models.DateField()
    # audience
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.SEGMENT)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.JSONField(default=dict, blank=True, help_text="Rule: {match, conditions}")
    # selection
    selection = models.CharField(max_length=10, choices=Selection.choices, default=Selection.ALL)
    selection_value = models.FloatField(
        default=0, help_text="k, per cent, or score threshold (0..1) as the selection says"
    )
    score_source = models.CharField(
        max_length=10, choices=ScoreSource.choices, default=ScoreSource.PROPENSITY
    )
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uplift_model = models.ForeignKey(
        UpliftModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # control group
    control_share = models.FloatField(default=0.1, help_text="Share kept back at random (0..0.5)")
    stratify = models.BooleanField(
        default=True, help_text="Draw the control group within each score decile"
    )
    seed = models.PositiveIntegerField(default=42)
    # contact rules
    consent_purpose = models.CharField(max_length=20, default="marketing")
    check_consent = models.BooleanField(default=True)
    frequency_cap = models.PositiveIntegerField(
        default=2, help_text="At most this many campaign contacts per customer..."
    )
    frequency_days = models.PositiveIntegerField(default=30, help_text="...within these days")
    pool = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Team that works members without a relationship manager",
    )
    # business case
    cost_per_contact = models.FloatField(default=5.0)
    fixed_costs = models.FloatField(default=0.0)
    margin_per_month = models.FloatField(default=10.0, help_text="Margin per conversion a month")
    margin_months = models.PositiveIntegerField(default=24)
    discount_rate = models.FloatField(default=0.08, help_text="Annual")
    # the plan (filled when the target list is built)
    plan = models.JSONField(default=dict, blank=True)
    expected_conversions = models.FloatField(null=True, blank=True)
    expected_npv = models.FloatField(null=True, blank=True)
    npv_low = models.FloatField(null=True, blank=True)
    npv_high = models.FloatField(null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    # state and the gate
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("launch_campaign", "Can approve, launch and close campaigns"),
            ("override_npv", "Can launch a campaign whose expected NPV is negative"),
            ("retrain_from_responses", "Can retrain models on campaign responses"),
            ("export_campaign", "Can export e-mail and letter lists"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def first_day(self) -> dt.date:
        """The first day a contact or a response can belong to the campaign: its start, or the
        day it was launched when that came earlier."""
        if self.launched_at is None:
            return self.starts_on
        return min(self.starts_on, timezone.localtime(self.launched_at).date())

    @property
    def uses_lists(self) -> bool:
        """Whether members are worked by people (call lists) rather than sent (e-mail, letter)."""
        return self.channel == self.Channel.RM_CALL


class CampaignMember(models.Model):
    """A customer in a campaign: target (contacted) or control (held back), the score and its
    reasons at planning, who works them, and what happened."""

    class Group(models.TextChoices):
        TARGET = "target", "Target"
        CONTROL = "control", "Control"

    class Outcome(models.TextChoices):
        NONE = "", "Open"
        REACHED = "reached", "Reached"
        NOT_REACHED = "not_reached", "Not reached"
        INTERESTED = "interested", "Interested"
        CONVERTED = "converted", "Converted"
        DECLINED = "declined", "Declined"

    class Source(models.TextChoices):
        UI = "ui", "Recorded on the list"
        API = "api", "API"
        IMPORT = "import", "Import"
        DETECTED = "detected", "Detected from holdings"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=7, choices=Group.choices)
    score = models.FloatField(null=True, blank=True)
    stratum = models.PositiveSmallIntegerField(default=0, help_text="Score decile (10 = highest)")
    score_factors = models.JSONField(default=list, blank=True)
    segment_names = models.JSONField(default=list, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pool = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contacted_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=11, choices=Outcome.choices, default="", blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=Source.choices, blank=True)
    responded = models.BooleanField(default=False)
    converted = models.BooleanField(default=False)
    converted_at = models.DateField(null=True, blank=True)
    label_at = models.DateTimeField(
        null=True, blank=True, help_text="When the outcome became a training label"
    )
    learned_by = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The first model version trained with this outcome",
    )

    class Meta:
        ordering = ["campaign", "-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="member_unique"),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "outcome"], name="member_assigned_idx"),
            models.Index(fields=["customer", "contacted_at"], name="member_contact_idx"),
            models.Index(fields=["campaign", "group"], name="member_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id} ({self.group})"
