"""Migration operations for PostgreSQL schemas: each app's first migration creates its schema."""

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

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_editor.quote_name(self.name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP SCHEMA IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self):
        return f"Create schema {self.name}"

    @property
    def migration_name_fragment(self):
        return f"create_schema_{self.name}"


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
