"""The backend of the SQL tool's read-only alias: the project's backend, one statement per execute.

The read-only role (operations.roles) refuses writes and DDL. What a role cannot refuse is a string of
several statements, so every statement goes through PostgreSQL's extended query protocol (psycopg's
`prepare=True`), where the server itself rejects "SELECT 1; SET ..." with "cannot insert multiple
commands into a prepared statement". psycopg would otherwise send a parameterless string with the simple
protocol, which runs any number of statements.

Introspection lists and describes only what this role may read: Django's `get_table_description` runs
`SELECT *`, which the column grants refuse on tables with withheld columns (shared.users, say).
"""

from __future__ import annotations

from django.db.backends.postgresql.base import ServerBindingCursor

from ..backend import base
from ..backend.introspection import DatabaseIntrospection as SchemaIntrospection
from ..backend.introspection import FieldInfo


class SingleStatementCursor(ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class DatabaseIntrospection(SchemaIntrospection):
    def get_table_list(self, cursor):
        tables = super().get_table_list(cursor)
        quoted = {self._regclass_param(table.name): table for table in tables}
        cursor.execute(
            "SELECT name FROM unnest(%s::text[]) AS name "
            "WHERE has_any_column_privilege(to_regclass(name), 'SELECT')",
            [list(quoted)],
        )
        return [quoted[row[0]] for row in cursor.fetchall()]

    def get_table_description(self, cursor, table_name):
        cursor.execute(
            """
            SELECT a.attname,
                   NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)),
                   pg_get_expr(ad.adbin, ad.adrelid),
                   CASE WHEN collname = 'default' THEN NULL ELSE collname END,
                   a.attidentity != '',
                   col_description(a.attrelid, a.attnum)
            FROM pg_attribute a
            LEFT JOIN pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
            LEFT JOIN pg_collation co ON a.attcollation = co.oid
            JOIN pg_type t ON a.atttypid = t.oid
            WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
              AND has_column_privilege(a.attrelid, a.attnum, 'SELECT')
            ORDER BY a.attnum
            """,
            [self._regclass_param(table_name)],
        )
        field_map = {line[0]: line[1:] for line in cursor.fetchall()}
        if not field_map:
            return []
        columns = ", ".join(self.connection.ops.quote_name(name) for name in field_map)
        cursor.execute(f"SELECT {columns} FROM {self.connection.ops.quote_name(table_name)} LIMIT 0")
        return [
            FieldInfo(
                line.name,
                line.type_code,
                line.internal_size if line.display_size is None else line.display_size,
                line.internal_size,
                line.precision,
                line.scale,
                *field_map[line.name],
            )
            for line in cursor.description
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    introspection_class = DatabaseIntrospection
    # The role writes nothing, so there is no actor to hand to the audit triggers: shared.audit's execute
    # wrapper (which would put a set_config() in front of a write) is not installed on this alias.
    carries_audit_actor = False

    def get_connection_params(self):
        params = super().get_connection_params()
        params["cursor_factory"] = SingleStatementCursor
        # Django turns psycopg's prepared statements off (None); `prepare=True` needs them on.
        params["prepare_threshold"] = 0
        return params
