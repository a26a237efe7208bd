"""The on-disk cache of sentence vectors: a vector that is read stays, one nobody reads for the
given age is pruned (`ckm embeddings-prune`)."""

from __future__ import annotations

import os
import time
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from ckm.knowledge import embeddings


def cached(text: str, age_days: float) -> Any:
    key = embeddings._key(text)
    path = embeddings.cache_dir() / key[:2] / f"{key}.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.full(embeddings.DIMENSIONS, 0.5, dtype=np.float32))
    then = time.time() - age_days * 24 * 3600
    os.utime(path, (then, then))
    return path


def test_a_vector_that_is_read_stays_and_an_unread_one_is_pruned(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    read = cached("my card was stolen", age_days=200)
    unread = cached("a message from long ago", age_days=200)
    recent = cached("written yesterday", age_days=1)

    vectors = embeddings.embed(["my card was stolen"], cache=True)  # from the file, no model
    assert vectors.shape == (1, embeddings.DIMENSIONS) and vectors[0, 0] == pytest.approx(0.5)

    result = embeddings.cache_prune(older_than_days=90)
    assert result == {"kept": 2, "removed": 1, "bytes_freed": result["bytes_freed"]}
    assert result["bytes_freed"] > 4 * embeddings.DIMENSIONS
    assert read.exists() and recent.exists() and not unread.exists()


def test_the_command_reports_and_refuses_a_too_short_age(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    cached("old", age_days=400)
    out = StringIO()
    call_command("embeddings-prune", "--days", "365", stdout=out)
    assert "removed 1 vectors" in out.getvalue() and "kept 0" in out.getvalue()
    with pytest.raises(CommandError, match="at least 1"):
        call_command("embeddings-prune", "--days", "0")
