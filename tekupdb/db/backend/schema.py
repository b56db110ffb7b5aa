"""Schema editor that qualifies index and constraint names with their table's schema, and gives every
foreign key the `ON DELETE` action of its field.

PostgreSQL keeps an index in its table's schema, and `DROP INDEX name`, `ALTER INDEX name` and
`SET CONSTRAINTS name` resolve a bare name through `search_path`: for a table in `vault`, Django's bare
names hit nothing (or, with IF EXISTS, silently nothing). Here each such statement gets a
`"schema".` prefix taken from the model's `db_table`.

Django 5.2 emulates `on_delete` in Python only and creates every foreign key as `NO ACTION`. Other
services delete rows of this database with plain SQL and rely on the original (Prisma) database's
`ON DELETE CASCADE / SET NULL / RESTRICT`; so the foreign key SQL here carries the action that matches
the field's `on_delete`, and a change of `on_delete` re-creates the constraint.
"""

from django.db import models
from django.db.backends.ddl_references import Statement
from django.db.backends.postgresql import schema as postgresql
from django.db.backends.utils import split_identifier

# The database action for each of Django's on_delete handlers. DO_NOTHING, SET(...) and SET_DEFAULT
# stay NO ACTION: the first says so, the others need Python to find the value.
ON_DELETE_SQL = {
    models.CASCADE: "CASCADE",
    models.SET_NULL: "SET NULL",
    models.PROTECT: "RESTRICT",
    models.RESTRICT: "RESTRICT",
}


def on_delete_action(field) -> str | None:
    """The `ON DELETE` action (`CASCADE`, `SET NULL`, `RESTRICT`) for a foreign key field, or None."""
    remote = getattr(field, "remote_field", None)
    if remote is None or field.many_to_many:
        return None
    return ON_DELETE_SQL.get(remote.on_delete)


class DatabaseSchemaEditor(postgresql.DatabaseSchemaEditor):
    # Columns added to an existing table get their foreign key from _create_fk_sql (deferred to the end
    # of the migration) instead of the inline form, which has no access to the field's on_delete.
    sql_create_column_inline_fk = None
    sql_delete_index = "DROP INDEX IF EXISTS %(namespace)s%(name)s"
    sql_delete_index_concurrently = "DROP INDEX CONCURRENTLY IF EXISTS %(namespace)s%(name)s"
    sql_rename_index = "ALTER INDEX %(namespace)s%(old_name)s RENAME TO %(new_name)s"
    sql_delete_fk = (
        "SET CONSTRAINTS %(namespace)s%(name)s IMMEDIATE; ALTER TABLE %(table)s DROP CONSTRAINT %(name)s"
    )

    def _namespace(self, db_table: str) -> str:
        schema, _ = split_identifier(db_table)
        return f"{self.quote_name(schema)}." if schema else ""

    def _with_namespace(self, statement: Statement, model) -> Statement:
        statement.parts["namespace"] = self._namespace(model._meta.db_table)
        return statement

    def _delete_index_sql(self, model, name, sql=None, concurrently=False):
        return self._with_namespace(super()._delete_index_sql(model, name, sql, concurrently), model)

    def _rename_index_sql(self, model, old_name, new_name):
        return self._with_namespace(super()._rename_index_sql(model, old_name, new_name), model)

    def _delete_fk_sql(self, model, name):
        return self._with_namespace(super()._delete_fk_sql(model, name), model)

    def _delete_constraint_sql(self, template, model, name):
        statement = super()._delete_constraint_sql(template, model, name)
        if "%(namespace)s" in template:
            self._with_namespace(statement, model)
        return statement

    def _create_fk_sql(self, model, field, suffix):
        statement = super()._create_fk_sql(model, field, suffix)
        action = on_delete_action(field)
        if action:
            # RESTRICT is checked at once even on a deferrable constraint; CASCADE and SET NULL act at
            # once too. DEFERRABLE INITIALLY DEFERRED still defers the check of inserted references.
            statement.parts["deferrable"] = f" ON DELETE {action}{statement.parts['deferrable']}"
        return statement

    def _field_should_be_altered(self, old_field, new_field, ignore=None):
        # on_delete is a "non-db" attribute to Django; here it decides the constraint's action.
        if on_delete_action(old_field) != on_delete_action(new_field) and not (
            ignore and "on_delete" in ignore
        ):
            return True
        return super()._field_should_be_altered(old_field, new_field, ignore)

    def sync_foreign_key_actions(self, model) -> int:
        """Re-create the foreign keys of `model` so that each carries its field's ON DELETE action.

        Used by the migrations that bring foreign keys created before this backend had actions up to
        date; running it again re-creates the same constraints. Returns the number re-created.
        """
        count = 0
        for field in model._meta.local_fields:
            if not (field.remote_field and field.db_constraint):
                continue
            for name in self._constraint_names(model, [field.column], foreign_key=True):
                self.execute(self._delete_fk_sql(model, name))
            self.execute(self._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s"))
            count += 1
        return count

    def create_model(self, model):
        # With --nomigrations no migration creates the schema: make sure it exists.
        schema, _ = split_identifier(model._meta.db_table)
        if schema:
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.quote_name(schema)}")
        super().create_model(model)

    def alter_db_table(self, model, old_db_table, new_db_table):
        """Rename a table, moving it to another schema first when its schema changes."""
        if old_db_table == new_db_table:
            return
        old_schema, old_table = split_identifier(old_db_table)
        new_schema, new_table = split_identifier(new_db_table)
        current = old_db_table
        if old_schema != new_schema:
            target = new_schema or self._current_schema()
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.quote_name(target)}")
            self.execute(f"ALTER TABLE {self.quote_name(current)} SET SCHEMA {self.quote_name(target)}")
            current = f'{new_schema}"."{old_table}' if new_schema else old_table
        if old_table != new_table:
            self.execute(f"ALTER TABLE {self.quote_name(current)} RENAME TO {self.quote_name(new_table)}")
        for sql in self.deferred_sql:
            if isinstance(sql, Statement):
                sql.rename_table_references(old_db_table, new_db_table)

    def _current_schema(self) -> str:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            return cursor.fetchone()[0]
