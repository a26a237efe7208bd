"""Messages to the customer: the acknowledgement on arrival, agents' replies (from a template or
free text), the satisfaction question after close. E-mail goes out through Django's mail backend
after the transaction commits, as a plain-text part and an HTML part rendered from the agent's
Markdown (an article's answer pasted in keeps its lists and links); every message is recorded on
the case with its Message-ID, so the customer's answer threads back to the case."""

from __future__ import annotations

import string
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from ckm.core.errors import ValidationError
from ckm.knowledge.content import markdown_literal, markdown_to_html, readable_text
from ckm.service.models import Case, CaseMessage, CaseStatus, ReplyTemplate
from ckm.service.selectors import case_reach
from ckm.service.services.common import case_history


def template_for(purpose: str, kind: str = "") -> ReplyTemplate | None:
    """The active template for a purpose, the one for the case kind first."""
    rows = ReplyTemplate.objects.filter(active=True, purpose=purpose)
    return rows.filter(kind=kind).first() or rows.filter(kind="").first()


# what render fills in; the settings refuse a template with any other placeholder
PLACEHOLDERS = frozenset({"reference", "name", "subject", "agent", "product", "resolution"})


def render(text: str, case: Case, actor: Any = None, *, markdown: bool = False) -> str:
    """Fill the PLACEHOLDERS ({reference}, {name}, {subject}, {agent}, {product}, {resolution});
    for a message's body (`markdown`), every value but the agent's resolution as literal text."""
    values = {
        "reference": case.reference,
        "name": case.contact_label,
        "subject": case.subject,
        "agent": str(actor) if actor is not None and actor.is_authenticated else "Customer service",
        "product": case.product.name if case.product_id and case.product else "",
    }
    if markdown:
        values = {key: markdown_literal(value) for key, value in values.items()}
    values["resolution"] = case.resolution
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return text  # a brace not closed: the text as written
    # each placeholder is its value as it is: a format or a conversion in a template stored before
    # the settings refused them ({name:>5000000}) is ignored, and so is an unknown placeholder
    return "".join(
        literal + (str(values.get(name, "")) if name is not None else "")
        for literal, name, _, _ in parts
    )


def recipient_of(case: Case) -> str:
    return case_reach(case=case).email


def reply_html(body: str) -> str:
    """A message we write (Markdown, every line break kept) as sanitised HTML: the e-mail's HTML
    part and what the case page shows."""
    return markdown_to_html(body, breaks=True)


def reply_plain(body: str) -> str:
    """A message we write as plain text: the e-mail's text part, the history's summary."""
    return readable_text(reply_html(body))


def _send(message: CaseMessage, to: str, case: Case) -> None:
    thread = [m for m in (case.message_id,) if m]
    headers = {"Message-ID": message.message_id}
    if thread:
        headers["In-Reply-To"] = thread[-1]
        headers["References"] = " ".join(thread)
    html = reply_html(message.body)
    # both parts from the same sanitised HTML: the text part says what the HTML part says
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=readable_text(html),
        from_email=getattr(settings, "CKM_SERVICE_FROM_EMAIL", settings.DEFAULT_FROM_EMAIL),
        to=[to],
        headers=headers,
    )
    email.attach_alternative(
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{html}</body></html>\n',
        "text/html",
    )
    transaction.on_commit(lambda: email.send(fail_silently=True))


def message_send(
    *,
    case: Case,
    subject: str,
    body: str,
    actor: Any = None,
    template: ReplyTemplate | None = None,
    internal: bool = False,
) -> CaseMessage:
    """Record (and e-mail, when there is an address) a message to the customer or an internal note."""
    to = "" if internal else recipient_of(case)
    domain = getattr(settings, "CKM_SERVICE_MAIL_DOMAIN", "ckm.local")
    user = actor if actor is not None and actor.is_authenticated else None
    message = CaseMessage.objects.create(
        case=case,
        direction=CaseMessage.Direction.INTERNAL if internal else CaseMessage.Direction.OUTBOUND,
        channel="email" if to else case.channel,
        at=timezone.now(),
        sender=str(user) if user else "Customer service",
        recipients=to,
        subject=subject[:255],
        body=body,
        message_id=make_msgid(idstring=f"case{case.pk}", domain=domain),
        in_reply_to=case.message_id,
        references=case.message_id,
        template=template,
        author=user,
    )
    if to:
        _send(message, to, case)
    return message


def acknowledge(*, case: Case, actor: Any = None) -> CaseMessage | None:
    """Send the acknowledgement template and move a received case to acknowledged."""
    template = template_for(ReplyTemplate.Purpose.ACKNOWLEDGEMENT, case.kind)
    if template is None or case.status != CaseStatus.RECEIVED:
        return None
    message = message_send(
        case=case,
        subject=render(template.subject, case, actor),
        body=render(template.body, case, actor, markdown=True),
        actor=actor,
        template=template,
    )
    case.status = CaseStatus.ACKNOWLEDGED
    case.save(update_fields=["status", "updated_at"])
    how = f"e-mailed to {message.recipients}" if message.recipients else "recorded"
    case_history(
        case=case,
        kind="acknowledged",
        summary=f"Acknowledgement {how} ({template.name})",
        actor=actor,
        from_status=CaseStatus.RECEIVED,
        to_status=CaseStatus.ACKNOWLEDGED,
    )
    return message


def reply_text(*, case: Case, template: ReplyTemplate | None, body: str, actor: Any) -> str:
    if template is not None and not body.strip():
        return render(template.body, case, actor, markdown=True)
    if not body.strip():
        raise ValidationError({"body": "Write the reply or pick a template."})
    return body.strip()


def reply_insert(draft: str, text: str, *, at: int | None = None) -> tuple[str, int]:
    """A reply draft with `text` put in at character `at` (the agent's caret; None or beyond the
    end: at the end) as a paragraph of its own, and where the caret goes after it. Nothing the
    agent typed is replaced; line breaks are the form's \\r\\n read as \\n."""
    draft = draft.replace("\r\n", "\n")
    at = len(draft) if at is None or at > len(draft) else max(0, at)
    before, after = draft[:at], draft[at:]
    if before.strip():
        before += "\n" * (2 - (len(before) - len(before.rstrip("\n"))))
    if after.strip():
        after = "\n" * (2 - (len(after) - len(after.lstrip("\n")))) + after
    text = text.strip("\n")
    return before + text + after, len(before) + len(text)
