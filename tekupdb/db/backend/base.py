"""PostgreSQL backend that understands the project's schema-qualified tables.

Django has no schema support (ticket #6148). Tables are declared as `db_table = 'vault"."documents'`,
which Django quotes into `"vault"."documents"` correctly, but its PostgreSQL introspection only sees
tables visible on `search_path` by bare name, and its schema editor names indexes and constraints
unqualified. This backend closes that gap in three places:
- `introspection`: lists every schema's tables under the names the models use, and looks columns,
  sequences, relations and constraints up by the qualified name (flush, reset_sequences, migrations
  that drop constraints, --fake-initial);
- `schema`: qualifies DROP INDEX, ALTER INDEX, SET CONSTRAINTS with the table's schema, renames and moves
  schema tables correctly, and creates a table's schema if it is missing (--nomigrations);
- the embedded server: when the settings carry EMBEDDED_DATA_DIR, it is started on the first connection;
- the primary's connections note every write for the read replica's router (tekupdb.db.replica);
- `operations`: a flush truncates only the tables that hold rows (TRUNCATE costs a new file per
  relation; the test run flushes after every committing test);
- `timestamps`: stored timestamps beyond Python's datetime (±infinity, year 9999 in UTC) are read as
  the nearest ones every time zone can show, so admin pages of such rows render.
"""

from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql import base as postgresql

from .. import embedded, replica
from . import timestamps
from .introspection import DatabaseIntrospection
from .operations import DatabaseOperations
from .schema import DatabaseSchemaEditor


class DatabaseWrapper(postgresql.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
    introspection_class = DatabaseIntrospection
    ops_class = DatabaseOperations

    def __init__(self, settings_dict, alias=DEFAULT_DB_ALIAS):
        super().__init__(settings_dict, alias)
        if alias == DEFAULT_DB_ALIAS:
            # Read-your-writes: a request that wrote reads from the primary (a no-op without a replica).
            self.execute_wrappers.append(replica.note_statement)

    def get_connection_params(self):
        data_dir = self.settings_dict.get("EMBEDDED_DATA_DIR")
        if data_dir:
            server = embedded.ensure_running(
                data_dir, self.settings_dict.get("EMBEDDED_DATABASE_NAME") or embedded.DEFAULT_DATABASE
            )
            # Recorded in the settings so that pg_dump, psql and friends find the same server.
            self.settings_dict["HOST"] = str(server.socket_dir)
            self.settings_dict["PORT"] = str(server.port)
            self.settings_dict["USER"] = self.settings_dict.get("USER") or "postgres"
        return super().get_connection_params()

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        timestamps.register(connection)
        return connection
