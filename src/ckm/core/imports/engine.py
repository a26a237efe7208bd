"""The import engine: stream, validate, report, write in bulk; all or nothing per file."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from ckm.core.audit import audit_record
from ckm.core.imports.registry import Column, FileLoader, LoadContext, Row
from ckm.core.imports.values import infer_type, parser_for
from ckm.core.models import AuditEntry

MAX_ISSUES_PER_FILE = 50_000
INFER_SAMPLE_ROWS = 1_000
_UNDECODABLE = re.compile("[\udc80-\udcff]")
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Issue:
    line: int
    column: str
    value: str
    reason: str


@dataclass
class FileReport:
    file: str
    status: str = "pending"  # loaded | rejected | skipped
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    rejected_rows: int = 0
    issue_count: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "rejected_rows": self.rejected_rows,
            "issue_count": self.issue_count,
            "seconds": round(self.seconds, 2),
            "rows_per_second": int(self.rows / self.seconds) if self.seconds else None,
            "notes": self.notes,
        }


class _Rollback(Exception):
    """Raised inside the file's transaction to undo everything the file wrote."""


class _CountingReader(io.RawIOBase):
    """Counts bytes read from a binary file, so progress follows the file size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


def _open_text(path: Path, encoding: str) -> tuple[IO[str], _CountingReader, IO[bytes]]:
    raw = path.open("rb")
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(
        io.BufferedReader(counter, buffer_size=1 << 20),
        encoding="utf-8-sig"
        if encoding.lower().replace("_", "-") in {"utf-8", "utf8"}
        else encoding,
        errors="surrogateescape",
        newline="",
    )
    return text, counter, raw


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each one starts on (quoted fields may span lines)."""
    next_line = reader.line_num + 1
    for record in reader:
        yield next_line, record
        next_line = reader.line_num + 1


def _content_key(values: list[str], occurrence: int) -> str:
    digest = hashlib.sha1("\x1f".join(values).encode("utf-8", "surrogateescape")).hexdigest()
    return f"h:{digest[:30]}:{occurrence}"


def load_file(
    loader: FileLoader,
    path: Path,
    ctx: LoadContext,
    *,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Load one file: validate every row, write valid batches, roll back if any row is bad."""
    report = FileReport(file=loader.filename)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            _load(loader, path, ctx, report, progress)
            if report.issue_count:
                raise _Rollback
            report.status = "loaded"
            _audit_file(ctx, report)  # with the rows it accounts for
    except _Rollback:
        # ids cached by loaders may point at rows this file created and the rollback removed
        ctx.cache.clear()
        report.status = "rejected"
        report.inserted = report.updated = 0
        _audit_file(ctx, report)
    report.seconds = time.perf_counter() - started
    return report


def _audit_file(ctx: LoadContext, report: FileReport) -> None:
    """The file's entry on its import run (a package import; a single file loaded for a page,
    such as campaign responses, is audited by its service)."""
    if not ctx.run_id:
        return
    audit_record(
        actor=ctx.user,
        action=AuditEntry.Action.IMPORT,
        object_type="core.importrun",
        object_id=ctx.run_id,
        object_repr=f"import {ctx.run_id}",
        summary=(
            f"{report.file}: {report.status}, {report.inserted} inserted, {report.updated} "
            f"updated, {report.issue_count} problems"
        ),
    )


def _load(
    loader: FileLoader,
    path: Path,
    ctx: LoadContext,
    report: FileReport,
    progress: Callable[[int], None] | None,
) -> None:
    def problem(line: int, column: str, value: str, reason: str) -> None:
        report.issue_count += 1
        if len(report.issues) < MAX_ISSUES_PER_FILE:
            report.issues.append(Issue(line, column, value[:200], reason[:300]))

    if path.stat().st_size == 0:
        wanted = ", ".join(c.name for c in loader.columns if c.required)
        problem(1, "", "", f"the file is empty: expected a header row ({wanted}, ...)")
        return

    encoding = str(ctx.manifest.get("encoding") or "utf-8")
    zone = ZoneInfo(settings.TIME_ZONE)
    text, counter, raw = _open_text(path, encoding)
    with raw:
        reader = csv.reader(text, strict=False)
        try:
            header = next(reader)
        except StopIteration:
            problem(1, "", "", "the file is empty: expected a header row")
            return
        names = [h.strip().lower() for h in header]
        if any(_UNDECODABLE.search(n) for n in names):
            problem(1, "", "", f"the header is not valid {encoding}; save the file as UTF-8")
            return
        standard = {c.name: c for c in loader.columns}
        if not _check_header(loader, names, standard, problem):
            return

        extra_names = [n for n in names if n not in standard]
        extra_types = _extra_types(loader, path, ctx, names, extra_names, report)
        if extra_types is None:
            problem(1, "", "", "the manifest declares an unknown column type (see notes)")
            return

        parsers: list[tuple[int, str, Column | None, Callable[[str], Any]]] = []
        for index, name in enumerate(names):
            column = standard.get(name)
            if column is not None:
                type_name = "string" if column.choices else column.type
                parsers.append((index, name, column, parser_for(type_name, zone)))
            elif name in extra_types:
                parsers.append((index, name, None, parser_for(extra_types[name], zone)))

        loader.begin(ctx)
        key_index = names.index(loader.key) if loader.key and loader.key in names else None
        content_indexes = [names.index(c) for c in loader.content_key if c in names]
        seen_keys: dict[str, int] = {}
        content_seen: dict[str, int] = {}
        batch: list[Row] = []
        width = len(names)
        progress_every = 5_000
        for line, record in _records(reader):
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            report.rows += 1
            if report.rows % progress_every == 0 and progress is not None:
                progress(counter.count)
            errors_before = report.issue_count
            if len(record) != width:
                problem(line, "", "", f"expected {width} fields, found {len(record)}")
                report.rejected_rows += 1
                continue
            values: dict[str, Any] = {}
            extras: dict[str, Any] = {}
            unparsed: set[str] = set()  # columns already reported on this line
            for index, name, column, parse in parsers:
                cell = record[index].strip()
                if _UNDECODABLE.search(cell):
                    unparsed.add(name)
                    problem(
                        line,
                        name,
                        cell.encode("utf-8", "replace").decode(),
                        (
                            f"not valid {encoding}: save the file as UTF-8 or declare "
                            "its encoding in manifest.yaml"
                        ),
                    )
                    continue
                if cell == "":
                    if column is not None and column.required:
                        unparsed.add(name)
                        problem(line, name, "", "required value is missing")
                    if column is not None:
                        values[name] = None
                    continue
                if column is not None and column.max_length and len(cell) > column.max_length:
                    unparsed.add(name)
                    problem(line, name, cell, f"longer than {column.max_length} characters")
                    continue
                if column is not None and column.choices:
                    lowered = cell.lower()
                    if lowered not in column.choices:
                        unparsed.add(name)
                        problem(line, name, cell, f"must be one of: {', '.join(column.choices)}")
                        continue
                    values[name] = lowered
                    continue
                try:
                    parsed = parse(cell)
                except ValueError as exc:
                    unparsed.add(name)
                    problem(line, name, cell, str(exc))
                    continue
                if column is not None:
                    values[name] = parsed
                else:
                    extras[name] = parsed
            for column in loader.columns:
                values.setdefault(column.name, None)

            key = ""
            key_value = record[key_index].strip() if key_index is not None else ""
            if key_value:
                first = seen_keys.get(key_value)
                if first is not None:
                    problem(
                        line,
                        loader.key or "",
                        key_value,
                        f"duplicate id: first used on line {first}",
                    )
                else:
                    seen_keys[key_value] = line
                key = key_value
            elif loader.key_required:
                pass  # reported as a missing required value above
            else:
                content = [record[i].strip() for i in content_indexes]
                probe = _content_key(content, 0)
                occurrence = content_seen.get(probe, 0)
                content_seen[probe] = occurrence + 1
                key = _content_key(content, occurrence)

            # the row's checks run even after a bad value, so one upload shows every problem
            # of the row; a check about a column already reported is left out
            row = Row(line=line, values=values, extras=extras, key=key)
            for column_name, reason in loader.check(row, ctx):
                if column_name not in unparsed:
                    problem(line, column_name, str(values.get(column_name) or ""), reason)
            if report.issue_count != errors_before:
                report.rejected_rows += 1
            elif report.issue_count == 0:
                batch.append(row)
                if len(batch) >= loader.batch_size:
                    _write(loader, batch, ctx, report)
                    batch = []

        if report.issue_count == 0 and batch:
            _write(loader, batch, ctx, report)
        if report.issue_count == 0:
            loader.finish(ctx, extra_types)
        if progress is not None:
            progress(counter.count)


def _write(loader: FileLoader, batch: list[Row], ctx: LoadContext, report: FileReport) -> None:
    inserted, updated = loader.write(batch, ctx)
    report.inserted += inserted
    report.updated += updated


def _check_header(
    loader: FileLoader,
    names: list[str],
    standard: dict[str, Column],
    problem: Callable[[int, str, str, str], None],
) -> bool:
    ok = True
    duplicates = sorted({n for n in names if names.count(n) > 1})
    for name in duplicates:
        problem(1, name, "", "the column appears more than once in the header")
        ok = False
    if any(n == "" for n in names):
        problem(1, "", "", "the header has an empty column name")
        ok = False
    for column in loader.columns:
        if column.required and column.name not in names:
            problem(1, column.name, "", "required column is missing from the header")
            ok = False
    if loader.key and loader.key_required and loader.key not in names:
        ok = False
    return ok


def _extra_types(
    loader: FileLoader,
    path: Path,
    ctx: LoadContext,
    names: list[str],
    extra_names: list[str],
    report: FileReport,
) -> dict[str, str] | None:
    """Types of the non-standard columns: declared in the manifest, else inferred."""
    if not extra_names:
        return {}
    if loader.extras == "ignore":
        report.notes.append(
            f"ignored columns that are not part of the format: {', '.join(extra_names)}"
        )
        return {}
    stem = Path(loader.filename).stem
    declared: dict[str, str] = {
        str(k).strip().lower(): str(v).strip().lower()
        for k, v in ((ctx.manifest.get("columns") or {}).get(stem) or {}).items()
    }
    types: dict[str, str] = {}
    unknown = [n for n in extra_names if n not in declared]
    samples: dict[str, list[str]] = {n: [] for n in unknown}
    if unknown:
        encoding = str(ctx.manifest.get("encoding") or "utf-8")
        text, _, raw = _open_text(path, encoding)
        with raw:
            reader = csv.reader(text, strict=False)
            next(reader, None)
            for i, record in enumerate(reader):
                if i >= INFER_SAMPLE_ROWS:
                    break
                if len(record) != len(names):
                    continue
                for name in unknown:
                    samples[name].append(record[names.index(name)].strip())
    for name in extra_names:
        if name in declared:
            type_name = declared[name]
            try:
                parser_for(type_name, ZoneInfo(settings.TIME_ZONE))
            except ValueError as exc:
                report.notes.append(f"column {name}: {exc}")
                return None
            types[name] = type_name
        else:
            types[name] = infer_type(samples[name])
            report.notes.append(f"column {name}: type inferred as {types[name]}")
    return types


def file_size(path: Path) -> int:
    return os.path.getsize(path) if path.exists() else 0
