"""How an app describes one file of the customer data package to the import engine."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class Column:
    """A standard column of a package file."""

    name: str
    type: str = "string"
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None


@dataclass
class Row:
    """One valid row: its line, parsed standard values, typed extra values and its key."""

    line: int
    values: dict[str, Any]
    extras: dict[str, Any]
    key: str


@dataclass
class LoadContext:
    """What a loader may know about the run it is part of."""

    run_id: int
    user: Any
    as_of: dt.date
    manifest: dict[str, Any]
    # per-run caches that loaders share (e.g. office codes created by an earlier file)
    cache: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class FileLoader(ABC):
    """One file of the package. Subclasses set the class attributes and implement write()."""

    filename: ClassVar[str]
    order: ClassVar[int]
    columns: ClassVar[Sequence[Column]]
    key: ClassVar[str | None] = None
    key_required: ClassVar[bool] = True
    # columns hashed into the key when the key column is absent or empty
    content_key: ClassVar[Sequence[str]] = ()
    # what happens to columns that are not standard
    extras: ClassVar[Literal["attributes", "keep", "ignore"]] = "ignore"
    batch_size: ClassVar[int] = 2000

    def begin(self, ctx: LoadContext) -> None:  # noqa: B027 - optional hook
        """Prepare lookups (id maps) before the first row."""

    def check(self, row: Row, ctx: LoadContext) -> list[tuple[str, str]]:
        """Semantic checks of one parsed row: a list of (column, reason). Empty means valid."""
        return []

    @abstractmethod
    def write(self, rows: list[Row], ctx: LoadContext) -> tuple[int, int]:
        """Upsert a batch of valid rows; return (inserted, updated)."""

    def finish(self, ctx: LoadContext, extra_types: dict[str, str]) -> None:  # noqa: B027
        """Called once after the last batch, inside the file's transaction."""


_LOADERS: dict[str, FileLoader] = {}
_AFTER_IMPORT: list[Callable[[int], None]] = []


def register_loader(loader: FileLoader) -> None:
    """Make a file part of the package format (called from an AppConfig.ready)."""
    _LOADERS[loader.filename] = loader


def loaders() -> list[FileLoader]:
    """Every registered file loader in load order."""
    return sorted(_LOADERS.values(), key=lambda loader: loader.order)


def register_after_import(hook: Callable[[int], None]) -> None:
    """Run `hook(run_id)` after every import that loaded at least one file (e.g. to evaluate
    early-warning rules on the new data). Called from an AppConfig.ready()."""
    if hook not in _AFTER_IMPORT:
        _AFTER_IMPORT.append(hook)


def after_import_hooks() -> list[Callable[[int], None]]:
    return list(_AFTER_IMPORT)
