"""Production settings: everything secure by default; passes `manage.py check --deploy`."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from ckm.core.conf import cache_config
from ckm.settings import *  # noqa: F403
from ckm.settings import STORAGES

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY (at least 50 random characters) for production.")

# several gunicorn workers: one cache for all of them (a database table unless Redis is named)
CACHES = {"default": cache_config(os.environ.get("CACHE_URL") or "db")}

SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
