"""Operations whose flush empties only the tables that hold rows, the small ones without new files.

Django's PostgreSQL flush is one `TRUNCATE` of every table. TRUNCATE gives each table, index and TOAST
table a new file and removes the old ones at commit, so it costs per relation, not per row: here about
400 relations (six schemas, their indexes, the monthly partitions), 0.5 to 2 s a flush on these machines,
whose disks are mounted with `discard` (every removed file is trimmed as it goes). pytest-django flushes
after every test that commits (`transactional_db`, `live_server`), when most tables are already empty.

So the flush finds the tables that hold a row (one `EXISTS` each, cheap; a partitioned table month by
month, so that a test's audit rows empty one partition, not all of them). A table under a megabyte is
emptied by DELETE, which frees no file: with `session_replication_role = replica`, as a replica applies
rows, so no trigger fires (no audit entry, no foreign-key check: every table ends empty, so no reference
dangles), and the role is set back at once. Only a superuser may do that; anyone else's flush truncates.
A bigger table is truncated, with every table whose foreign key references it (as TRUNCATE itself
requires, unless the flush cascades). The result is Django's: every listed table is empty. It first locks
every listed table as Django's TRUNCATE would (ACCESS EXCLUSIVE), so no writer can fill a table between
the check and the emptying. A flush that resets sequences (`reset_sequences=True`) must restart the
identities of empty tables too, so it stays Django's full TRUNCATE ... RESTART IDENTITY.

`kept_if_unchanged` lets the caller name tables whose rows the flush's own aftermath writes again
(post_migrate's content types and permissions, `operations`' flush command): when such a table holds
exactly those rows it is left as it is, since emptying it only to have the same rows inserted again
cost over 0.1 s a flush. Any difference, or a table pulled in by a foreign key, and it is truncated.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db.backends.postgresql import operations as postgresql

_FLUSH_NONEMPTY = """DO $flush$
DECLARE
  listed regclass[] := {tables}::regclass[];
  everything regclass[];  -- the listed tables and all their partitions
  kept regclass[];
  busy regclass[] := '{{}}';
  small regclass[] := '{{}}';
  referencing regclass[];
  t regclass;
  has_rows boolean;
  replication_role text := current_setting('session_replication_role');
BEGIN
  EXECUTE 'LOCK TABLE ' || array_to_string(listed, ', ') || ' IN ACCESS EXCLUSIVE MODE';
  kept := {kept}::regclass[];  -- checked under the lock: no writer can change them after the check
  -- pg_partition_tree lists a partitioned table and its partitions, and nothing for a plain table.
  SELECT array_agg(coalesce(p.relid, l.r)) INTO everything
    FROM unnest(listed) AS l(r) LEFT JOIN LATERAL pg_partition_tree(l.r) AS p ON true;
  -- A partitioned table's rows are in its leaf partitions: each checked on its own.
  FOR t IN SELECT c.oid FROM pg_class c
            WHERE c.oid = ANY (everything) AND c.relkind = 'r' AND c.oid <> ALL (kept) LOOP
    EXECUTE format('SELECT EXISTS (SELECT FROM %s)', t) INTO has_rows;
    IF has_rows THEN busy := busy || t; END IF;
  END LOOP;
  -- A small table is emptied with DELETE, which frees no file: it goes unless a truncated one drags it in.
  IF {delete_small} THEN
    small := ARRAY(SELECT b FROM unnest(busy) AS b WHERE pg_relation_size(b) < {small_bytes});
    busy := ARRAY(SELECT b FROM unnest(busy) AS b WHERE b <> ALL (small));
  END IF;
  -- TRUNCATE refuses a table that a table left out references: add those, until none is left out
  -- (a kept table too; a partitioned table is then truncated whole).
  LOOP
    SELECT coalesce(array_agg(DISTINCT c.conrelid::regclass), '{{}}') INTO referencing
      FROM pg_constraint c
     WHERE c.contype = 'f' AND c.confrelid = ANY (busy) AND c.conrelid <> ALL (busy)
       AND c.conrelid = ANY (everything);
    EXIT WHEN cardinality(referencing) = 0;
    busy := busy || referencing;
  END LOOP;
  -- How many checked tables stay as they were, for the caller (DatabaseOperations.kept_by_last_flush).
  PERFORM set_config('tekupdb.flush_kept', cardinality(ARRAY(
    SELECT k FROM unnest(kept) AS k WHERE k <> ALL (busy)))::text, false);
  IF cardinality(busy) > 0 THEN
    EXECUTE 'TRUNCATE ' || array_to_string(busy, ', '){cascade};
  END IF;
  small := ARRAY(SELECT s FROM unnest(small) AS s WHERE s <> ALL (busy));
  IF cardinality(small) > 0 THEN
    -- As a replica applies rows: no trigger fires (no audit entry, no foreign-key check). Every table
    -- ends empty, so no reference is left dangling.
    PERFORM set_config('session_replication_role', 'replica', true);
    FOREACH t IN ARRAY small LOOP
      EXECUTE format('DELETE FROM %s', t);
    END LOOP;
    PERFORM set_config('session_replication_role', replication_role, true);
  END IF;
END
$flush$;"""

# A session setting (a custom one: "tekupdb." prefix) that the flush fills with what it kept.
_RESET_KEPT = "SELECT set_config('tekupdb.flush_kept', '', false)"

# Below this size (main fork) a table with rows is emptied by DELETE: a few thousand rows go faster than
# TRUNCATE's new files for the table, its indexes and TOAST table.
_DELETE_BELOW_BYTES = 1024 * 1024

# One kept-if-unchanged check: the table is left out of the flush when `query` returns exactly `rows`.
_UNCHANGED = """NOT EXISTS (({query}) EXCEPT ({values})) AND NOT EXISTS (({values}) EXCEPT ({query}))"""


@dataclass(frozen=True)
class Unchanged:
    """A table to keep when `query` (text columns) returns exactly `rows`, as a set."""

    table: str
    query: str
    rows: Sequence[tuple[str, ...]]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class DatabaseOperations(postgresql.DatabaseOperations):
    _unchanged: tuple[Unchanged, ...] = ()

    @contextlib.contextmanager
    def kept_if_unchanged(self, checks: Sequence[Unchanged]) -> Iterator[None]:
        """While in the block, `sql_flush` keeps each checked table whose rows are exactly the given ones;
        `kept_by_last_flush()` then says how many it kept."""
        previous, self._unchanged = self._unchanged, tuple(checks)
        with self.connection.cursor() as cursor:
            cursor.execute(_RESET_KEPT)
        try:
            yield
        finally:
            self._unchanged = previous

    def kept_by_last_flush(self) -> int | None:
        """How many tables of `kept_if_unchanged` the flush in its block kept; None if no flush ran there
        (cancelled, or nothing to flush)."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('tekupdb.flush_kept', true)")
            (kept,) = cursor.fetchone()
        return int(kept) if kept else None

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        listed = [self._regclass(table) for table in tables]
        kept = "'{}'"
        checks = [check for check in self._unchanged if check.table in tables and check.rows]
        if checks:  # which of them are unchanged is decided in SQL, under the flush's lock
            kept = " || ".join(
                f"(CASE WHEN {self._unchanged_sql(check)} THEN ARRAY[{self._regclass(check.table)}]"
                " ELSE '{}' END)::regclass[]"
                for check in checks
            )
        cascade = " || ' CASCADE'" if allow_cascade else ""
        tables_sql = f"ARRAY[{', '.join(listed)}]"
        return [
            _FLUSH_NONEMPTY.format(
                tables=tables_sql,
                kept=f"({kept})",
                cascade=cascade,
                # Only a superuser may turn triggers off; anyone else's flush truncates as before.
                delete_small="(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
                small_bytes=_DELETE_BELOW_BYTES,
            )
        ]

    def _regclass(self, table: str) -> str:
        return _literal(self.quote_name(table))

    @staticmethod
    def _unchanged_sql(check: Unchanged) -> str:
        values = "VALUES " + ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in check.rows)
        return _UNCHANGED.format(query=check.query, values=values)
