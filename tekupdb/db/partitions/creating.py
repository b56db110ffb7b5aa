"""Making partitions: a month's partition, the missing months of a table (rows moved out of the
DEFAULT partition), every table's months ahead; each new partition gets its table's grants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connections, transaction
from django.utils import timezone

from .catalog import (
    PartitionedTable,
    _lock,
    default_months,
    partitioned_table,
    partitioned_tables,
    partitions,
)
from .months import _ident, add_months, bound_literal, month_start, partition_name


def _month_condition(table: PartitionedTable, month: date) -> str:
    column = _ident(table.column)
    lower, upper = (
        bound_literal(month, table.column_type),
        bound_literal(add_months(month, 1), table.column_type),
    )
    return f"{column} >= {lower} AND {column} < {upper}"


def _copy_grants(cursor, *, source: str, target: str) -> None:
    """Give `target` the table and column privileges that `source` has (owner's implicit ones aside)."""
    cursor.execute(
        """
        SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, a.privilege_type
        FROM pg_class c, aclexplode(c.relacl) a
        LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE c.oid = %s::regclass AND a.grantee <> c.relowner
        """,
        [source],
    )
    for grantee, privilege in cursor.fetchall():
        cursor.execute(f"GRANT {privilege} ON {target} TO {grantee}")
    cursor.execute(
        """
        SELECT quote_ident(t.attname), CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,
               a.privilege_type
        FROM pg_attribute t, aclexplode(t.attacl) a
        LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE t.attrelid = %s::regclass AND t.attacl IS NOT NULL AND NOT t.attisdropped
        """,
        [source],
    )
    for column, grantee, privilege in cursor.fetchall():
        cursor.execute(f"GRANT {privilege} ({column}) ON {target} TO {grantee}")


def create_partition(cursor, table: PartitionedTable, month: date) -> str:
    """CREATE the month's partition (no lock, no default move: the callers do that); its name."""
    name = partition_name(table.table, month)
    qualified = f"{_ident(table.schema)}.{_ident(name)}"
    lower, upper = (
        bound_literal(month, table.column_type),
        bound_literal(add_months(month, 1), table.column_type),
    )
    cursor.execute(
        f"CREATE TABLE {qualified} PARTITION OF {table.qualified} FOR VALUES FROM ({lower}) TO ({upper})"
    )
    _copy_grants(cursor, source=table.qualified, target=qualified)
    return name


def ensure_partitions(*, table: str, months: Iterable[date], using: str = "default") -> list[str]:
    """Create the partitions of `table` ('schema.table') for `months` (any day of each) that are
    missing, moving the rows of those months out of the DEFAULT partition; return the names created.

    Idempotent, and safe to run concurrently (an advisory lock per table). A plain table (not
    partitioned: before the migration, or a sibling's database) is left alone: returns [].
    """
    found = partitioned_table(table, using=using)
    if found is None:
        return []
    wanted = sorted({month_start(month) for month in months})
    created: list[str] = []
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _lock(found, using)
        existing = partitions(found, using=using)
        have = {p.month for p in existing if not p.is_default}
        default = next((p for p in existing if p.is_default), None)
        for month in wanted:
            if month in have:
                continue
            moved = None
            if default is not None:
                # The month's rows wait in a temporary table while the partition is created.
                moved = f"_tekup_moved_{found.table}"
                default_table = f"{_ident(found.schema)}.{_ident(default.name)}"
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {_ident(moved)} ON COMMIT DROP AS "
                    f"WITH d AS (DELETE FROM {default_table} WHERE {_month_condition(found, month)} "
                    f"RETURNING *) SELECT * FROM d"
                )
            created.append(create_partition(cursor, found, month))
            if moved is not None:
                cursor.execute(f"INSERT INTO {found.qualified} SELECT * FROM {_ident(moved)}")
                cursor.execute(f"DROP TABLE {_ident(moved)}")
    return created


def settle_default(*, table: str, using: str = "default") -> list[str]:
    """Give every month that has rows in the DEFAULT partition its own partition (rows moved)."""
    found = partitioned_table(table, using=using)
    if found is None:
        return []
    return ensure_partitions(table=found.key, months=default_months(found, using=using), using=using)


def create_ahead(
    *, ahead: int, today: date | None = None, schemas: Iterable[str] | None = None, using: str = "default"
) -> dict[str, list[str]]:
    """For every partitioned table: this month's and the next `ahead` months' partitions, plus the
    months of rows waiting in the DEFAULT partition. Returns {'schema.table': [names created]}."""
    if isinstance(ahead, bool) or not isinstance(ahead, int) or not 0 <= ahead <= 120:
        raise ValueError(f"ahead must be a whole number of months from 0 to 120, got {ahead!r}.")
    this_month = month_start(today or timezone.now())
    months = [add_months(this_month, n) for n in range(ahead + 1)]
    result = {}
    for table in partitioned_tables(schemas=schemas, using=using):
        wanted = months + default_months(table, using=using)
        result[table.key] = ensure_partitions(table=table.key, months=wanted, using=using)
    return result
