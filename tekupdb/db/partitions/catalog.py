"""The partitioned tables and their partitions, read from the database's catalog, and the per-table
advisory lock that every function creating or dropping partitions holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connections

from .months import _ident, _month_of, split_table

# The lower bound in pg_get_expr(relpartbound): "FOR VALUES FROM ('2026-11-01') TO (...)"; a DEFAULT
# partition's expression is "DEFAULT" (no match: month None).
_LOWER_BOUND = r"FROM \('([^']+)'\)"


@dataclass(frozen=True)
class PartitionedTable:
    schema: str
    table: str
    column: str
    column_type: str  # "date" or "timestamp with time zone"

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def qualified(self) -> str:
        return f"{_ident(self.schema)}.{_ident(self.table)}"


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # first day of its month; None for the DEFAULT partition
    estimate: float = -1  # the planner's row estimate (pg_class.reltuples; -1 before ANALYZE)

    @property
    def is_default(self) -> bool:
        return self.month is None


def partitioned_tables(
    *, schemas: Iterable[str] | None = None, using: str = "default"
) -> list[PartitionedTable]:
    """Every range-partitioned table with a single key column (in `schemas`, when given)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0]
            WHERE p.partstrat = 'r' AND p.partnatts = 1 AND NOT c.relispartition
              AND (%s::text[] IS NULL OR n.nspname = ANY(%s::text[]))
            ORDER BY n.nspname, c.relname
            """,
            [None if schemas is None else list(schemas)] * 2,
        )
        return [PartitionedTable(*row) for row in cursor.fetchall()]


def partitioned_table(table: str, *, using: str = "default") -> PartitionedTable | None:
    """The partitioned table 'schema.table', or None when it is a plain table (or missing)."""
    schema, name = split_table(table)
    found = [t for t in partitioned_tables(schemas=[schema], using=using) if t.table == name]
    return found[0] if found else None


def partitions(table: PartitionedTable, *, using: str = "default") -> list[Partition]:
    """The partitions of `table`, oldest month first, the DEFAULT partition last."""
    # The lower bound as the server wrote it (in the session's time zone for timestamptz), read back
    # by the server as a UTC date; one query for all partitions (the prune's constant time).
    month = (
        "(regexp_match(pg_get_expr(c.relpartbound, c.oid), %s))[1]::date"
        if table.column_type == "date"
        else "((regexp_match(pg_get_expr(c.relpartbound, c.oid), %s))[1]::timestamptz "
        "AT TIME ZONE 'UTC')::date"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.relname, {month}, c.reltuples
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [_LOWER_BOUND, table.qualified],
        )
        found = [Partition(*row) for row in cursor.fetchall()]
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min))


def _lock(table: PartitionedTable, using: str) -> None:
    """Wait for the table's transaction-level advisory lock: held until the commit or rollback of the
    enclosing atomic block (pglock's functional form: its context manager refuses xact locks)."""
    # Imported here: a sibling project that never partitions need not import pglock at startup.
    import pglock

    # No timeout argument: pglock then runs the one SELECT pg_advisory_xact_lock(...) and waits as long
    # as the session's lock_timeout allows (with one, it adds a savepoint and two SETs).
    pglock.advisory(f"tekupdb.partitions:{table.key}", xact=True, using=using).acquire()


def default_months(table: PartitionedTable, *, using: str = "default") -> list[date]:
    """The months of the rows waiting in the DEFAULT partition."""
    default = next((p for p in partitions(table, using=using) if p.is_default), None)
    if default is None:
        return []
    column = _ident(table.column)
    month = _month_of(column, table.column_type)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT {month} FROM {_ident(table.schema)}.{_ident(default.name)} "
            f"WHERE {column} IS NOT NULL ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]
