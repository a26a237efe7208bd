"""The multi-channel contact history: every call, e-mail, letter, visit, chat and note."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ckm.core.models import Office
from ckm.customers.models import Customer


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Letter"
    WEB = "web", "Web"
    CHAT = "chat", "Chat"
    BRANCH = "branch", "Branch visit"
    FIELD = "field", "Field visit"
    SMS = "sms", "SMS"
    SOCIAL = "social", "Social media"
    NOTE = "note", "Note"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    INTERNAL = "internal", "Internal"


OUTCOMES = [
    ("resolved", "Resolved"),
    ("information", "Information given"),
    ("follow_up", "Follow-up needed"),
    ("escalated", "Escalated"),
    ("sale", "Sale / offer accepted"),
    ("no_answer", "No answer"),
]
"""The outcomes an agent picks when logging a contact; imports may bring others."""


def outcome_label(code: str) -> str:
    """How an outcome reads: the label of a known one, the words of any other."""
    from ckm.core.templatetags.ckm import code_label

    return dict(OUTCOMES).get(code) or code_label(code)


class Interaction(models.Model):
    external_id = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INBOUND
    )
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL)
    subject = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    outcome = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_idx"),
            models.Index(
                fields=["customer", "channel", "-occurred_at"], name="interaction_channel_idx"
            ),
            models.Index(fields=["office", "-occurred_at"], name="interaction_office_idx"),
            models.Index(fields=["occurred_at"], name="interaction_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.get_channel_display()}: {self.subject}"
