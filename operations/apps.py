from django.apps import AppConfig, apps


def _after_flush(kwargs) -> bool:
    """post_migrate is also sent after a flush (`manage.py flush`, and pytest-django after every test that
    commits), with no migration plan: the tables and their triggers are all still there."""
    return kwargs.get("plan") is None


def install_updated_at_triggers(using="default", **kwargs):
    """post_migrate: every model table with an `updated_at` column gets its touch trigger."""
    from django.db import connections

    if _after_flush(kwargs):
        return

    from tekupdb.db.triggers import ensure_updated_at_triggers

    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and any(field.column == "updated_at" for field in model._meta.concrete_fields)
    ]
    ensure_updated_at_triggers(connections[using], tables)


def ensure_embedded_readonly_role(using="default", **kwargs):
    """post_migrate (embedded server only): make the SQL tool's read-only role and its grants.

    On the embedded server the project owns the cluster, so `migrate` does what an operator does with
    `db_roles --apply` elsewhere; the grants are per database, so every migrated database gets them.
    """
    from django.conf import settings
    from django.db import connections

    from . import pg, roles
    from .health import app_schemas

    connection = connections[using]
    # Not after a flush: it keeps every table and so every grant (a restore grants the role again
    # itself, operations.restore).
    if (
        _after_flush(kwargs)
        or settings.READONLY_DATABASE not in settings.DATABASES
        or not connection.settings_dict.get("EMBEDDED_DATA_DIR")
    ):
        return
    from tekupdb.db.embedded import cluster_lock

    # The role and its settings belong to the whole cluster: written once, by one process at a time
    # (several may migrate databases of one cluster at once, as a parallel test run does), and never
    # again by later migrates, which may run inside a transaction (a test's) that would hold the
    # role's row until it ends. The grants are per database.
    with cluster_lock(connection.settings_dict["EMBEDDED_DATA_DIR"], "roles"), connection.cursor() as cursor:
        raw = cursor.connection  # the psycopg connection: pg's helpers and Composables take it
        exists, configured = roles.readonly_role_state(cursor)
        # A partial migrate (`migrate vault`) has made only some schemas: grant over those that hold
        # tables; the migrate that makes the others runs this again.
        tables = set(pg.list_tables(raw, app_schemas()))
        made = {schema for schema, _ in tables}
        statements = roles.readonly_sql(
            schemas=[schema for schema in app_schemas() if schema in made],
            database=connection.settings_dict["NAME"],
            create=not exists,
            role_settings=not configured,
            tables=tables,
        )
        for statement in statements:
            cursor.execute(statement.as_string(raw))


class OperationsConfig(AppConfig):
    """The project's own app (not installed by sibling projects): the operations commands, the admin
    console, and the database-wide set-up that `migrate` does here (updated_at triggers, the read-only
    role of the embedded server)."""

    name = "operations"
    verbose_name = "Operations"

    def ready(self):
        from django.conf import settings
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401 - registers the system checks

        # post_migrate is sent per app with models (operations has none); each pass costs two catalog queries
        # and creates only what is missing.
        post_migrate.connect(install_updated_at_triggers, dispatch_uid="tekupdb-updated-at-triggers")
        # Once per migrate (sent after every migration has run): "shared" always has models.
        post_migrate.connect(
            ensure_embedded_readonly_role,
            sender=apps.get_app_config("shared"),
            dispatch_uid="tekupdb-embedded-readonly-role",
        )

        if settings.DATABASES["default"].get("EMBEDDED_DATA_DIR"):
            from tekupdb.db.embedded import exit_cleanly_on_termination

            exit_cleanly_on_termination()
