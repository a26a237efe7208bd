"""Core models: the organisation (offices, teams, users with roles), the audit log, background
jobs, API tokens and import runs. Every other app may use these; core imports nothing of ours."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    AGENT = "agent", "Contact-centre agent"
    RELATIONSHIP_MANAGER = "relationship_manager", "Relationship manager"
    MARKETER = "marketer", "Marketer"
    KNOWLEDGE_EDITOR = "knowledge_editor", "Knowledge editor"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Administrator"


class Office(TimeStampedModel):
    """A place customers are served from: a branch, a contact centre, a back office."""

    class Kind(models.TextChoices):
        BRANCH = "branch", "Branch"
        CONTACT_CENTRE = "contact_centre", "Contact centre"
        BACK_OFFICE = "back_office", "Back office"
        ONLINE = "online", "Online"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    city = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(TimeStampedModel):
    name = models.CharField(max_length=120, unique=True)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL)
    manager = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.AGENT)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class AuditEntry(models.Model):
    """Who did what, when, to which record, with the values before and after."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        VIEW = "view", "Viewed"
        MERGE = "merge", "Merged"
        IMPORT = "import", "Imported"
        EXPORT = "export", "Exported"
        LOGIN = "login", "Logged in"
        LOGOUT = "logout", "Logged out"
        LOGIN_FAILED = "login_failed", "Failed login"
        PERMISSION_DENIED = "denied", "Access denied"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    # the customer the entry concerns, so the record's own history is one index lookup
    customer_ref = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["customer_ref", "-at"], name="audit_customer_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"


class Job(models.Model):
    """A piece of background work with progress that pages and the CLI can follow."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class ApiToken(models.Model):
    """A personal API token. Only a hash is stored; the token is shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ImportRun(models.Model):
    """One load of a customer data package, with a report per file."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Some files rejected"
        FAILED = "failed", "Failed"

    package_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=500)
    as_of = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    job = models.OneToOneField(Job, null=True, blank=True, on_delete=models.SET_NULL)
    files = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    issue_count = models.IntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} {self.package_name}"


class ImportIssue(models.Model):
    """One problem found in an imported file: the line, column, value and reason."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    file = models.CharField(max_length=60)
    line = models.IntegerField()
    column = models.CharField(max_length=80, blank=True)
    value = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["run", "file", "line", "id"]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.column} {self.reason}"
