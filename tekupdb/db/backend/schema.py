"""Schema editor that qualifies index and constraint names with their table's schema.

PostgreSQL keeps an index in its table's schema, and `DROP INDEX name`, `ALTER INDEX name` and
`SET CONSTRAINTS name` resolve a bare name through `search_path`: for a table in `vault`, Django's bare
names hit nothing (or, with IF EXISTS, silently nothing). Here each such statement gets a
`"schema".` prefix taken from the model's `db_table`.
"""

from django.db.backends.ddl_references import Statement
from django.db.backends.postgresql import schema as postgresql
from django.db.backends.utils import split_identifier


class DatabaseSchemaEditor(postgresql.DatabaseSchemaEditor):
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
