"""E-mail intake: .eml files, mbox archives and an IMAP mailbox (the support address). Each
message becomes a case, or joins its case when it replies to one (Message-ID / In-Reply-To /
References). Idempotent: a message already taken in (same Message-ID) is skipped.

The mailbox is set in settings (or the environment): CKM_MAIL_IMAP = {"host", "port", "user",
"password", "ssl", "mailbox"}; `ckm mail poll` or the `mail_poll_task` fetch unseen messages and
mark them seen."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import imaplib
import mailbox
import os
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from ckm.core.errors import DomainError
from ckm.service.models import Case, CaseMessage


@dataclass
class MailResult:
    """What an import or poll did."""

    messages: int = 0
    opened: int = 0
    joined: int = 0
    skipped: int = 0
    failed: int = 0
    case_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("case_ids")
        return out


def _text_of(message: Message) -> str:
    """The plain-text body (or the HTML one, stripped of markup)."""
    if isinstance(message, EmailMessage):
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
        if part.get_content_type() == "text/html":
            import nh3

            return nh3.clean(content, tags=set()).strip()
        return str(content).strip()
    payload = message.get_payload(decode=True)
    return payload.decode(errors="replace").strip() if isinstance(payload, bytes) else ""


def _parse(raw: bytes | Message) -> EmailMessage:
    if isinstance(raw, bytes):
        return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]
    return email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def mail_take_in(raw: bytes | Message, *, result: MailResult | None = None) -> Case | None:
    """One e-mail into a case (new, or joined to the case it replies to)."""
    from ckm.service.services.intake import case_intake

    out = result or MailResult()
    out.messages += 1
    message = _parse(raw)
    message_id = str(message.get("Message-ID", "") or "").strip()
    if message_id and CaseMessage.objects.filter(message_id=message_id).exists():
        out.skipped += 1
        return None
    name, address = parseaddr(str(message.get("From", "")))
    try:
        sent = parsedate_to_datetime(str(message.get("Date")))
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        sent = timezone.now()
    sent = min(sent, timezone.now())
    before = Case.objects.count()
    case = case_intake(
        channel="email",
        subject=str(message.get("Subject", "") or "")[:255],
        body=_text_of(message),
        sender_email=address if "@" in address else "",
        sender_name=name,
        message_id=message_id,
        in_reply_to=str(message.get("In-Reply-To", "") or ""),
        references=str(message.get("References", "") or ""),
        opened_at=sent,
    )
    if Case.objects.count() > before:
        out.opened += 1
    else:
        out.joined += 1
    out.case_ids.append(case.pk)
    return case


def _safe_take_in(raw: bytes | Message, result: MailResult) -> None:
    try:
        mail_take_in(raw, result=result)
    except Exception as exc:  # one bad message must not stop the mailbox
        result.failed += 1
        result.errors.append(str(getattr(exc, "message", exc))[:200])


def mail_import_file(*, path: Path) -> MailResult:
    """Import an .eml file or an mbox archive."""
    result = MailResult()
    if not path.exists():
        raise DomainError(f"No file {path}.", field="path")
    if path.suffix.lower() == ".eml":
        _safe_take_in(path.read_bytes(), result)
        return result
    box = mailbox.mbox(str(path), create=False)
    try:
        for key in box.iterkeys():
            _safe_take_in(box.get_bytes(key), result)
    finally:
        box.close()
    return result


def mailbox_settings() -> dict[str, Any]:
    """The support mailbox: settings.CKM_MAIL_IMAP, else CKM_MAIL_HOST/PORT/USER/PASSWORD/SSL/
    MAILBOX from the environment."""
    configured = dict(getattr(settings, "CKM_MAIL_IMAP", {}) or {})
    if configured:
        return configured
    env = os.environ
    if not env.get("CKM_MAIL_HOST"):
        return {}
    return {
        "host": env["CKM_MAIL_HOST"],
        "port": env.get("CKM_MAIL_PORT", ""),
        "user": env.get("CKM_MAIL_USER", ""),
        "password": env.get("CKM_MAIL_PASSWORD", ""),
        "ssl": env.get("CKM_MAIL_SSL", "1") not in ("0", "false", "no"),
        "mailbox": env.get("CKM_MAIL_MAILBOX", "INBOX"),
    }


def mail_poll(*, config: dict[str, Any] | None = None, limit: int = 500) -> MailResult:
    """Fetch unseen messages from the IMAP mailbox into cases and mark them seen."""
    conf = config or mailbox_settings()
    if not conf.get("host"):
        raise DomainError("No support mailbox is set up (CKM_MAIL_IMAP).")
    port = int(conf.get("port") or (993 if conf.get("ssl") else 143))
    client_class = imaplib.IMAP4_SSL if conf.get("ssl") else imaplib.IMAP4
    result = MailResult()
    client = client_class(conf["host"], port, timeout=float(conf.get("timeout", 30)))
    try:
        client.login(conf.get("user", ""), conf.get("password", ""))
        status, _ = client.select(conf.get("mailbox", "INBOX"))
        if status != "OK":
            raise DomainError(f"Cannot open the mailbox {conf.get('mailbox', 'INBOX')}.")
        status, data = client.search(None, "UNSEEN")
        numbers = (data[0] or b"").split()[:limit] if status == "OK" else []
        for number in numbers:
            status, parts = client.fetch(number.decode(), "(RFC822)")
            raw = next(
                (p[1] for p in parts if isinstance(p, tuple) and isinstance(p[1], bytes)), None
            )
            if status != "OK" or raw is None:
                result.failed += 1
                continue
            _safe_take_in(raw, result)
            client.store(number.decode(), "+FLAGS", "(\\Seen)")
        client.close()
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return result
