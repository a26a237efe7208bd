"""ckm mail poll | ckm mail import FILE: e-mail into cases (IMAP mailbox, .eml or mbox)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ckm.core.errors import DomainError


class Command(BaseCommand):
    help = "E-mail into cases: `poll` the support mailbox (CKM_MAIL_IMAP) or `import` a file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        poll = sub.add_parser("poll", help="fetch unseen messages from the IMAP mailbox")
        poll.add_argument("--loop", type=int, default=0, help="poll every this many seconds")
        load = sub.add_parser("import", help="import an .eml file or an mbox archive")
        load.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        from ckm.service.services.mail import mail_import_file, mail_poll

        try:
            if options["action"] == "import":
                self._report(mail_import_file(path=options["path"]))
                return
            while True:
                self._report(mail_poll())
                if not options["loop"]:
                    return
                time.sleep(options["loop"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _report(self, result: Any) -> None:
        self.stdout.write(
            f"{result.messages} messages: {result.opened} new cases, {result.joined} joined "
            f"their case, {result.skipped} already in, {result.failed} failed"
        )
        for error in result.errors[:10]:
            self.stderr.write(f"  {error}")
