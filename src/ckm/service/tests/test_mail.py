"""E-mail intake: .eml, mbox and an IMAP mailbox (a local test server), with threading."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from ckm.customers.tests.factories import ContactPointFactory
from ckm.service.models import Case, CaseMessage
from ckm.service.services.mail import mail_import_file, mail_poll
from ckm.service.tests import imap_server

pytestmark = pytest.mark.django_db


def message(
    subject: str, body: str, *, mid: str, sender: str = "Anna <anna@example.com>", **headers: str
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@bank.example"
    msg["Subject"] = subject
    msg["Message-ID"] = mid
    msg["Date"] = "Mon, 16 Nov 2026 10:00:00 +0100"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_an_eml_file_becomes_a_case_of_the_sender(desk: dict[str, Any], tmp_path: Path) -> None:
    point = ContactPointFactory(kind="email", value="anna@example.com")
    path = tmp_path / "m.eml"
    path.write_bytes(message("Card fee", "Why was I charged?", mid="<e1@example.com>"))
    result = mail_import_file(path=path)
    assert result.opened == 1
    case = Case.objects.get()
    assert case.channel == "email" and case.customer == point.customer
    assert case.message_id == "<e1@example.com>" and "charged" in case.body
    again = mail_import_file(path=path)
    assert again.skipped == 1 and Case.objects.count() == 1


def test_an_mbox_thread_stays_one_case(desk, tmp_path: Path) -> None:
    path = tmp_path / "support.mbox"
    box = mailbox.mbox(str(path))
    box.add(message("Loan", "My loan payment bounced.", mid="<t1@example.com>"))
    box.add(
        message(
            "Re: Loan",
            "Any news?",
            mid="<t2@example.com>",
            In_Reply_To="<t1@example.com>",
            References="<t1@example.com>",
        )
    )
    box.add(message("Other", "A new problem.", mid="<t3@example.com>"))
    box.flush()
    box.close()
    result = mail_import_file(path=path)
    assert (result.opened, result.joined) == (2, 1)
    first = Case.objects.get(message_id="<t1@example.com>")
    assert first.messages.filter(direction="inbound").count() == 2


def test_polling_an_imap_mailbox_takes_unseen_mail_once(desk) -> None:
    box = imap_server.Mailbox(
        messages=[
            message("Statement", "Where is my statement?", mid="<i1@example.com>"),
            message("Complaint", "Branch closed early.", mid="<i2@example.com>"),
        ]
    )
    server, port = imap_server.start(box)
    config = {"host": "127.0.0.1", "port": port, "user": "support", "password": "secret"}
    try:
        first = mail_poll(config=config)
        assert (first.messages, first.opened) == (2, 2)
        assert box.seen == {1, 2}
        # a reply arrives: it joins the first case through In-Reply-To
        box.messages.append(
            message(
                "Re: Statement",
                "Found it, thanks.",
                mid="<i3@example.com>",
                In_Reply_To="<i1@example.com>",
            )
        )
        second = mail_poll(config=config)
        assert (second.messages, second.opened, second.joined) == (1, 0, 1)
    finally:
        server.shutdown()
        server.server_close()
    assert Case.objects.count() == 2
    assert CaseMessage.objects.filter(direction="inbound").count() == 3


def test_a_wrong_password_is_reported(desk) -> None:
    import imaplib

    server, port = imap_server.start(imap_server.Mailbox())
    try:
        with pytest.raises(imaplib.IMAP4.error):
            mail_poll(config={"host": "127.0.0.1", "port": port, "user": "x", "password": "y"})
    finally:
        server.shutdown()
        server.server_close()


def test_the_commands_import_mail_and_run_the_schedule(desk, tmp_path: Path) -> None:
    import io

    from django.core.management import call_command

    path = tmp_path / "m.eml"
    path.write_bytes(message("Hello", "A question about my loan.", mid="<c1@example.com>"))
    out = io.StringIO()
    call_command("mail", "import", str(path), stdout=out)
    assert "1 new cases" in out.getvalue()
    out = io.StringIO()
    call_command("service-schedule", "--train", stdout=out)
    # the mail is from a week ago: both targets are past, so it is warned and escalated once
    assert "SLA: 2 warnings, 1 escalations" in out.getvalue()
    assert "classifier: not trained" in out.getvalue()
