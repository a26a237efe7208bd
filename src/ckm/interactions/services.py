"""Writes of the contact history."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import ValidationError
from ckm.core.models import AuditEntry, Office
from ckm.core.permissions import require_perm
from ckm.customers.selectors import customer_get
from ckm.interactions.models import Channel, Direction, Interaction

LOGGED_FIELDS = ["channel", "direction", "occurred_at", "subject", "text", "outcome", "office_id"]


@transaction.atomic
def interaction_log(
    *,
    actor: Any,
    customer_id: int,
    channel: str,
    text: str,
    subject: str = "",
    direction: str = Direction.INBOUND,
    outcome: str = "",
    occurred_at: dt.datetime | None = None,
    office: Office | None = None,
    duration_seconds: int | None = None,
    external_id: str = "",
) -> Interaction:
    """Log a call, e-mail, letter, visit or note on a customer's timeline.

    `external_id` makes a retry idempotent: logging the same id twice returns the first record."""
    require_perm(actor, "interactions.add_interaction")
    customer = customer_get(user=actor, customer_id=customer_id)
    external_id = external_id.strip()  # a retry's id with a stray space is the same id
    if external_id:
        existing = Interaction.objects.filter(external_id=external_id).first()
        if existing is not None:
            if existing.customer_id != customer.pk:
                raise ValidationError(
                    {"external_id": "This id is already used for another customer."}
                )
            return existing
    if not (text.strip() or subject.strip()):
        raise ValidationError({"text": "Write what the contact was about."})
    moment = occurred_at or timezone.now()
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "A contact cannot be in the future."})
    interaction = Interaction(
        external_id=external_id or f"ckm-{secrets.token_hex(8)}",
        customer=customer,
        channel=channel,
        direction=direction,
        subject=subject.strip()[:255] or _subject_from(text),
        text=text.strip(),
        outcome=outcome.strip(),
        occurred_at=moment,
        office=office if office is not None else getattr(actor, "office", None),
        recorded_by=actor,
        duration_seconds=duration_seconds,
    )
    interaction.full_clean()
    interaction.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=interaction,
        customer_id=customer.pk,
        after=snapshot(interaction, LOGGED_FIELDS),
    )
    return interaction


def _subject_from(text: str) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return first_line[:80] + ("…" if len(first_line) > 80 else "")


CHANNELS_FOR_LOGGING = [
    Channel.PHONE,
    Channel.EMAIL,
    Channel.LETTER,
    Channel.BRANCH,
    Channel.CHAT,
    Channel.FIELD,
    Channel.NOTE,
]
