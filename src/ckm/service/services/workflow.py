"""The complaint and service workflow: received → acknowledged → assigned → in progress →
resolved → answered → closed, with reopen; assignment, replies, satisfaction after close and the
agent's correction of the suggested classification (which becomes training data)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.core.audit import audit_record, snapshot
from ckm.core.errors import ConflictError, DomainError, NotFound, ValidationError, indefinite
from ckm.core.models import AuditEntry, User
from ckm.core.permissions import require_perm
from ckm.customers.models import Product
from ckm.service.models import Case, CaseKind, CasePriority, CaseStatus, Queue, ReplyTemplate
from ckm.service.services.common import LOGGED_FIELDS, case_audit, case_history, case_locked
from ckm.service.services.replies import (
    message_send,
    render,
    reply_plain,
    reply_text,
    template_for,
)
from ckm.service.services.routing import assignee_for
from ckm.service.services.timers import resolution_restart

S = CaseStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED),
    S.ACKNOWLEDGED: (S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED),
    S.ASSIGNED: (S.IN_PROGRESS, S.RESOLVED, S.CLOSED),
    S.IN_PROGRESS: (S.RESOLVED, S.ASSIGNED),
    S.RESOLVED: (S.ANSWERED, S.CLOSED, S.IN_PROGRESS),
    S.ANSWERED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (),
}
# the buttons a case shows, in the order of the flow
ACTION_LABELS: dict[str, str] = {
    S.ACKNOWLEDGED: "Acknowledge",
    S.ASSIGNED: "Assign",
    S.IN_PROGRESS: "Start work",
    S.RESOLVED: "Resolve",
    S.ANSWERED: "Answer customer",
    S.CLOSED: "Close",
}


def allowed_transitions(case: Case) -> list[str]:
    """Where the case may go next (reopen is separate)."""
    return list(TRANSITIONS.get(case.status, ()))


def _check(actor: Any, case: Case) -> None:
    require_perm(actor, "service.change_case")
    from ckm.service.selectors import case_get

    case_get(user=actor, case_id=case.pk)  # record-level access


@transaction.atomic
def case_transition(
    *,
    actor: Any,
    case_id: int,
    to_status: str,
    note: str = "",
    resolution: str = "",
    answer: str = "",
    template_id: int | None = None,
) -> Case:
    """Move a case one step. Resolving needs a resolution; answering sends the answer to the
    customer (from a template or text); closing asks the satisfaction question."""
    case = case_locked(case_id)
    _check(actor, case)
    if to_status not in TRANSITIONS:
        raise ValidationError({"to_status": f"Unknown status {to_status!r}."})
    if to_status not in TRANSITIONS[case.status]:
        raise ConflictError(
            f"{indefinite(case.get_status_display().lower() + ' case')} cannot become "
            f"{CaseStatus(to_status).label.lower()}.",
            field="to_status",
        )
    before = snapshot(case, LOGGED_FIELDS)
    now = timezone.now()
    from_status = case.status
    fields = ["status", "updated_at"]
    summary = f"{CaseStatus(from_status).label} → {CaseStatus(to_status).label}"
    if to_status == S.ACKNOWLEDGED:
        template = template_for(ReplyTemplate.Purpose.ACKNOWLEDGEMENT, case.kind)
        if template is not None:
            message_send(
                case=case,
                subject=render(template.subject, case, actor),
                body=render(template.body, case, actor, markdown=True),
                actor=actor,
                template=template,
            )
    if to_status == S.ASSIGNED and case.assignee_id is None:
        case.assignee = actor
        fields.append("assignee")
        summary += f", assigned to {actor}"
    if to_status == S.IN_PROGRESS:
        if case.assignee_id is None:
            case.assignee = actor
            fields.append("assignee")
        if case.first_response_at is None:
            case.first_response_at = now
            fields.append("first_response_at")
    if to_status == S.RESOLVED:
        text = (resolution or case.resolution).strip()
        if not text:
            raise ValidationError({"resolution": "Say how the case was resolved."})
        case.resolution = text
        case.resolved_at = now
        fields += ["resolution", "resolved_at"]
        if case.first_response_at is None:
            case.first_response_at = now
            fields.append("first_response_at")
    if to_status == S.ANSWERED:
        template = (
            ReplyTemplate.objects.filter(pk=template_id, active=True).first()
            if template_id
            else None
        )
        if template is None and not answer.strip():
            template = template_for(ReplyTemplate.Purpose.ANSWER, case.kind)
        body = reply_text(case=case, template=template, body=answer, actor=actor)
        subject = render(template.subject, case, actor) if template else f"Re: {case.subject}"
        message_send(case=case, subject=subject, body=body, actor=actor, template=template)
    if to_status == S.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
        if case.resolved_at is None:
            case.resolved_at = now
            fields.append("resolved_at")
    case.status = to_status
    case.save(update_fields=list(dict.fromkeys(fields)))
    case_history(
        case=case,
        kind="status",
        summary=summary + (f": {note.strip()}" if note.strip() else ""),
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        payload={"note": note.strip()} if note.strip() else {},
    )
    if to_status == S.CLOSED:
        _ask_satisfaction(case, actor)
        _close_hooks(case, actor)
    case_audit(actor=actor, case=case, before=before, summary=summary)
    return case


def _ask_satisfaction(case: Case, actor: Any) -> None:
    template = template_for(ReplyTemplate.Purpose.SATISFACTION, case.kind)
    if template is None:
        return
    message_send(
        case=case,
        subject=render(template.subject, case, actor),
        body=render(template.body, case, actor, markdown=True),
        actor=actor,
        template=template,
    )
    case_history(case=case, kind="satisfaction_asked", summary="Satisfaction question sent")


def _close_hooks(case: Case, actor: Any) -> None:
    """A closed case may teach the classifier: nothing to do now, the schedule retrains."""


def reopen_locked(case: Case, *, actor: Any, reason: str = "") -> Case:
    """Reopen a resolved, answered or closed case (the row is locked by the caller)."""
    if case.status not in (S.RESOLVED, S.ANSWERED, S.CLOSED):
        raise ConflictError("Only a resolved, answered or closed case can be reopened.")
    before_status = case.status
    now = timezone.now()
    case.status = S.IN_PROGRESS if case.assignee_id else S.RECEIVED
    case.closed_at = None
    case.resolved_at = None
    case.reopened_count += 1
    case.reopened_at = now
    case.escalated = False
    case.resolution_warned = False
    # the reopened work gets its own resolution target: a case resolved in time is not late the
    # moment the customer writes back after its first target passed
    resolution_restart(case, now=now)
    case.save(
        update_fields=[
            "status",
            "closed_at",
            "resolved_at",
            "reopened_count",
            "reopened_at",
            "resolution_due",
            "escalated",
            "resolution_warned",
            "updated_at",
        ]
    )
    target = (
        f" · resolve by {timezone.localtime(case.resolution_due):%Y-%m-%d %H:%M}"
        if case.resolution_due
        else ""
    )
    case_history(
        case=case,
        kind="reopened",
        summary="Reopened" + (f": {reason}" if reason else "") + target,
        actor=actor,
        from_status=before_status,
        to_status=case.status,
    )
    return case


@transaction.atomic
def case_reopen(*, actor: Any, case_id: int, reason: str = "") -> Case:
    """Reopen a case: the customer is not satisfied or the problem came back."""
    case = case_locked(case_id)
    _check(actor, case)
    before = snapshot(case, LOGGED_FIELDS)
    reopen_locked(case, actor=actor, reason=reason.strip())
    case_audit(actor=actor, case=case, before=before, summary="Case reopened")
    return case


@transaction.atomic
def case_assign(
    *, actor: Any, case_id: int, assignee_id: int | None = None, queue_id: int | None = None
) -> Case:
    """Give a case to an agent or move it to another queue (then the queue's strategy picks)."""
    case = case_locked(case_id)
    _check(actor, case)
    if not case.is_open:
        raise ConflictError("Only an open case can be assigned.")
    before = snapshot(case, LOGGED_FIELDS)
    parts = []
    if queue_id is not None:
        queue = Queue.objects.filter(pk=queue_id, active=True).first()
        if queue is None:
            raise ValidationError({"queue_id": "No such queue."})
        case.queue, case.team = queue, queue.team
        parts.append(f"moved to {queue.name}")
        if assignee_id is None:
            picked = assignee_for(queue, case)
            assignee_id = picked.pk if picked else None
            if picked is not None:
                queue.last_assigned = picked
                queue.save(update_fields=["last_assigned"])
    if assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not assignee.has_perm("service.change_case"):
            raise ValidationError({"assignee_id": "No such agent."})
        case.assignee = assignee
        parts.append(f"assigned to {assignee}")
    from_status = case.status
    if case.assignee_id and case.status in (S.RECEIVED, S.ACKNOWLEDGED):
        case.status = S.ASSIGNED
    case.save(update_fields=["queue", "team", "assignee", "status", "updated_at"])
    summary = ", ".join(parts).capitalize() or "Unchanged"
    case_history(
        case=case,
        kind="assigned",
        summary=summary,
        actor=actor,
        from_status=from_status,
        to_status=case.status,
    )
    case_audit(actor=actor, case=case, before=before, summary=summary)
    return case


@transaction.atomic
def case_reply(
    *,
    actor: Any,
    case_id: int,
    body: str = "",
    template_id: int | None = None,
    internal: bool = False,
) -> Case:
    """Write to the customer (or an internal note); the first reply meets the first-response
    target and starts the work on a waiting case."""
    case = case_locked(case_id)
    _check(actor, case)
    before = snapshot(case, LOGGED_FIELDS)
    template = (
        ReplyTemplate.objects.filter(pk=template_id, active=True).first() if template_id else None
    )
    if template_id and template is None:
        raise ValidationError({"template_id": "No such template."})
    text = reply_text(case=case, template=template, body=body, actor=actor)
    subject = render(template.subject, case, actor) if template else f"Re: {case.subject}"
    message = message_send(
        case=case, subject=subject, body=text, actor=actor, template=template, internal=internal
    )
    fields = ["updated_at"]
    if not internal and case.first_response_at is None:
        case.first_response_at = message.at
        fields.append("first_response_at")
    if not internal and case.status in (S.RECEIVED, S.ACKNOWLEDGED, S.ASSIGNED):
        from_status = case.status
        case.status = S.IN_PROGRESS
        if case.assignee_id is None:
            case.assignee = actor
            fields.append("assignee")
        fields.append("status")
        case_history(
            case=case,
            kind="status",
            summary=f"{CaseStatus(from_status).label} → In progress (replied)",
            actor=actor,
            from_status=from_status,
            to_status=case.status,
        )
    case.save(update_fields=fields)
    case_history(
        case=case,
        kind="note" if internal else "reply",
        # the reply as the customer reads it (no Markdown markers); a note as the agent wrote it
        summary=(
            "Internal note: " + text[:200] if internal else "Reply sent: " + reply_plain(text)[:200]
        ),
        actor=actor,
        timeline=not internal,
    )
    case_audit(
        actor=actor,
        case=case,
        before=before,
        summary=(
            f"internal note on {case.reference}"
            if internal
            else f"reply to the customer on {case.reference}: {subject}"
        ),
    )
    return case


@transaction.atomic
def case_satisfaction_record(
    *, case_id: int, score: int, comment: str = "", actor: Any = None
) -> Case:
    """The customer's answer to the satisfaction question (1 = very unhappy … 5 = very happy),
    recorded by an agent or from the customer's reply; only after close."""
    case = case_locked(case_id)
    if actor is not None:
        _check(actor, case)
    if case.status != S.CLOSED:
        raise ConflictError("Satisfaction is asked after the case is closed.")
    if not 1 <= int(score) <= 5:
        raise ValidationError({"score": "Give a score from 1 to 5."})
    before = snapshot(case, LOGGED_FIELDS)
    case.satisfaction_score = int(score)
    case.satisfaction_comment = comment.strip()[:500]
    case.satisfaction_at = timezone.now()
    case.save(
        update_fields=[
            "satisfaction_score",
            "satisfaction_comment",
            "satisfaction_at",
            "updated_at",
        ]
    )
    case_history(
        case=case,
        kind="satisfaction",
        summary=f"Satisfaction {score}/5" + (f": {comment.strip()}" if comment.strip() else ""),
        actor=actor,
    )
    case_audit(actor=actor, case=case, before=before, summary="Satisfaction recorded")
    return case


@transaction.atomic
def case_correct(
    *,
    actor: Any,
    case_id: int,
    product_id: int | None = None,
    category: str | None = None,
    kind: str | None = None,
    priority: str | None = None,
) -> Case:
    """The agent decides product, issue category, kind or priority. A decision that differs
    from the classifier's suggestion is flagged as a correction: training data for the next
    version."""
    case = case_locked(case_id)
    _check(actor, case)
    before = snapshot(case, LOGGED_FIELDS)
    fields = ["updated_at"]
    parts = []
    if product_id is not None:
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise ValidationError({"product_id": "No such product."})
        case.product = product
        case.product_corrected = bool(
            case.classifier_version and case.suggested_product_id != product.pk
        )
        fields += ["product", "product_corrected"]
        parts.append(f"product {product.name}")
    if category is not None:
        value = category.strip()[:120]
        if not value:
            raise ValidationError({"category": "Name the issue category."})
        case.category = value
        case.category_corrected = bool(case.classifier_version and case.suggested_category != value)
        fields += ["category", "category_corrected"]
        parts.append(f"issue {value}")
    if kind is not None:
        if kind not in CaseKind.values:
            raise ValidationError({"kind": "Unknown kind."})
        case.kind = kind
        fields.append("kind")
        parts.append(f"kind {CaseKind(kind).label}")
    if priority is not None:
        if priority not in CasePriority.values:
            raise ValidationError({"priority": "Unknown priority."})
        case.priority = priority
        fields.append("priority")
        parts.append(f"priority {CasePriority(priority).label}")
    if not parts:
        raise DomainError("Nothing to change.")
    case.save(update_fields=fields)
    corrected = (product_id is not None and case.product_corrected) or (
        category is not None and case.category_corrected
    )
    summary = ("Corrected " if corrected else "Set ") + ", ".join(parts)
    case_history(
        case=case,
        kind="corrected" if corrected else "classified_by_agent",
        summary=summary,
        actor=actor,
        payload={
            "suggested_product": case.suggested_product_id,
            "suggested_category": case.suggested_category,
        },
        timeline=False,
    )
    case_audit(actor=actor, case=case, before=before, summary=summary)
    return case


@transaction.atomic
def case_classify(*, actor: Any, case_id: int) -> Case:
    """Ask the active classifier again (after a retrain, or for an imported case)."""
    from ckm.service.services.classify import apply_prediction, predict_cases

    case = case_locked(case_id)
    _check(actor, case)
    result = predict_cases([case])
    if result is None:
        raise NotFound("No classifier is trained yet.")
    row, predictions = result
    guessed = ["suggested_product_id", "suggested_category", "classifier_version"]
    before = snapshot(case, guessed)
    fields = apply_prediction(case, row, predictions[0])
    case.save(update_fields=[*fields, "updated_at"])
    case_history(
        case=case,
        kind="classified",
        summary=f"Classified again by {row.version}",
        actor=actor,
        timeline=False,
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=case,
        customer_id=case.customer_id,
        before=before,
        after=snapshot(case, guessed),
        summary=f"classified again by {row.version}",
    )
    return case
