"""Settings read from the environment: the shared cache production needs for several web
processes (the portal's throttle), and the table `ckm migrate` creates for it."""

from __future__ import annotations

import importlib

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from ckm.core.conf import CACHE_TABLE, cache_config


def test_cache_url_names_the_backend() -> None:
    assert cache_config("")["BACKEND"].endswith("LocMemCache")
    assert cache_config("db") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
    }
    assert cache_config("redis://127.0.0.1:6379/2")["LOCATION"] == "redis://127.0.0.1:6379/2"
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        cache_config("memcached://x")


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_cache_table_when_the_cache_is_the_database(settings) -> None:
    settings.CACHES = {**settings.CACHES, "shared": cache_config("db")}
    migration = importlib.import_module("ckm.core.migrations.0002_cache_table")
    try:
        migration.cache_table_create(None, connection.schema_editor())
        assert CACHE_TABLE in connection.introspection.table_names()
        shared = caches["shared"]
        assert shared.add("portal:contact:1.2.3.4", 1, timeout=60)
        assert not shared.add("portal:contact:1.2.3.4", 1, timeout=60)  # seen by every process
        assert shared.incr("portal:contact:1.2.3.4") == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {CACHE_TABLE}")
