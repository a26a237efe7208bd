"""A tiny IMAP4rev1 responder for the tests: LOGIN, SELECT, SEARCH (ALL/UNSEEN), FETCH (RFC822 or
BODY[]), STORE +FLAGS, CLOSE, LOGOUT on an in-memory mailbox. Enough for imaplib, nothing more."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Mailbox:
    user: str = "support"
    password: str = "secret"
    messages: list[bytes] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    logins: int = 0


class _Handler(socketserver.StreamRequestHandler):
    server: Any

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox
        self.send("* OK [CAPABILITY IMAP4rev1] test server ready")
        authed = False
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            tag, _, rest = line.partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                self.send(f"{tag} BAD UID not supported")
            elif command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "LOGIN":
                user, password = [a.strip('"') for a in args.split(" ", 1)]
                if (user, password) == (box.user, box.password):
                    authed = True
                    box.logins += 1
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO LOGIN failed")
            elif not authed and command != "LOGOUT":
                self.send(f"{tag} NO log in first")
            elif command in ("SELECT", "EXAMINE"):
                self.send(f"* {len(box.messages)} EXISTS")
                self.send("* 0 RECENT")
                self.send("* FLAGS (\\Seen)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif command == "SEARCH":
                unseen = "UNSEEN" in args.upper()
                ids = [
                    str(i)
                    for i in range(1, len(box.messages) + 1)
                    if not (unseen and i in box.seen)
                ]
                self.send("* SEARCH" + "".join(f" {i}" for i in ids))
                self.send(f"{tag} OK SEARCH completed")
            elif command == "FETCH":
                number = int(args.split(" ", 1)[0])
                body = box.messages[number - 1]
                if "PEEK" not in args.upper():
                    box.seen.add(number)
                self.send(f"* {number} FETCH (RFC822 {{{len(body)}}}".encode())
                self.wfile.write(body)
                self.send(")")
                self.send(f"{tag} OK FETCH completed")
            elif command == "STORE":
                number = int(args.split(" ", 1)[0])
                if re.search(r"\\Seen", args, re.I):
                    box.seen.add(number)
                self.send(f"* {number} FETCH (FLAGS (\\Seen))")
                self.send(f"{tag} OK STORE completed")
            elif command in ("CLOSE", "NOOP"):
                self.send(f"{tag} OK {command} completed")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self.send(f"{tag} BAD unknown command")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def start(mailbox: Mailbox) -> tuple[_Server, int]:
    """Serve the mailbox on a free local port in a thread; returns (server, port)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.mailbox = mailbox  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]
