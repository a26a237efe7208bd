"""Knowledge models: the category tree, articles with their versions, templates, search and
feedback logs, the resolved history (evidence) and the suggestion models trained on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from ckm.core.models import TimeStampedModel


class Category(TimeStampedModel):
    """A node of the navigation tree ("Cards / Lost and stolen")."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # the whole path, "Cards / Lost and stolen": the key imports and filters use
    path = models.CharField(max_length=400, unique=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.path

    def ancestors(self) -> list[Category]:
        """The categories from the root down to (and including) this one."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None and len(chain) < 20:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class ArticleTemplate(TimeStampedModel):
    """A template with named sections (product fact sheet, how-to, known issue, policy)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    # [{"title": "What to do", "hint": "Numbered steps"}, ...]
    sections = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(TimeStampedModel):
    """One answer, in one house style, for agents (internal) or customers (public)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class Audience(models.TextChoices):
        INTERNAL = "internal", "Internal (agents)"
        PUBLIC = "public", "Public (customers)"

    class SourceFormat(models.TextChoices):
        MARKDOWN = "md", "Markdown"
        DOCX = "docx", "Word document"
        HTML = "html", "HTML"

    external_id = models.CharField("article id", max_length=64, unique=True, null=True, blank=True)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    summary = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitised HTML in the house layout")
    body_source = models.TextField(blank=True, help_text="What the author wrote or uploaded")
    source_format = models.CharField(
        max_length=8, choices=SourceFormat.choices, default=SourceFormat.MARKDOWN
    )
    # the plain text of the body, for search and embeddings
    body_text = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    products = models.ManyToManyField("customers.Product", blank=True, related_name="articles")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    template = models.ForeignKey(
        ArticleTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_articles",
    )
    team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_at = models.DateField("next review", null=True, blank=True)
    reviewed_at = models.DateTimeField("last review", null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True, help_text="Publish at this time")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Archive at this time")
    published_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    # the vector of the whole text (the suggestions learn from it) and of the title alone (search
    # adds the two: customers' questions are short and name what a title names)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    title_embedding = models.BinaryField(null=True, blank=True, editable=False)
    # hash of the text the embedding was computed from: recompute only when it changes
    embedded_hash = models.CharField(max_length=64, blank=True, editable=False)
    version_number = models.PositiveIntegerField(default=0, editable=False)
    # a change to the published article, saved as a version and waiting for an editor: the
    # published text stays live until the revision is published
    revision_number = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "audience"], name="article_status_idx"),
            models.Index(fields=["-published_at"], name="article_published_idx"),
        ]
        permissions = [
            ("publish_article", "Can approve and publish articles"),
            ("give_feedback", "Can vote whether an article helped"),
            ("use_portal", "Can use the customer self-service portal"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.audience == self.Audience.PUBLIC

    @property
    def lead(self) -> str:
        """The summary to show above the body: none when the body opens with it (a summary
        taken from the first paragraph would be read twice)."""
        summary = " ".join(self.summary.split()).rstrip("…").strip()
        if not summary or " ".join(self.body_text.split()).startswith(summary):
            return ""
        return self.summary


class ArticleVersion(models.Model):
    """The article as it was after one save; restore copies one back. A version with status
    "revision" is a change to a published article that is not live yet."""

    REVISION = "revision"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    body_source = models.TextField(blank=True)
    source_format = models.CharField(max_length=8, default=Article.SourceFormat.MARKDOWN)
    status = models.CharField(max_length=10)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.CharField(max_length=200, blank=True)
    # a revision's other changes (category, audience, products, tags, review date), applied when
    # it is published
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"

    @property
    def status_label(self) -> str:
        """The status in words ("In review"; a revision is not live yet)."""
        if self.status == self.REVISION:
            return "Revision (not live)"
        if self.status in Article.Status.values:
            return str(Article.Status(self.status).label)
        return self.status


class SearchQuery(models.Model):
    """One search: what was asked, by whom, where, and how good the best answer was."""

    class Where(models.TextChoices):
        AGENT = "agent", "Agent search"
        PORTAL = "portal", "Portal"
        API = "api", "API"
        MESSAGE = "message", "Customer message"

    query = models.CharField(max_length=300)
    normalised = models.CharField(max_length=300, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    where = models.CharField(max_length=10, choices=Where.choices, default=Where.AGENT)
    results = models.PositiveIntegerField(default=0)
    top_score = models.FloatField(default=0.0)
    clicked_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # a hash of the portal visitor's session (never the session key itself): ties an anonymous
    # visitor's searches, clicks and message together for click-through and deflection
    session = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "search queries"

    def __str__(self) -> str:
        return self.query


class ArticleFeedback(models.Model):
    """A "did this help?" vote."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    helpful = models.BooleanField()
    comment = models.CharField(max_length=500, blank=True)
    where = models.CharField(max_length=10, default=SearchQuery.Where.AGENT)
    # an anonymous portal vote: one per session (hashed) and article
    session = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.article_id} {'yes' if self.helpful else 'no'}"


class ArticleEvidence(models.Model):
    """A customer message that an article answered: the resolved history suggestions learn from."""

    class Source(models.TextChoices):
        INTERACTION = "interaction", "Interaction"
        CASE = "case", "Case"
        IMPORT = "import", "Import"
        BENCH = "bench", "Benchmark"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="evidence")
    text = models.TextField()
    source = models.CharField(max_length=12, choices=Source.choices)
    source_id = models.CharField(max_length=64)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="article_evidence",
    )
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "source", "source_id"], name="article_evidence_unique"
            )
        ]
        verbose_name_plural = "article evidence"

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id} -> {self.article_id}"


class SuggestionModel(models.Model):
    """A trained suggestion model: the registry the suggestion engine reads the active one from."""

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING)
    n_evidence = models.PositiveIntegerField(default=0)
    n_articles = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    threshold = models.FloatField(default=0.5)
    artifact_path = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=False)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"suggestions v{self.version} ({self.status})"


class UsageSource(models.TextChoices):
    AGENT = "agent", "Agents"
    PORTAL = "portal", "Portal"


class ArticleUsageDaily(models.Model):
    """One article's use on one day, by agents or on the portal: the history behind the charts.
    `sessions` counts portal visitors who opened the article that day and `contacts` those of
    them who then sent us a message (deflection per article = 1 - contacts / sessions)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    source = models.CharField(max_length=10, choices=UsageSource.choices)
    views = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    clicks_from_search = models.PositiveIntegerField(default=0)
    sessions = models.PositiveIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "day", "source"], name="knowledge_usage_article_day_source"
            )
        ]
        indexes = [models.Index(fields=["day"], name="knowledge_usage_day_idx")]
        verbose_name_plural = "article usage (daily)"

    def __str__(self) -> str:
        return f"{self.article_id} {self.day} {self.source}"


class PortalVisit(models.Model):
    """One portal visitor session on one day (anonymous or logged in): did it search, which
    articles did it open, did it end in a message to us. Deflection = visits that searched or
    read and did not contact us, over visits that searched or read."""

    session = models.CharField(max_length=64, help_text="Hash of the session key")
    day = models.DateField(db_index=True)
    searches = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    articles = models.JSONField(default=list, blank=True)
    contacted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["session", "day"], name="knowledge_visit_session_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.session[:8]}"
