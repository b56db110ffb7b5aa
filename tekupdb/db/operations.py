"""Migration operations for PostgreSQL schemas: each app's first migration creates its schema."""

from django.db import router
from django.db.migrations.operations.base import Operation


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
