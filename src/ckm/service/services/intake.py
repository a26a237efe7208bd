"""Cases arrive: from the phone (an agent logs it), e-mail, letters, the portal form, chat
transcripts, branch visits, the API and imports. One intake for all of them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ckm.core.audit import snapshot
from ckm.core.errors import (
    ConflictError,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from ckm.core.models import AuditEntry, Office
from ckm.core.permissions import require_perm
from ckm.customers.models import Customer, Product
from ckm.customers.selectors import customer_get, customer_match, customer_queryset
from ckm.service.models import (
    Case,
    CaseChannel,
    CaseKind,
    CaseMessage,
    CasePriority,
    CaseStatus,
    ReplyTemplate,
)
from ckm.service.services.common import (
    LOGGED_FIELDS,
    OFF_TIMELINE,
    case_audit,
    case_history,
    case_locked,
    case_timeline_entry,
)
from ckm.service.services.replies import acknowledge
from ckm.service.services.routing import assignee_for, queue_for
from ckm.service.services.timers import sla_start
from ckm.service.subjects import subject_from_text

MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def _clean(text: str) -> str:
    import nh3

    # the body is shown as text; strip any markup a sender put in (and script payloads)
    return nh3.clean(text or "", tags=set()).replace("&amp;", "&").strip()


def message_ids(value: str) -> list[str]:
    """The <...> ids in a Message-ID, In-Reply-To or References header value."""
    return MESSAGE_ID.findall(value or "")


def thread_case(*, in_reply_to: str = "", references: str = "") -> Case | None:
    """The case an e-mail reply belongs to, by In-Reply-To then References (newest first)."""
    ids = message_ids(in_reply_to) + list(reversed(message_ids(references)))
    for mid in ids:
        message = CaseMessage.objects.filter(message_id=mid).select_related("case").first()
        if message is not None:
            return message.case
        case = Case.objects.filter(message_id=mid).first()
        if case is not None:
            return case
    return None


def _match_customer(
    *,
    customer: Customer | None,
    customer_external_id: str,
    email: str,
    phone: str,
    actor: Any = None,
) -> Customer | None:
    """The case's customer. A person opening a case reaches only the customers they may work
    on: a customer outside their scope reads as no customer (the same answer as an id that does
    not exist, so the answer tells nothing), and a sender who matches one stays an unknown
    contact for someone who may see them to link. Channels without a person (the mailbox, the
    portal) match across all customers."""
    if customer is not None:
        return customer
    visible = customer_queryset(user=actor) if actor is not None else Customer.objects.all()
    if customer_external_id:
        found = visible.filter(external_id=customer_external_id).first()
        if found is None:
            # a named customer who does not exist is a mistake, not an unknown contact
            raise ValidationError(
                {
                    "customer_external_id": f"No customer with the id {customer_external_id!r}"
                    + (" among the customers you work on." if actor is not None else ".")
                }
            )
        return found
    ids = customer_match(email=email, phone=phone)
    # two customers share the address or number: keep it unknown rather than guess
    return visible.filter(pk=ids[0]).first() if len(ids) == 1 else None


def case_visible(actor: Any, case: Case) -> bool:
    """Whether this person may see the case (a retried intake returns it only then)."""
    from ckm.service.selectors import case_queryset

    if not getattr(actor, "is_authenticated", False):
        return True  # the mailbox and the portal retry their own messages
    try:
        return case_queryset(user=actor).filter(pk=case.pk).exists()
    except PermissionDenied:
        return False


def case_external_id(value: str | None) -> str:
    """A case's id in the sending system as it is kept and matched: trimmed (blank is none)."""
    return (value or "").strip()[:100]


# channels on which the customer speaks with the agent who logs the case: the first response is
# given in that conversation
SPOKEN_CHANNELS = frozenset({CaseChannel.PHONE, CaseChannel.BRANCH})


@transaction.atomic
def case_intake(
    *,
    channel: str,
    subject: str,
    body: str,
    customer: Customer | None = None,
    sender_email: str = "",
    sender_name: str = "",
    actor: Any = None,
    office: Office | None = None,
    external_id: str = "",
    sender_phone: str = "",
    customer_external_id: str = "",
    kind: str = CaseKind.REQUEST,
    priority: str = CasePriority.NORMAL,
    product: Product | None = None,
    category: str = "",
    opened_at: dt.datetime | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    classify: bool = True,
    acknowledge_receipt: bool = True,
) -> Case:
    """A new case from any channel: matched to a customer (given, by id, e-mail or phone, else
    kept as an unknown contact), classified, routed to a queue and agent, SLA timers started,
    receipt acknowledged from a template; audited and on the customer's timeline.

    Idempotent on (channel, external_id) and on the e-mail Message-ID; an e-mail that replies to a
    case's thread joins that case instead of opening a new one."""
    if actor is not None:
        require_perm(actor, "service.add_case")
        if customer is not None:
            customer = customer_get(user=actor, customer_id=customer.pk)
    if channel not in CaseChannel.values:
        raise ValidationError({"channel": f"Unknown channel {channel!r}."})
    if kind not in CaseKind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}."})
    if priority not in CasePriority.values:
        raise ValidationError({"priority": f"Unknown priority {priority!r}."})
    external_id = case_external_id(external_id)
    if external_id:
        existing = Case.objects.filter(channel=channel, external_id=external_id).first()
        if existing is not None:
            if not case_visible(actor, existing):
                # a retry returns the case; someone else's case is not shown for its key
                raise ConflictError(f"The id {external_id!r} is taken by another case.")
            return existing
    if message_id:
        known = CaseMessage.objects.filter(message_id=message_id).select_related("case").first()
        if known is not None:
            return known.case
    body, subject = _clean(body), _clean(subject)[:255]
    if not (body or subject):
        raise ValidationError({"body": "Write what the case is about."})
    moment = opened_at or timezone.now()
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"opened_at": "A case cannot be opened in the future."})
    if in_reply_to or references:
        parent = thread_case(in_reply_to=in_reply_to, references=references)
        if parent is not None:
            return case_message_receive(
                case_id=parent.pk,
                body=body,
                subject=subject,
                sender=sender_email or sender_name,
                channel=channel,
                message_id=message_id,
                in_reply_to=in_reply_to,
                references=references,
                at=moment,
            )
    person = actor if actor is not None and actor.is_authenticated else None
    matched = _match_customer(
        customer=customer,
        customer_external_id=customer_external_id,
        email=sender_email,
        phone=sender_phone,
        actor=person,
    )
    user = actor if actor is not None and actor.is_authenticated else None
    case = Case(
        kind=kind,
        channel=channel,
        office=office if office is not None else getattr(user, "office", None),
        product=product,
        customer=matched,
        sender_name=sender_name.strip()[:200],
        sender_email=sender_email.strip()[:254],
        sender_phone=sender_phone.strip()[:40],
        subject=subject or subject_from_text(body),
        body=body,
        priority=priority,
        category=category.strip()[:120],
        external_id=external_id,
        message_id=message_id[:255],
        opened_at=moment,
        created_by=user,
        status=CaseStatus.RECEIVED,
        # a call or a visit an agent logs while speaking with the customer is answered then
        first_response_at=moment if user is not None and channel in SPOKEN_CHANNELS else None,
    )
    case.full_clean(exclude=["queue", "assignee", "team", "sla_policy"])
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # a concurrent intake of the same (channel, external_id) won the race
        existing = Case.objects.filter(channel=channel, external_id=external_id).first()
        if existing is None:
            raise
        return existing
    CaseMessage.objects.create(
        case=case,
        direction=CaseMessage.Direction.INBOUND,
        channel=channel,
        at=moment,
        # as a mail program shows a sender: the name typed, with the address
        sender=(
            f"{sender_name.strip()} <{sender_email.strip()}>"
            if sender_name.strip() and sender_email.strip()
            else sender_email or sender_name or (matched.display_name if matched else "")
        )[:255],
        subject=case.subject,
        body=body,
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        references=references,
        author=user,
    )
    contact = matched.display_name if matched else (sender_name or sender_email or "unknown")
    case_history(
        case=case,
        kind="opened",
        summary=f"{case.get_kind_display()} received by {case.get_channel_display()}: "
        f"{case.subject}",
        actor=actor,
        to_status=CaseStatus.RECEIVED,
        payload={"channel": channel, "contact": contact},
        at=moment,
    )
    if classify:
        _classify_on_arrival(case)
    sla_start(case)
    case.save(update_fields=["sla_policy", "first_response_due", "resolution_due"])
    if acknowledge_receipt:
        acknowledge(case=case, actor=None)
    _route(case, actor=None)
    case_audit(actor=actor, case=case, action=AuditEntry.Action.CREATE, summary="Case opened")
    return case


def _classify_on_arrival(case: Case) -> None:
    from ckm.service.services.classify import apply_prediction, predict_cases

    result = predict_cases([case])
    if result is None:
        return
    row, predictions = result
    fields = apply_prediction(case, row, predictions[0])
    case.save(update_fields=fields)
    parts = []
    if case.suggested_product_id and case.suggested_product:
        parts.append(
            f"product {case.suggested_product.name} ({case.suggested_product_confidence:.0%})"
        )
    if case.suggested_category:
        parts.append(f"issue {case.suggested_category} ({case.suggested_category_confidence:.0%})")
    if parts:
        case_history(
            case=case,
            kind="classified",
            summary="Suggested " + ", ".join(parts) + f" by {row.version}",
            payload={"version": row.version},
            timeline=False,
        )


def _route(case: Case, *, actor: Any) -> None:
    queue = queue_for(case)
    if queue is None:
        return
    assignee = assignee_for(queue, case)
    case.queue = queue
    case.team = queue.team
    fields = ["queue", "team"]
    summary = f"Queued in {queue.name}"
    if assignee is not None:
        before = case.status
        case.assignee = assignee
        case.status = CaseStatus.ASSIGNED
        fields += ["assignee", "status"]
        summary += f", assigned to {assignee}"
        queue.last_assigned = assignee
        queue.save(update_fields=["last_assigned"])
        case_history(
            case=case,
            kind="assigned",
            summary=summary,
            actor=actor,
            from_status=before,
            to_status=case.status,
            payload={"queue": queue.pk, "assignee": assignee.pk},
        )
    else:
        case_history(case=case, kind="queued", summary=summary, actor=actor)
    case.save(update_fields=fields)


@transaction.atomic
def case_message_receive(
    *,
    case_id: int,
    body: str,
    subject: str = "",
    sender: str = "",
    channel: str = CaseChannel.EMAIL,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> Case:
    """A further message from the customer on an existing case (an e-mail reply, a follow-up
    letter). A reply to a resolved or answered case reopens it."""
    case = case_locked(case_id)
    if message_id and CaseMessage.objects.filter(message_id=message_id).exists():
        return case
    moment = at or timezone.now()
    CaseMessage.objects.create(
        case=case,
        direction=CaseMessage.Direction.INBOUND,
        channel=channel,
        at=moment,
        sender=sender[:255],
        subject=_clean(subject)[:255],
        body=_clean(body),
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        references=references,
    )
    case_history(
        case=case,
        kind="message",
        summary=f"Message from the customer by {CaseChannel(channel).label}: {subject}"[:300],
        actor=actor,
        at=moment,
    )
    score = _satisfaction_answer(case, body)
    if score is not None:
        # the customer answered "How did we do?" as it asks ("just reply with a number"): a
        # score, not a new problem, so the closed case stays closed
        from ckm.service.services.workflow import case_satisfaction_record

        return case_satisfaction_record(case_id=case.pk, score=score[0], comment=score[1])
    if case.status in (CaseStatus.RESOLVED, CaseStatus.ANSWERED, CaseStatus.CLOSED):
        from ckm.service.services.workflow import reopen_locked

        before = snapshot(case, LOGGED_FIELDS)
        reopen_locked(case, actor=actor, reason="the customer wrote again")
        case_audit(
            actor=actor, case=case, before=before, summary="reopened: the customer wrote again"
        )
    return case


# a reply's own words end where the quoted message begins ("On ... wrote:", "Am ... schrieb:")
QUOTE_HEADER = re.compile(r"^(on|am)\b.*\b(wrote|schrieb)\s*:\s*$", re.IGNORECASE)
SCORE_LINE = re.compile(
    r"^\s*([1-5])\s*(?:/\s*5|out of 5|von 5)?\s*(?:[.!:,;)\-\u2013]+\s*(.*))?$", re.IGNORECASE
)


def satisfaction_score_in(text: str) -> tuple[int, str] | None:
    """The score (and the words after it) when a reply starts with one, e.g. "4" or "5 - thanks";
    None when it does not (quoted lines of our question are left out)."""
    lines = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line.strip()):
            break
        if line.strip() and not line.lstrip().startswith(">"):
            lines.append(line.strip())
    if not lines:
        return None
    first = SCORE_LINE.match(lines[0])
    if first is None:
        return None
    comment = " ".join([first.group(2) or "", *lines[1:]]).strip()
    return int(first.group(1)), comment


def _satisfaction_answer(case: Case, body: str) -> tuple[int, str] | None:
    """A reply to a closed case that asked "How did we do?" and has no score yet, giving one."""
    if case.status != CaseStatus.CLOSED or case.satisfaction_score is not None:
        return None
    asked = case.messages.filter(
        direction=CaseMessage.Direction.OUTBOUND,
        template__purpose=ReplyTemplate.Purpose.SATISFACTION,
    ).exists()
    return satisfaction_score_in(body) if asked else None


@transaction.atomic
def case_link_customer(*, actor: Any, case_id: int, customer_id: int) -> Case:
    """Link a case from an unknown contact to a customer; its history joins their timeline."""
    require_perm(actor, "service.change_case")
    case = case_locked(case_id)
    from ckm.service.selectors import case_get

    case_get(user=actor, case_id=case_id)
    customer = customer_get(user=actor, customer_id=customer_id)
    if case.customer_id == customer.pk:
        return case
    if case.customer_id is not None:
        raise DomainError("The case belongs to another customer already.", field="customer_id")
    before = {"customer_id": None}
    case.customer = customer
    case.save(update_fields=["customer", "updated_at"])
    # what happened before the link (opened, acknowledged, assigned, replies) joins the
    # customer's timeline at the moments it happened, as if the case had been theirs from the start
    for event in case.events.select_related("actor").order_by("at", "pk"):
        if event.kind not in OFF_TIMELINE:
            case_timeline_entry(case=case, event=event)
    case_history(
        case=case,
        kind="linked",
        summary=f"Linked to {customer.display_name} (was from "
        f"{case.sender_name or case.sender_email or case.sender_phone or 'an unknown contact'})",
        actor=actor,
    )
    case_audit(actor=actor, case=case, before=before, summary="Case linked to a customer")
    return case


def case_get_for_update(case_id: int) -> Case:
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such case.")
    return case
