"""Background work runs in a real worker process: the database queue (`ckm worker`) and the
Redis-backed RQ workers. Each test uses its own SQLite file through subprocesses, as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ckm.core.tests.package_files import write_package

pytestmark = pytest.mark.slow


def ckm(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "ckm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def environment(tmp_path: Path, backend: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        CKM_VAR_DIR=str(tmp_path / "var"),
        CKM_TASK_BACKEND=backend,
        DJANGO_SETTINGS_MODULE="ckm.settings",
    )
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    return env


STATUS = "from ckm.core.models import ImportRun; print(ImportRun.objects.get().status)"


def test_the_database_worker_runs_a_queued_import(tmp_path: Path) -> None:
    env = environment(tmp_path, "database")
    ckm(env, "migrate", "-v", "0")
    ckm(env, "import", "--background", str(write_package(tmp_path / "pkg")))
    assert ckm(env, "shell", "--no-imports", "-c", STATUS).stdout.strip() == "queued"
    ckm(env, "worker", "--max-tasks", "1", "--interval", "0.1")
    assert ckm(env, "shell", "--no-imports", "-c", STATUS).stdout.strip() == "succeeded"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_a_redis_worker_runs_a_queued_import(tmp_path: Path) -> None:
    env = environment(tmp_path, "redis")
    ckm(env, "migrate", "-v", "0")
    ckm(
        env,
        "shell",
        "--no-imports",
        "-c",
        "import django_rq; django_rq.get_queue('default').empty()",
    )
    ckm(env, "import", "--background", str(write_package(tmp_path / "pkg")))
    assert ckm(env, "shell", "--no-imports", "-c", STATUS).stdout.strip() == "queued"
    ckm(env, "worker", "--burst")
    assert ckm(env, "shell", "--no-imports", "-c", STATUS).stdout.strip() == "succeeded"
