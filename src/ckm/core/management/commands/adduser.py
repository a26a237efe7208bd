"""ckm adduser USERNAME --role ROLE: create a user with a role (asks for the password)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ckm.core.errors import DomainError
from ckm.core.models import Office, Role, Team
from ckm.core.services import user_create


class Command(BaseCommand):
    help = "Create a CKM user with a role: " + ", ".join(Role.values)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--team", default="", help="team name (must exist)")
        parser.add_argument("--office", default="", help="office code (must exist)")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(name=options["team"]).first() if options["team"] else None
        office = (
            Office.objects.filter(code=options["office"]).first() if options["office"] else None
        )
        if options["team"] and team is None:
            raise CommandError(f"no team {options['team']!r}")
        if options["office"] and office is None:
            raise CommandError(f"no office {options['office']!r}")
        if options["password_stdin"]:
            password = sys.stdin.readline().strip()
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        try:
            validate_password(password)
            user = user_create(
                actor=None,
                username=options["username"],
                password=password,
                role=options["role"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                team=team,
                office=office,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"created {user.username} ({user.get_role_display()})")
        )
