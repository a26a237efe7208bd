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
        customer_event_record(
            customer_id=case.customer_id,
            kind=f"case_{kind}",
            summary=f"{case.reference}: {summary}"[:300],
            actor=actor,
            occurred_at=moment,
            source="service",
            payload={"case_id": case.pk, "reference": case.reference, **(payload or {})},
        )
    return event


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
