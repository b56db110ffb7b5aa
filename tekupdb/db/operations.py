"""Migration operations: each app's first migration creates its schema; extensions are created only
where the server has them installed, else `migrate` stops with what to install."""

from django.contrib.postgres import operations as postgres_operations
from django.core.management.base import CommandError
from django.db import router
from django.db.migrations.operations.base import Operation

# What to install when an extension is missing from the server, by extension name.
_INSTALL_HINTS = {
    "vector": (
        "pgvector: on Debian/Ubuntu `apt install postgresql-<major>-pgvector`, in Docker the "
        "pgvector/pgvector:pg16 image; most managed PostgreSQL services (Render, RDS, Supabase) have it"
    ),
}


class CreateSchema(Operation):
    """Create a PostgreSQL schema; reversing drops it (RESTRICT: refused while it still holds tables)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, name: str):
        self.name = name

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.name], {})

    def state_forwards(self, app_label, state):
        pass  # a schema is not part of Django's model state

    def _applies(self, app_label, schema_editor) -> bool:
        # Asked like Django's own operations ask, so that a sibling's SiblingRouter skips it too.
        connection = schema_editor.connection
        return connection.vendor == "postgresql" and router.allow_migrate(connection.alias, app_label)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(app_label, schema_editor):
            schema_editor.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_editor.quote_name(self.name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(app_label, schema_editor):
            schema_editor.execute(f"DROP SCHEMA IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self):
        return f"Create schema {self.name}"

    @property
    def migration_name_fragment(self):
        return f"create_schema_{self.name}"


class CreateExtension(postgres_operations.CreateExtension):
    """CREATE EXTENSION, but first check that the server has it installed: PostgreSQL's own error
    ("could not open extension control file ...") names a file on the server, not what to do."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql" and not self.extension_exists(
            schema_editor, self.name
        ):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [self.name])
                available = cursor.fetchone() is not None
            if not available:
                settings = schema_editor.connection.settings_dict
                hint = _INSTALL_HINTS.get(self.name, f"the {self.name} extension")
                raise CommandError(
                    f"The PostgreSQL server of database {settings['NAME']!r} has no '{self.name}' extension "
                    f"installed, which the {app_label} app needs. Install {hint}; then run migrate again. "
                    "(Without DATABASE_URL the embedded server, which includes it, is used.)"
                )
        super().database_forwards(app_label, schema_editor, from_state, to_state)


class SyncForeignKeyActions(Operation):
    """Re-create the foreign keys of the listed apps' tables with their fields' ON DELETE actions.

    Foreign keys created before the schema-aware backend knew about actions are `NO ACTION`; this
    brings them in line with `on_delete` (the schema editor decides the SQL). Backwards it does nothing:
    the older migrations do not depend on the actions, and dropping them would only break plain-SQL
    deletes.
    """

    reversible = True
    reduces_to_sql = False

    def __init__(self, app_labels: list[str] | None = None):
        self.app_labels = app_labels

    def deconstruct(self):
        kwargs = {"app_labels": self.app_labels} if self.app_labels else {}
        return (self.__class__.__qualname__, [], kwargs)

    def state_forwards(self, app_label, state):
        pass  # the models' state already holds on_delete

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not hasattr(schema_editor, "sync_foreign_key_actions"):
            return
        if not router.allow_migrate(schema_editor.connection.alias, app_label):
            return  # a sibling project's migrate (SiblingRouter) leaves the six schemas alone
        labels = set(self.app_labels or [app_label])
        for model in to_state.apps.get_models(include_auto_created=True):
            if model._meta.app_label in labels and model._meta.managed and not model._meta.proxy:
                schema_editor.sync_foreign_key_actions(model)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        labels = ", ".join(self.app_labels or ["this app"])
        return f"Re-create the foreign keys of {labels} with ON DELETE actions"

    @property
    def migration_name_fragment(self):
        return "foreign_key_on_delete_actions"


class PartitionByMonth(Operation):
    """Make the table of `model_name` range-partitioned by month on `column`, keeping every row
    (tekupdb.db.partitions.partition_existing_table); backwards, one plain table again.

    Django's model state does not change (the model keeps `id` as its primary key): use it inside
    `SeparateDatabaseAndState(database_operations=[...])` so that the migration says so.
    """

    reversible = True
    reduces_to_sql = False
    atomic = True

    def __init__(self, table: str, column: str, ahead: int = 3):
        self.table, self.column, self.ahead = table, column, ahead

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"table": self.table, "column": self.column, "ahead": self.ahead},
        )

    def state_forwards(self, app_label, state):
        pass  # the database's primary key gains the partition column; Django's stays `id`

    def _applies(self, app_label, schema_editor) -> bool:
        connection = schema_editor.connection
        return connection.vendor == "postgresql" and router.allow_migrate(connection.alias, app_label)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        from . import partitions

        if self._applies(app_label, schema_editor):
            with schema_editor.connection.cursor() as cursor:
                partitions.partition_existing_table(
                    cursor, table=self.table, column=self.column, ahead=self.ahead
                )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        from . import partitions

        if self._applies(app_label, schema_editor):
            with schema_editor.connection.cursor() as cursor:
                partitions.unpartition_table(cursor, table=self.table, column=self.column)

    def describe(self):
        return f"Partition {self.table} by month on {self.column}"

    @property
    def migration_name_fragment(self):
        return f"partition_{self.table.replace('.', '_')}_by_month"
