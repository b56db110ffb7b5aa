"""System checks for every project that installs the Tekup apps: this one and its sibling services.

- The user model: the apps' tables refer to `shared.users`, so `AUTH_USER_MODEL` must be `shared.User`.
- Version skew, in a sibling (a project with `tekupdb.db.routers.SiblingRouter` installed): the
  sibling never migrates the Tekup apps, so the migrations its installed package has must be the
  ones this project applied to the shared database. Behind → an error (the sibling would query
  columns that do not exist yet); ahead → a warning (the database is newer than the package, which
  the expand-only migrations of DATA_MODEL.md keep working). A database check: it runs under
  `manage.py check --database <alias>` and before `migrate`, never at import.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connections, router, transaction
from django.db.migrations.loader import MigrationLoader

from tekupdb.db.routers import TEKUP_APP_LABELS, is_installed

# This project migrates the shared database with the default search_path, so its migration records
# are in public. Named in full: a sibling with its own schema has a django_migrations of its own.
MIGRATIONS_TABLE = '"public"."django_migrations"'


@checks.register(checks.Tags.models)
def check_user_model(app_configs=None, **kwargs):
    if app_configs is not None and not any(config.label == "shared" for config in app_configs):
        return []
    if settings.AUTH_USER_MODEL == "shared.User":
        return []
    return [
        checks.Error(
            f"AUTH_USER_MODEL is {settings.AUTH_USER_MODEL!r}, but the app 'shared' is installed: the "
            "Tekup tables refer to the users in shared.users.",
            hint="Set AUTH_USER_MODEL = 'shared.User'.",
            id="shared.E001",
        )
    ]


@checks.register()
def check_pgtrigger_installed(app_configs=None, **kwargs):
    """The apps' migrations hold django-pgtrigger's AddTrigger operations (the audit triggers): without
    the app `pgtrigger`, Django cannot even build their migration state (Meta has no "triggers")."""
    if apps.is_installed("pgtrigger"):
        return []
    return [
        checks.Error(
            "The app 'shared' is installed without 'pgtrigger' (django-pgtrigger): the Tekup apps' "
            "migrations declare their audit triggers with it.",
            hint="Add 'pgtrigger' to INSTALLED_APPS.",
            id="shared.E004",
        )
    ]


def installed_tekup_labels() -> list[str]:
    return sorted(config.label for config in apps.get_app_configs() if config.label in TEKUP_APP_LABELS)


def package_migrations(labels) -> tuple[dict[tuple[str, str], tuple], set[tuple[str, str]]]:
    """({migration: the migrations it replaces}, every name the package knows) for these apps.

    From the files only (no connection): the effective graph, where a squashed migration stands for
    the ones it replaces, and all names, replaced ones included.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    effective = {
        key: tuple(loader.graph.nodes[key].replaces or ()) for key in loader.graph.nodes if key[0] in labels
    }
    known = {key for key in loader.disk_migrations if key[0] in labels}
    for replaced in effective.values():
        known.update(replaced)
    return effective, known


def applied_migrations(connection, labels) -> set[tuple[str, str]] | None:
    """The Tekup migrations recorded in the shared database; None when it has no migrations table."""
    # A savepoint inside a transaction: a refused read must not break the caller's transaction.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [MIGRATIONS_TABLE])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT app, name FROM {MIGRATIONS_TABLE} WHERE app = ANY(%s)", [list(labels)])
        return {(app, name) for app, name in cursor.fetchall()}


def version_skew(connection, labels) -> tuple[list[str], list[str], bool]:
    """(missing, newer, table_exists): "app.name" of the migrations the database lacks / has beyond
    the package."""
    effective, known = package_migrations(labels)
    applied = applied_migrations(connection, labels)
    if applied is None:
        return sorted(f"{app}.{name}" for app, name in effective), [], False
    missing = [
        key
        for key, replaces in effective.items()
        if key not in applied and not (replaces and all(old in applied for old in replaces))
    ]
    newer = applied - known
    return sorted(f"{app}.{name}" for app, name in missing), sorted(f"{a}.{n}" for a, n in newer), True


def _tekup_aliases(labels) -> set[str]:
    """The databases the sibling reads the Tekup models from (its routers may send them elsewhere)."""
    return {
        router.db_for_read(model) for label in labels for model in apps.get_app_config(label).get_models()
    }


@checks.register(checks.Tags.database)
def check_version_skew(app_configs=None, databases=None, **kwargs):
    if not databases or not is_installed(settings.DATABASE_ROUTERS):
        return []
    labels = installed_tekup_labels()
    messages = []
    for alias in sorted(set(databases) & _tekup_aliases(labels)):
        try:
            missing, newer, table_exists = version_skew(connections[alias], labels)
        except DatabaseError as exc:
            messages.append(
                checks.Error(
                    f"Cannot read the Tekup migrations ({MIGRATIONS_TABLE}) on database '{alias}': "
                    f"{str(exc).strip()}",
                    hint="Connect to the shared Tekup database with a role that `manage.py db_roles` "
                    "made: it may read that table.",
                    id="shared.E003",
                )
            )
            continue
        if missing:
            where = "" if table_exists else f" (it has no {MIGRATIONS_TABLE} table)"
            messages.append(
                checks.Error(
                    f"The Tekup database '{alias}' lacks migrations that the installed tekupdb package "
                    f"has{where}: {', '.join(missing)}. Deploy the Tekup database first.",
                    hint="The Tekup database project runs its migrate against the shared database when it "
                    "deploys; deploy it at this package's version before this service. A sibling never "
                    "migrates the Tekup apps.",
                    id="shared.E002",
                )
            )
        if newer:
            messages.append(
                checks.Warning(
                    f"The Tekup database '{alias}' has migrations newer than the installed tekupdb "
                    f"package: {', '.join(newer)}.",
                    hint="Upgrade the tekupdb package this service pins to the version the database runs.",
                    id="shared.W001",
                )
            )
    return messages
