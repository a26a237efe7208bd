"""ckm demo: build the demo retail bank (organisation, customer data package, import, knowledge)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from ckm.demo.generator import DemoConfig
from ckm.demo.selectors import demo_customers_exist
from ckm.demo.services import (
    DemoError,
    DemoLogin,
    DemoReport,
    demo_build,
    demo_organisation_ensure,
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Build the demo retail bank: staff logins, ~4,000 customers with two years of history, imported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=4000, help="number of customers (default 4000)"
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="random seed; same seed, same bank (default 42)"
        )
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            help="the bank's 'today', YYYY-MM-DD (default today)",
        )
        parser.add_argument(
            "--out", type=Path, default=None, help="package folder (default VAR_DIR/demo-package)"
        )
        parser.add_argument(
            "--texts",
            type=Path,
            default=None,
            help="folder with banking77/ and cfpb_complaints/ to mix in real customer messages",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when customers already exist"
        )
        parser.add_argument(
            "--password",
            default=None,
            help="one password for all demo users (default ckm-<username>)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and demo_customers_exist():
            self.stdout.write(
                "Customers already exist; leaving the database as it is (--if-empty)."
            )
            self._logins(demo_organisation_ensure(password=options["password"]))
            return
        if options["customers"] < 1:
            raise CommandError("--customers must be at least 1")
        texts = options["texts"]
        if texts is not None and not texts.expanduser().is_dir():
            raise CommandError(f"--texts {texts} is not a folder")
        config = DemoConfig(
            out=(options["out"] or Path(settings.VAR_DIR) / "demo-package").expanduser().resolve(),
            as_of=options["as_of"] or timezone.localdate(),
            customers=options["customers"],
            seed=options["seed"],
            texts=texts.expanduser().resolve() if texts else None,
        )
        quiet = options["verbosity"] == 0
        bars: dict[str, tqdm] = {}

        def on_generate(done: int, total: int, message: str) -> None:
            bar = bars.get("generate")
            if bar is None:
                bar = bars["generate"] = tqdm(
                    total=total, desc="generate", unit="customer", disable=quiet
                )
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        def on_import(done: int, total: int, message: str) -> None:
            bar = bars.get("import")
            if bar is None:
                bar = bars["import"] = tqdm(
                    total=100,
                    desc="import",
                    bar_format="{desc}: {percentage:3.0f}%|{bar:30}| {postfix}",
                    disable=quiet,
                )
            bar.n = int(100 * done / total) if total else 0
            bar.set_postfix_str(message, refresh=False)
            bar.refresh()

        try:
            report = demo_build(
                config=config,
                password=options["password"],
                generate_progress=on_generate,
                import_progress=on_import,
            )
        except DemoError as exc:
            raise CommandError(exc.message) from exc
        finally:
            for bar in bars.values():
                bar.close()
        self._report(report)

    def _report(self, report: DemoReport) -> None:
        package, out = report.package, self.stdout
        for credit in package.credits:
            out.write(f"Credit: {credit}")
        out.write(f"\nPackage: {package.path}")
        for name, rows in package.rows.items():
            out.write(f"  {name:<18} {rows:>9,} rows")
        out.write(
            f"Import {report.run.pk}: {report.run.get_status_display()} (see /imports/{report.run.pk}/)"
            + "".join(f"\n  note: {note}" for note in report.run.notes)
        )
        k = report.knowledge
        out.write(
            f"Added {k.facts:,} personal facts, {k.consents:,} consents, {k.confirmations:,} confirmations."
        )
        out.write(
            "Took "
            + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in report.seconds.items())
            + f" (total {sum(report.seconds.values()):.1f}s)."
        )
        self._logins(report.logins)

    def _logins(self, logins: list[DemoLogin]) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS("\nThe demo bank is ready. Log in as:"))
        out.write(f"  {'username':<10} {'password':<16} {'role':<24} try first")
        for login in logins:
            password = login.password + ("*" if login.existed else "")
            out.write(f"  {login.username:<10} {password:<16} {login.role:<24} {login.try_first}")
        if any(login.existed for login in logins):
            out.write("  * the user existed already; its password was not changed.")
