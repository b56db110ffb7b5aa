"""Settings of a minimal sibling service, as docs/services.md tells one to write them.

It installs `shared` and `billy` from the tekupdb wheel, has one app of its own (`reminders`), and
connects to the shared database as the billy role that `manage.py db_roles` makes. Its own tables go
into its own schema (SIBLING_SCHEMA, first on the search_path); SiblingRouter keeps its `migrate`
away from the Tekup apps.

SIBLING_TEKUP_APPS and SIBLING_AUTH_USER_MODEL exist for the tests of bad configurations only.
"""

from urllib.parse import unquote

import environ

env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

TEKUP_APPS = env.list("SIBLING_TEKUP_APPS", default=["shared", "billy"])
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.postgres",
    "pgtrigger",  # the Tekup apps' migrations declare their audit triggers with django-pgtrigger
    *TEKUP_APPS,
    "reminders",
]
AUTH_USER_MODEL = env.str("SIBLING_AUTH_USER_MODEL", default="shared.User")

DATABASES = {"default": env.db("DATABASE_URL")}
# The tests' embedded server listens on a Unix socket, whose directory the URL carries percent-encoded.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
DATABASES["default"]["ENGINE"] = "tekupdb.db.backend"
SIBLING_SCHEMA = env.str("SIBLING_SCHEMA", default="")
if SIBLING_SCHEMA:
    # Its own tables, and Django's bookkeeping (django_migrations, content types), in its own schema.
    DATABASES["default"]["OPTIONS"] = {"options": f"-c search_path={SIBLING_SCHEMA},public"}
DATABASE_ROUTERS = ["tekupdb.db.routers.SiblingRouter"]

# The same keys, newest first, as the Tekup database project's TEKUPDB_ENCRYPTION_KEY.
TEKUPDB_ENCRYPTION_KEYS = env.list("TEKUPDB_ENCRYPTION_KEY")

USE_TZ = True
TIME_ZONE = "Europe/Copenhagen"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
