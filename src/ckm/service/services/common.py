"""What every case write does besides the change itself: the case's own history, the customer's
timeline and the audit log, in the same transaction."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import NotFound
from ckm.core.models import AuditEntry
from ckm.customers.services import customer_event_record
from ckm.service.models import Case, CaseEvent

LOGGED_FIELDS = [
    "kind",
    "channel",
    "status",
    "priority",
    "subject",
    "customer_id",
    "product_id",
    "category",
    "queue_id",
    "assignee_id",
    "office_id",
    "first_response_due",
    "resolution_due",
    "satisfaction_score",
]

# steps of a case's own bookkeeping that stay off the customer's timeline (written with
# timeline=False); linking a case replays every other step onto the timeline
OFF_TIMELINE = frozenset(
    {"classified", "classified_by_agent", "corrected", "imported", "sla_warning"}
)


def _real_user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def case_history(
    *,
    case: Case,
    kind: str,
    summary: str,
    actor: Any = None,
    from_status: str = "",
    to_status: str = "",
    payload: dict[str, Any] | None = None,
    timeline: bool = True,
    at: Any = None,
) -> CaseEvent:
    """Write one step of a case: its own history and, when it has a customer, their timeline."""
    moment = at or timezone.now()
    event = CaseEvent.objects.create(
        case=case,
        at=moment,
        kind=kind,
        summary=summary[:300],
        actor=_real_user(actor),
        from_status=from_status,
        to_status=to_status,
        payload=payload or {},
    )
    if timeline and case.customer_id:
        case_timeline_entry(case=case, event=event)
    return event


def case_timeline_entry(*, case: Case, event: CaseEvent) -> None:
    """One step of a case on its customer's timeline."""
    assert case.customer_id is not None
    customer_event_record(
        customer_id=case.customer_id,
        kind=f"case_{event.kind}",
        summary=f"{case.reference}: {event.summary}"[:300],
        actor=event.actor,
        occurred_at=event.at,
        source="service",
        payload={"case_id": case.pk, "reference": case.reference, **(event.payload or {})},
    )


def case_audit(
    *,
    actor: Any,
    case: Case,
    action: str = AuditEntry.Action.UPDATE,
    before: dict[str, Any] | None = None,
    summary: str = "",
) -> None:
    """An audit entry for a change of a case (before/after as a diff)."""
    audit_record(
        actor=actor,
        action=action,
        obj=case,
        customer_id=case.customer_id,
        before=before,
        after=snapshot(case, LOGGED_FIELDS),
        summary=summary,
    )


def case_locked(case_id: int) -> Case:
    """The case row, locked for the rest of the transaction."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such case.")
    return case
