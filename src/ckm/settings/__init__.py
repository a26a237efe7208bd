"""Settings for every environment, read from the process environment.

`ckm.settings` is the default (laptop: SQLite under var/, debug on unless DEBUG=0).
`ckm.settings.production` tightens security and requires SECRET_KEY; `ckm.settings.test` is for pytest.
See .env.example for every variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from ckm.core.conf import cache_config, env_bool, env_list, load_dotenv, var_dir

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent.parent
load_dotenv(REPO_DIR / ".env")

VAR_DIR = var_dir(REPO_DIR)
DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    # domain apps, in the order of DESIGN.md's import arrows
    "ckm.core",
    "ckm.customers",
    "ckm.interactions",
    "ckm.knowledge",
    "ckm.service",
    "ckm.feedback",
    "ckm.sales",
    "ckm.analytics",
    "ckm.campaigns",
    "ckm.research",
    # faces: they compose the domain apps; nothing imports them
    "ckm.performance",
    "ckm.desk",
    "ckm.portal",
    "ckm.api",
    "ckm.bench",
    "ckm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ckm.core.middleware.AuditContextMiddleware",
    "ckm.core.middleware.DomainErrorMiddleware",
    "ckm.core.middleware.ApiJsonErrorsMiddleware",
]

ROOT_URLCONF = "ckm.urls"
WSGI_APPLICATION = "ckm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ckm.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'ckm.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a busy timeout instead of "locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-64000;"
            " PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["ckm.core.auth.RoleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads stream to disk above 2.5 MB; imports may be large (the limit is CKM_IMPORT_MAX_BYTES).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
CKM_IMPORT_MAX_BYTES = int(os.environ.get("CKM_IMPORT_MAX_BYTES", str(2 * 1024**3)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(10 * 60 * 60)))
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; kept default
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Background work: immediate (in the caller), database (a `ckm worker` process) or redis (RQ workers).
CKM_TASK_BACKEND = os.environ.get("CKM_TASK_BACKEND", "database")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
}
TASKS = {"default": _TASK_BACKENDS[CKM_TASK_BACKEND]}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
if CKM_TASK_BACKEND == "redis":
    INSTALLED_APPS.append("django_rq")

# The cache (the portal's throttle, the dashboards' figures): per process here; production
# shares it (see production.py).
CACHES = {"default": cache_config(os.environ.get("CACHE_URL", ""))}
# How long the service desk dashboard keeps its figures before counting again (its Refresh
# button counts at once).
CKM_DASHBOARD_CACHE_SECONDS = int(os.environ.get("CKM_DASHBOARD_CACHE_SECONDS", "300"))

# Who sees which customers (record-level access), per role. Values:
#   all      - every customer (a contact centre serves whoever calls)
#   team     - customers they own or that belong to their team
#   managed  - customers of the teams they manage, and their own team's
#   none     - no customer records (aggregates only)
CKM_CUSTOMER_SCOPE = {
    "agent": "all",
    "relationship_manager": "team",
    "marketer": "all",
    "knowledge_editor": "none",
    "product_manager": "none",
    "manager": "managed",
    "admin": "all",
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
