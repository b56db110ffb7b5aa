"""Turning a plain table into a partitioned one and back (the migrations), by swapping the table for
a new one that keeps every row, index, constraint, trigger, grant and the owner."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from .catalog import PartitionedTable
from .creating import _copy_grants
from .months import (
    DEFAULT_SUFFIX,
    _ident,
    _month_of,
    add_months,
    bound_literal,
    month_start,
    partition_name,
    split_table,
)


@dataclass(frozen=True)
class _TableDefinition:
    """What the table swap must put back on the new table: read from the catalog before the swap."""

    owner: str
    indexes: list[str]  # CREATE INDEX statements of indexes that back no constraint
    # (name, contype, definition): primary, unique, foreign, exclusion
    constraints: list[tuple[str, str, str]]
    triggers: list[str]  # CREATE TRIGGER statements (django-pgtrigger's and hand-written ones)
    referenced_by: list[str]  # foreign keys of other tables that point at this one


def _definition(cursor, qualified: str) -> _TableDefinition:
    cursor.execute(
        "SELECT quote_ident(relowner::regrole::text) FROM pg_class WHERE oid = %s::regclass", [qualified]
    )
    owner = cursor.fetchone()[0]
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = %s::regclass
          AND NOT EXISTS (
              SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
          )
        ORDER BY i.indexrelid
        """,
        [qualified],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """
        SELECT quote_ident(conname), contype, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'x') ORDER BY contype DESC, conname
        """,
        [qualified],
    )
    constraints = [tuple(row) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
        [qualified],
    )
    triggers = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f' AND conrelid <> confrelid",
        [qualified],
    )
    referenced_by = [row[0] for row in cursor.fetchall()]
    return _TableDefinition(owner, indexes, constraints, triggers, referenced_by)


def _with_key(definition: str, column: str) -> str:
    """'PRIMARY KEY (id)' → 'PRIMARY KEY (id, column)' (a partitioned table's unique keys must hold it)."""
    match = re.match(r"(PRIMARY KEY|UNIQUE(?: NULLS NOT DISTINCT)?) \(([^)]*)\)(.*)", definition, re.S)
    if match is None:
        return definition
    columns = [c.strip() for c in match.group(2).split(",")]
    if column not in columns and _ident(column) not in columns:
        columns.append(_ident(column) if not re.fullmatch(r"[a-z_][a-z0-9_]*", column) else column)
    return f"{match.group(1)} ({', '.join(columns)}){match.group(3)}"


def _without_key(definition: str, column: str) -> str:
    match = re.match(r"(PRIMARY KEY) \(([^)]*)\)(.*)", definition, re.S)
    if match is None:
        return definition
    columns = [c.strip() for c in match.group(2).split(",") if c.strip() not in (column, _ident(column))]
    return f"{match.group(1)} ({', '.join(columns)}){match.group(3)}"


def _swap(cursor, *, schema: str, table: str, new_body: str, fill, rebuild_key, after_create) -> int:
    """Replace `schema.table` by a new table (CREATE TABLE <new> <new_body>), keeping every row, index,
    constraint, trigger, grant and the owner. Returns the number of rows moved."""
    qualified = f"{_ident(schema)}.{_ident(table)}"
    staging_name = f"{table}__swap"
    staging = f"{_ident(schema)}.{_ident(staging_name)}"
    # No write may slip in between the copy and the drop.
    cursor.execute(f"LOCK TABLE {qualified} IN ACCESS EXCLUSIVE MODE")
    # A table with deferred foreign-key checks still queued cannot be dropped: run them now (the
    # project's foreign keys are all DEFERRABLE INITIALLY DEFERRED, which the end restores).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    definition = _definition(cursor, qualified)
    if definition.referenced_by:
        raise RuntimeError(
            f"{schema}.{table} is referenced by foreign keys ({', '.join(definition.referenced_by)}): a "
            "partitioned table's unique key holds its partition column, which those keys do not have."
        )
    cursor.execute(
        f"CREATE TABLE {staging} (LIKE {qualified} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING GENERATED "
        f"INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION) {new_body}"
    )
    after_create(cursor, staging_name)
    cursor.execute(f"SELECT count(*) FROM {qualified}")
    expected = cursor.fetchone()[0]
    cursor.execute(f"INSERT INTO {staging} SELECT * FROM {qualified}")
    fill(cursor, staging_name)
    cursor.execute(f"SELECT count(*) FROM {staging}")
    moved = cursor.fetchone()[0]
    if moved != expected:
        raise RuntimeError(f"{schema}.{table}: {expected} rows before the swap, {moved} after; rolled back.")
    _copy_grants(cursor, source=qualified, target=staging)
    cursor.execute(f"DROP TABLE {qualified}")
    cursor.execute(f"ALTER TABLE {staging} RENAME TO {_ident(table)}")
    cursor.execute(f"ALTER TABLE {qualified} OWNER TO {definition.owner}")
    for name, kind, text in definition.constraints:
        cursor.execute(
            f"ALTER TABLE {qualified} ADD CONSTRAINT {name} {rebuild_key(text) if kind in 'pu' else text}"
        )
    for statement in definition.indexes + definition.triggers:
        # A partitioned table's own index reads "ON ONLY <table>"; on the plain table it is simply ON.
        cursor.execute(statement.replace(" ON ONLY ", " ON ", 1))
    cursor.execute(f"ANALYZE {qualified}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return moved


def partition_existing_table(
    cursor, *, table: str, column: str, ahead: int = 3, today: date | None = None
) -> int:
    """Make the plain table `table` ('schema.table') range-partitioned by month on `column`, keeping
    every row: a partition for each month that has rows, this month and `ahead` months more, and the
    DEFAULT partition. The primary key and unique keys gain `column`. Returns the rows moved.

    Run it inside a transaction (a migration's): the table is locked until the commit, and any failure
    (a row count that differs, a foreign key pointing at the table) rolls everything back."""
    schema, name = split_table(table)
    qualified = f"{_ident(schema)}.{_ident(name)}"
    column_type = _month_column_type(cursor, qualified, table, column)
    this_month = month_start(today or timezone.now())
    months = sorted(
        _months_with_rows(cursor, qualified, column, column_type)
        | {add_months(this_month, n) for n in range(ahead + 1)}
    )

    def create_partitions(cursor, staging_name: str) -> None:
        staging = PartitionedTable(schema, staging_name, column, column_type)
        for month in months:
            # Named after the final table: the partitions keep their names through the rename.
            partition = f"{_ident(schema)}.{_ident(partition_name(name, month))}"
            lower = bound_literal(month, column_type)
            upper = bound_literal(add_months(month, 1), column_type)
            cursor.execute(
                f"CREATE TABLE {partition} PARTITION OF {staging.qualified} "
                f"FOR VALUES FROM ({lower}) TO ({upper})"
            )
        cursor.execute(
            f"CREATE TABLE {_ident(schema)}.{_ident(name + DEFAULT_SUFFIX)} "
            f"PARTITION OF {staging.qualified} DEFAULT"
        )

    def grant_partitions(cursor, staging_name: str) -> None:
        for month in months:
            _copy_grants(
                cursor, source=qualified, target=f"{_ident(schema)}.{_ident(partition_name(name, month))}"
            )
        _copy_grants(cursor, source=qualified, target=f"{_ident(schema)}.{_ident(name + DEFAULT_SUFFIX)}")

    return _swap(
        cursor,
        schema=schema,
        table=name,
        new_body=f"PARTITION BY RANGE ({_ident(column)})",
        fill=grant_partitions,
        rebuild_key=lambda text: _with_key(text, column),
        after_create=create_partitions,
    )


def _month_column_type(cursor, qualified: str, table: str, column: str) -> str:
    """The type of the partition column, which must be a date or a timestamptz."""
    cursor.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attname = %s",
        [qualified, column],
    )
    column_type = cursor.fetchone()[0]
    if column_type not in ("date", "timestamp with time zone"):
        raise RuntimeError(
            f"{table}.{column} is {column_type}: monthly partitions need a date or timestamptz."
        )
    return column_type


def _months_with_rows(cursor, qualified: str, column: str, column_type: str) -> set[date]:
    """The (UTC) months of the table's rows."""
    month_of = _month_of(_ident(column), column_type)
    cursor.execute(f"SELECT DISTINCT {month_of} FROM {qualified} WHERE {_ident(column)} IS NOT NULL")
    return {row[0] for row in cursor.fetchall()}


def unpartition_table(cursor, *, table: str, column: str) -> int:
    """The reverse of `partition_existing_table`: one plain table with every row, the primary key
    without `column` again (unique keys keep it: the ones on these tables held it before)."""
    schema, name = split_table(table)
    return _swap(
        cursor,
        schema=schema,
        table=name,
        new_body="",
        fill=lambda cursor, staging_name: None,
        rebuild_key=lambda text: _without_key(text, column),
        after_create=lambda cursor, staging_name: None,
    )
