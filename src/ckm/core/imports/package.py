"""Reading a package (folder or .zip) and running every file of it through the engine."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import zipfile
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils import timezone

from ckm.core.imports.engine import FileReport, load_file
from ckm.core.imports.registry import LoadContext, after_import_hooks, loaders
from ckm.core.jobs import Progress, no_progress
from ckm.core.models import ImportIssue, ImportRun

logger = logging.getLogger(__name__)


class PackageError(Exception):
    """The package as a whole cannot be read (no customers.csv, a broken manifest, ...)."""


def known_files() -> list[str]:
    return [loader.filename for loader in loaders()]


def package_dir(source: Path, *, workdir: Path) -> Path:
    """The folder holding the package files; a .zip is unpacked safely into workdir."""
    if source.is_dir():
        return _files_root(source)
    if source.suffix.lower() == ".zip" and source.is_file():
        if not zipfile.is_zipfile(source):
            raise PackageError(f"{source.name} is not a valid .zip file")
        workdir.mkdir(parents=True, exist_ok=True)
        wanted = set(known_files()) | {"manifest.yaml", "manifest.yml"}
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                name = Path(info.filename).name
                if info.is_dir() or name not in wanted:
                    continue
                with archive.open(info) as src, (workdir / name).open("wb") as dst:
                    shutil.copyfileobj(src, dst, length=1 << 20)
        return workdir
    if source.is_file() and source.suffix.lower() == ".csv":
        return source.parent
    raise PackageError(f"{source} is neither a package folder nor a .zip file")


def _files_root(folder: Path) -> Path:
    """Accept a folder that holds the package directly or in one subfolder."""
    if any((folder / name).exists() for name in known_files()):
        return folder
    subfolders = [p for p in folder.iterdir() if p.is_dir()]
    if len(subfolders) == 1:
        return _files_root(subfolders[0])
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest as a dict (empty when there is none)."""
    for name in ("manifest.yaml", "manifest.yml"):
        path = folder / name
        if path.exists():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise PackageError(f"{name} cannot be read: {exc}") from exc
            if not isinstance(data, dict):
                raise PackageError(f"{name} must be a mapping of keys to values")
            return data
    return {}


def manifest_as_of(manifest: dict[str, Any]) -> dt.date:
    value = manifest.get("as_of")
    if value in (None, ""):
        return timezone.localdate()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise PackageError(f"manifest.yaml: as_of {value!r} is not a date (YYYY-MM-DD)") from exc


def package_run(run: ImportRun, *, user: Any, progress: Progress = no_progress) -> ImportRun:
    """Load every file of the run's package in order; record the report on the run."""
    run.status = ImportRun.Status.RUNNING
    run.save(update_fields=["status"])
    workdir = Path(settings.VAR_DIR) / "imports" / str(run.pk)
    try:
        folder = package_dir(Path(run.source), workdir=workdir)
        manifest = read_manifest(folder)
        as_of = manifest_as_of(manifest)
        present = {loader.filename: folder / loader.filename for loader in loaders()}
        present = {name: path for name, path in present.items() if path.exists()}
        if not present:
            raise PackageError(
                "no package files found: expected customers.csv and optionally "
                + ", ".join(n for n in known_files() if n != "customers.csv")
            )
    except PackageError as exc:
        run.status = ImportRun.Status.FAILED
        run.notes = [str(exc)]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "notes", "finished_at"])
        return run

    run.package_name = str(manifest.get("name") or run.package_name or Path(run.source).stem)[:200]
    run.as_of = as_of
    ignored = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and p.name not in present and p.name not in {"manifest.yaml", "manifest.yml"}
    )
    notes = [f"ignored {name}: not a file of the package format" for name in ignored]
    ctx = LoadContext(run_id=run.pk, user=user, as_of=as_of, manifest=manifest)
    total = sum(path.stat().st_size for path in present.values()) or 1
    offset = 0
    reports: list[FileReport] = []
    for loader in loaders():
        path = present.get(loader.filename)
        if path is None:
            continue
        size = path.stat().st_size
        label = loader.filename

        def file_progress(done: int, _offset: int = offset, _label: str = label) -> None:
            progress(_offset + done, total, f"Loading {_label}")

        progress(offset, total, f"Loading {label}")
        report = load_file(loader, path, ctx, progress=file_progress)
        reports.append(report)
        offset += size
        _save_issues(run, report)
        run.files = [r.as_dict() for r in reports]
        run.save(update_fields=["files"])
    progress(total, total, "Finished")

    rejected = [r for r in reports if r.status == "rejected"]
    run.status = (
        ImportRun.Status.SUCCEEDED
        if not rejected
        else ImportRun.Status.FAILED
        if len(rejected) == len(reports)
        else ImportRun.Status.PARTIAL
    )
    run.notes = notes + ctx.notes
    run.issue_count = sum(r.issue_count for r in reports)
    run.finished_at = timezone.now()
    run.save()
    shutil.rmtree(workdir, ignore_errors=True)
    if any(r.status == "loaded" for r in reports):
        for hook in after_import_hooks():
            try:
                hook(run.pk)
            except Exception:  # a follow-up must never undo or fail a finished import
                logger.exception("after-import hook %s failed for import %s", hook, run.pk)
    return run


def _save_issues(run: ImportRun, report: FileReport) -> None:
    ImportIssue.objects.bulk_create(
        [
            ImportIssue(
                run=run,
                file=report.file,
                line=issue.line,
                column=issue.column,
                value=issue.value,
                reason=issue.reason,
            )
            for issue in report.issues
        ],
        batch_size=2000,
    )
    if report.issue_count > len(report.issues):
        report.notes.append(
            f"{report.issue_count - len(report.issues)} more problems were found; only the first "
            f"{len(report.issues)} are listed. Fix these and import again to see the rest."
        )
