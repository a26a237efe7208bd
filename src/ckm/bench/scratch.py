"""A scratch database for a benchmark, so `ckm bench` never touches the working data.

SQLite: a file next to the working database (bench-<name>.sqlite3); PostgreSQL: a database named
test_<name>_bench. Created fresh (or kept with --keep-db), migrated, and dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection


@contextmanager
def scratch_database(name: str, *, keep: bool = False) -> Iterator[None]:
    """Switch the default connection to a fresh, migrated database for the block."""
    test_settings = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(Path(settings.VAR_DIR) / f"bench-{name}.sqlite3")
    else:
        test_settings["NAME"] = f"test_{connection.settings_dict['NAME']}_bench_{name}".replace(
            "-", "_"
        )
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep, serialize=False)
    try:
        yield
    finally:
        if keep:
            connection.close()
            connection.settings_dict["NAME"] = old_name
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
