"""Storage of trained model artefacts (scikit-learn pipelines, vectors) under VAR_DIR/models.

A model version row of any app keeps the artefact key; the file holds the fitted object."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings


def _root() -> Path:
    path = Path(settings.VAR_DIR) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def artifact_save(obj: Any, *, kind: str) -> str:
    """Persist an object; returns its key ('<kind>/<random>.joblib')."""
    key = f"{kind}/{secrets.token_hex(8)}.joblib"
    path = _root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(obj, path, compress=3)
    return key


def artifact_load(key: str) -> Any:
    """Load a persisted object by key."""
    path = (_root() / key).resolve()
    if _root().resolve() not in path.parents:
        raise ValueError("artefact key outside the model store")
    return joblib.load(path)


def artifact_checksum(key: str) -> str:
    digest = hashlib.sha256()
    with (_root() / key).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
