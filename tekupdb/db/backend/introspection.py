"""Introspection that sees tables in every schema, under the names the models give them.

A table in the connection's current schema (normally `public`, where Django's own tables live) keeps
its bare name; a table elsewhere is named `schema"."table`, exactly as its model's `db_table`. Lookups
by name resolve that name with `to_regclass()` on the quoted form, so both kinds work.
"""

from django.db.backends.postgresql import introspection as postgresql

TableInfo = postgresql.TableInfo
FieldInfo = postgresql.FieldInfo

# The name a model would use for relation `c` in namespace `n`.
MODEL_TABLE_NAME = """
    CASE WHEN {n}.nspname = current_schema() THEN {c}.relname
         ELSE {n}.nspname || '"."' || {c}.relname END
"""

SYSTEM_SCHEMAS = ("pg_catalog", "pg_toast", "information_schema")


# The constraints of a table (`to_regclass(%s)`), the table a foreign key points at under its model's name.
CONSTRAINTS_SQL = f"""
    SELECT
        c.conname,
        array(
            SELECT attname
            FROM unnest(c.conkey) WITH ORDINALITY cols(colid, arridx)
            JOIN pg_attribute AS ca ON cols.colid = ca.attnum
            WHERE ca.attrelid = c.conrelid
            ORDER BY cols.arridx
        ),
        c.contype,
        (SELECT {MODEL_TABLE_NAME.format(n="fkn", c="fkc")} || '.' || fka.attname
        FROM pg_attribute AS fka
        JOIN pg_class AS fkc ON fka.attrelid = fkc.oid
        JOIN pg_namespace AS fkn ON fkn.oid = fkc.relnamespace
        WHERE fka.attrelid = c.confrelid AND fka.attnum = c.confkey[1]),
        cl.reloptions
    FROM pg_constraint AS c
    JOIN pg_class AS cl ON c.conrelid = cl.oid
    WHERE cl.oid = to_regclass(%s)
"""

# The indexes of a table (`to_regclass(%s)`), the ordering of each column for the default access method
# (the first parameter).
INDEXES_SQL = """
    SELECT
        indexname,
        array_agg(attname ORDER BY arridx),
        indisunique,
        indisprimary,
        array_agg(ordering ORDER BY arridx),
        amname,
        exprdef,
        s2.attoptions
    FROM (
        SELECT
            c2.relname as indexname, idx.*, attr.attname, am.amname,
            CASE
                WHEN idx.indexprs IS NOT NULL THEN
                    pg_get_indexdef(idx.indexrelid)
            END AS exprdef,
            CASE am.amname
                WHEN %s THEN
                    CASE (option & 1)
                        WHEN 1 THEN 'DESC' ELSE 'ASC'
                    END
            END as ordering,
            c2.reloptions as attoptions
        FROM (
            SELECT *
            FROM
                pg_index i,
                unnest(i.indkey, i.indoption)
                    WITH ORDINALITY koi(key, option, arridx)
        ) idx
        LEFT JOIN pg_class c ON idx.indrelid = c.oid
        LEFT JOIN pg_class c2 ON idx.indexrelid = c2.oid
        LEFT JOIN pg_am am ON c2.relam = am.oid
        LEFT JOIN
            pg_attribute attr ON attr.attrelid = c.oid AND attr.attnum = idx.key
        WHERE c.oid = to_regclass(%s)
    ) s2
    GROUP BY indexname, indisunique, indisprimary, amname, exprdef, attoptions;
"""


class DatabaseIntrospection(postgresql.DatabaseIntrospection):
    def _regclass_param(self, table_name):
        return self.connection.ops.quote_name(table_name)

    def get_table_list(self, cursor):
        cursor.execute(
            f"""
            SELECT
                {MODEL_TABLE_NAME.format(n="n", c="c")},
                CASE
                    WHEN c.relispartition THEN 'p'
                    WHEN c.relkind IN ('m', 'v') THEN 'v'
                    ELSE 't'
                END,
                obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
                AND n.nspname <> ALL(%s)
                AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
                AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
            """,
            [list(SYSTEM_SCHEMAS)],
        )
        return [TableInfo(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]

    def get_table_description(self, cursor, table_name):
        cursor.execute(
            """
            SELECT
                a.attname AS column_name,
                NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS is_nullable,
                pg_get_expr(ad.adbin, ad.adrelid) AS column_default,
                CASE WHEN collname = 'default' THEN NULL ELSE collname END AS collation,
                a.attidentity != '' AS is_autofield,
                col_description(a.attrelid, a.attnum) AS column_comment
            FROM pg_attribute a
            LEFT JOIN pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
            LEFT JOIN pg_collation co ON a.attcollation = co.oid
            JOIN pg_type t ON a.atttypid = t.oid
            WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
            """,
            [self._regclass_param(table_name)],
        )
        field_map = {line[0]: line[1:] for line in cursor.fetchall()}
        cursor.execute(f"SELECT * FROM {self.connection.ops.quote_name(table_name)} LIMIT 1")
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

    def get_sequences(self, cursor, table_name, table_fields=()):
        cursor.execute(
            f"""
            SELECT {MODEL_TABLE_NAME.format(n="sn", c="s")} AS sequence_name, a.attname
            FROM pg_class s
            JOIN pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_depend d ON d.objid = s.oid
                AND d.classid = 'pg_class'::regclass
                AND d.refclassid = 'pg_class'::regclass
            JOIN pg_attribute a ON d.refobjid = a.attrelid AND d.refobjsubid = a.attnum
            WHERE s.relkind = 'S' AND d.refobjid = to_regclass(%s)
            """,
            [self._regclass_param(table_name)],
        )
        return [{"name": row[0], "table": table_name, "column": row[1]} for row in cursor.fetchall()]

    def get_relations(self, cursor, table_name):
        cursor.execute(
            f"""
            SELECT a1.attname, {MODEL_TABLE_NAME.format(n="n2", c="c2")}, a2.attname
            FROM pg_constraint con
            JOIN pg_class c2 ON con.confrelid = c2.oid
            JOIN pg_namespace n2 ON n2.oid = c2.relnamespace
            JOIN pg_attribute a1 ON a1.attrelid = con.conrelid AND a1.attnum = con.conkey[1]
            JOIN pg_attribute a2 ON a2.attrelid = con.confrelid AND a2.attnum = con.confkey[1]
            WHERE con.conrelid = to_regclass(%s) AND con.contype = 'f'
            """,
            [self._regclass_param(table_name)],
        )
        return {row[0]: (row[2], row[1]) for row in cursor.fetchall()}

    def get_constraints(self, cursor, table_name):
        """Django's own, with its two queries: the constraints (pg_constraint), then the indexes; both
        look the table up by its regclass, so a table in any schema is found."""
        regclass = self._regclass_param(table_name)
        constraints = self._constraints(cursor, regclass)
        self._add_indexes(cursor, regclass, constraints)
        return constraints

    def _constraints(self, cursor, regclass):
        """Primary, unique, foreign-key, check and exclusion constraints, by name."""
        constraints = {}
        cursor.execute(CONSTRAINTS_SQL, [regclass])
        for constraint, columns, kind, used_cols, options in cursor.fetchall():
            constraints[constraint] = {
                "columns": columns,
                "primary_key": kind == "p",
                "unique": kind in ["p", "u"],
                # rsplit: the table part may itself contain a '.' inside '"."'.
                "foreign_key": tuple(used_cols.rsplit(".", 1)) if kind == "f" else None,
                "check": kind == "c",
                "index": False,
                "definition": None,
                "options": options,
            }
        return constraints

    def _add_indexes(self, cursor, regclass, constraints):
        """Add to `constraints` each index not already there by name (a primary or unique constraint's
        index has the constraint's name)."""
        cursor.execute(INDEXES_SQL, [self.index_default_access_method, regclass])
        for index, columns, unique, primary, orders, type_, definition, options in cursor.fetchall():
            if index not in constraints:
                basic_index = (
                    type_ == self.index_default_access_method
                    and not index.endswith("_btree")
                    and options is None
                )
                constraints[index] = {
                    "columns": columns if columns != [None] else [],
                    "orders": orders if orders != [None] else [],
                    "primary_key": primary,
                    "unique": unique,
                    "foreign_key": None,
                    "check": False,
                    "index": True,
                    "type": postgresql.Index.suffix if basic_index else type_,
                    "definition": definition,
                    "options": options,
                }
