"""Settings helpers: read typed values from the environment (used by ckm.settings)."""

from __future__ import annotations

import os
from pathlib import Path


def load_dotenv(path: Path) -> None:
    """Load KEY=VALUE lines from a .env file into os.environ, never overriding what is set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def env_bool(name: str, *, default: bool) -> bool:
    """Read a boolean environment variable (1/0, true/false, yes/no)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, *, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def var_dir(repo_dir: Path) -> Path:
    """The directory for the database, uploads and reports (CKM_VAR_DIR, default ./var)."""
    path = Path(os.environ.get("CKM_VAR_DIR") or repo_dir / "var")
    (path / "static").mkdir(parents=True, exist_ok=True)
    return path
