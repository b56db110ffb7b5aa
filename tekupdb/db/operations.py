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
