"""ckm import DIR: load a customer data package (folder or .zip) with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ckm.core.errors import DomainError
from ckm.core.models import ImportIssue, ImportRun
from ckm.core.services import import_run, import_start


class Command(BaseCommand):
    help = "Import a customer data package (a folder or .zip; see docs/import-format.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", help="package folder or .zip")
        parser.add_argument(
            "--background", action="store_true", help="queue it for the worker and return"
        )
        parser.add_argument(
            "--show", type=int, default=20, help="how many problems to print (default 20)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"]).expanduser().resolve()
        try:
            run = import_start(
                user=None,
                source=source,
                label=f"CLI import {source.name}",
                enqueue=options["background"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["background"]:
            self.stdout.write(f"Queued import {run.pk}; follow it on /imports/{run.pk}/")
            return
        bar = tqdm(
            total=100,
            desc=f"import {run.pk}",
            bar_format="{desc}: {percentage:3.0f}%|{bar:30}| {postfix}",
            disable=options["verbosity"] == 0,
        )

        def progress(done: int, total: int, message: str) -> None:
            bar.n = int(100 * done / total) if total else 0
            bar.set_postfix_str(message, refresh=False)
            bar.refresh()

        run = import_run(run_id=run.pk, progress=progress)
        bar.close()
        self._report(run, options["show"])
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"import {run.pk} failed")
        if run.status == ImportRun.Status.PARTIAL:
            # scripts must notice: exit status 1, the loaded files stay loaded
            raise CommandError(
                f"import {run.pk}: some files were rejected (nothing of them written)"
            )

    def _report(self, run: ImportRun, show: int) -> None:
        for note in run.notes:
            self.stdout.write(f"  note: {note}")
        self.stdout.write(
            f"{'file':<20} {'status':<9} {'rows':>10} {'inserted':>10} {'updated':>10} {'problems':>9} {'rows/s':>9}"
        )
        for f in run.files:
            self.stdout.write(
                f"{f['file']:<20} {f['status']:<9} {f['rows']:>10,} {f['inserted']:>10,} {f['updated']:>10,}"
                f" {f['issue_count']:>9,} {f['rows_per_second'] or 0:>9,}"
            )
            for note in f.get("notes", []):
                self.stdout.write(f"    {note}")
        issues = ImportIssue.objects.filter(run=run).order_by("file", "line")[:show]
        for issue in issues:
            self.stdout.write(
                f"  {issue.file}:{issue.line} {issue.column} {issue.value!r}: {issue.reason}"
            )
        if run.issue_count > show:
            self.stdout.write(
                f"  ... {run.issue_count - show:,} more: see /imports/{run.pk}/ or download the CSV there"
            )
        style = (
            self.style.SUCCESS if run.status == ImportRun.Status.SUCCEEDED else self.style.WARNING
        )
        self.stdout.write(style(f"import {run.pk}: {run.get_status_display()}"))
