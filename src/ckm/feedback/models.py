"""Knowledge from customers, analysed: topics discovered in case texts, their weekly trends and
emerging alerts, product insights for product managers (with the customers who agreed to be
contacted), and knowledge gaps for editors. No business logic here: services write, selectors read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ckm.core.models import Job, TimeStampedModel
from ckm.customers.models import Customer, Product


class TopicRun(models.Model):
    """One run of topic discovery (a full refit) or of assigning new cases to known topics."""

    class Kind(models.TextChoices):
        DISCOVER = "discover", "Discovery"
        ASSIGN = "assign", "New cases assigned"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DISCOVER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    n_cases = models.PositiveIntegerField(default=0, help_text="Cases read")
    n_topics = models.PositiveIntegerField(default=0)
    n_other = models.PositiveIntegerField(default=0, help_text="Cases that fit no topic")
    silhouette = models.FloatField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"
        permissions = [("refresh_topics", "Can run topic discovery")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class Topic(TimeStampedModel):
    """A theme that many cases share, found by clustering their texts (not a fixed category)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"  # no longer found by the latest discovery

    label = models.CharField(max_length=200)
    label_locked = models.BooleanField(
        default=False, help_text="Named by a person: discovery keeps the name"
    )
    keywords = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(default=0, help_text="Cases assigned")
    centroid = models.BinaryField(help_text="Unit vector (float32) of the topic's centre")
    cohesion = models.FloatField(default=0, help_text="Mean similarity of its cases to the centre")
    examples = models.JSONField(default=list, blank=True, help_text="Ids of its most central cases")
    discovered_run = models.ForeignKey(
        TopicRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="topics"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )

    class Meta:
        ordering = ["-size", "label"]

    def __str__(self) -> str:
        return self.label


class CaseTopic(models.Model):
    """The topic a case belongs to, with how close it is (cosine similarity) and its embedding,
    kept so the next discovery does not read every case again."""

    case = models.OneToOneField(
        "service.Case", on_delete=models.CASCADE, related_name="topic_assignment"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    similarity = models.FloatField(default=0)
    vector = models.BinaryField()
    text_hash = models.CharField(max_length=16, help_text="Of the text embedded")
    run = models.ForeignKey(TopicRun, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["topic", "case"], name="casetopic_topic_idx")]

    def __str__(self) -> str:
        return f"case {self.case_id} → topic {self.topic_id}"


class TopicAlert(models.Model):
    """An emerging topic: its volume in a week well beyond its own trailing baseline."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISMISSED = "dismissed", "Dismissed"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="alerts")
    week = models.DateField(help_text="Monday of the ISO week")
    count = models.PositiveIntegerField()
    baseline = models.FloatField(help_text="Mean weekly cases in the trailing weeks")
    z_score = models.FloatField()
    p_value = models.FloatField(help_text="Poisson probability of at least this many cases")
    status = models.CharField(
        max_length=15, choices=Status.choices, default=Status.NEW, db_index=True
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week", "-z_score"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "week"], name="topicalert_unique_week")
        ]

    def __str__(self) -> str:
        return f"{self.topic} in week of {self.week}: {self.count} (baseline {self.baseline:.1f})"


class Insight(TimeStampedModel):
    """Something product development should know, backed by cases: from a topic or one case."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        UNDER_REVIEW = "under_review", "Under review"
        PLANNED = "planned", "Planned"
        SHIPPED = "shipped", "Shipped"
        DECLINED = "declined", "Declined"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=15, choices=Status.choices, default=Status.NEW, db_index=True
    )
    products = models.ManyToManyField(Product, blank=True, related_name="insights")
    topics = models.ManyToManyField(Topic, blank=True, related_name="insights")
    cases = models.ManyToManyField("service.Case", blank=True, related_name="insights")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    volume = models.PositiveIntegerField(
        default=0, help_text="Cases behind it: its own cases and those of its topics"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class InsightContact(TimeStampedModel):
    """A customer who raised an insight; whether they consented to be contacted for product
    development, and when they were contacted and with what outcome."""

    class Outcome(models.TextChoices):
        NOT_CONTACTED = "", "Not contacted yet"
        INTERESTED = "interested", "Interested, will take part"
        PARTICIPATED = "participated", "Took part"
        DECLINED = "declined", "Declined"
        NO_ANSWER = "no_answer", "No answer"

    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="contacts")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    consented = models.BooleanField(default=False)
    consent_channels = models.JSONField(default=list, blank=True)
    cases = models.PositiveIntegerField(default=0, help_text="Cases of this insight they raised")
    contacted_at = models.DateTimeField(null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, blank=True)
    outcome = models.CharField(max_length=15, choices=Outcome.choices, blank=True, default="")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-consented", "-cases", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["insight", "customer"], name="insightcontact_unique_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} for {self.insight_id}"


class KnowledgeGap(TimeStampedModel):
    """A topic with many cases and no article that answers them; closed by a published article,
    after which its weekly case volume before and after the publication is compared."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DRAFTED = "drafted", "Article drafted"
        CLOSED = "closed", "Closed by an article"
        DISMISSED = "dismissed", "Dismissed"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="gaps")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    cases = models.PositiveIntegerField(default=0, help_text="Cases of the topic when found")
    best_confidence = models.FloatField(
        null=True, blank=True, help_text="Best suggestion confidence on the central examples"
    )
    article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drafted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When the article was published"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    weekly_before = models.FloatField(
        null=True, blank=True, help_text="Mean weekly cases in the weeks before publication"
    )
    weekly_after = models.FloatField(
        null=True, blank=True, help_text="Mean weekly cases in the weeks after publication"
    )

    class Meta:
        ordering = ["state", "-cases"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic"],
                condition=models.Q(state__in=["open", "drafted"]),
                name="knowledgegap_one_open_per_topic",
            )
        ]

    def __str__(self) -> str:
        return f"Gap: {self.topic}"
