"""A tqdm progress bar as a core.jobs progress callback (shared by the analytics commands)."""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

from ckm.core.jobs import Progress


def progress_bar(desc: str, *, verbosity: int) -> tuple[Any, Progress]:
    bar = tqdm(
        total=100,
        desc=desc,
        bar_format="{desc}: {percentage:3.0f}%|{bar:30}| {postfix}",
        disable=verbosity == 0,
    )

    def progress(done: int, total: int, message: str) -> None:
        bar.n = int(100 * done / total) if total else 0
        bar.set_postfix_str(message[:60], refresh=False)
        bar.refresh()

    return bar, progress
