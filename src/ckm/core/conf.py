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


CACHE_TABLE = "ckm_cache"


def cache_config(url: str) -> dict[str, str]:
    """The default cache from CACHE_URL: empty or `locmem` (one process: `ckm serve`), `db` (a
    table shared by every web process; `ckm migrate` creates it) or `redis://host:port/db`.
    Several gunicorn workers need a shared one, or each keeps its own portal throttle."""
    url = url.strip()
    if url in ("", "locmem"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"CACHE_URL must be empty, 'locmem', 'db' or a redis:// URL, not {url!r}."
    )
