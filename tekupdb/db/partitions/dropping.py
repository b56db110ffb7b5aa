"""Dropping old months: detach and drop whole monthly partitions (no row is read), and `prune`, which
deletes the rest of a caller's rule row by row and then does that.

What a drop costs: the catalog changes, a few milliseconds under the table's ACCESS EXCLUSIVE lock, and
the removal of the month's files, which grows with their size: the server truncates them at the commit,
after it has released its locks (0.11-0.15 s for 900,000 usage rows on the machine measured;
bench/history.py). Sessions that write meanwhile wait for no lock, but their commits' WAL flushes can
queue behind the file system's journal while the kernel frees the files (28-37 ms there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connections, transaction

from .catalog import PartitionedTable, _lock, partitioned_table, partitions
from .months import _ident, add_months, month_start

# Partitions whose planner estimate is below this are counted exactly when they are dropped; above it
# the estimate is reported (counting millions of rows would undo the constant-time drop).
EXACT_COUNT_BELOW = 10_000


@dataclass(frozen=True)
class DroppedPartition:
    name: str
    rows: int
    estimated: bool


def _row_count(cursor, qualified: str, estimate: float) -> tuple[int, bool]:
    """(rows, estimated): the planner's estimate for a big partition, an exact count for a small one."""
    if estimate >= EXACT_COUNT_BELOW:
        return int(estimate), True
    cursor.execute(f"SELECT count(*) FROM {qualified}")
    return cursor.fetchone()[0], False


def drop_partitions_before(
    *, table: str, before: date | datetime, dry_run: bool = False, using: str = "default"
) -> list[DroppedPartition]:
    """Detach and drop every monthly partition of `table` whose whole month lies before `before`
    (constant time: no row is read); the caller deletes the rows of the boundary month and of the
    DEFAULT partition. With dry_run nothing is dropped. Call inside the caller's transaction: the
    advisory lock and the drops commit or roll back with the caller's own deletes.
    """
    found = partitioned_table(table, using=using)
    if found is None:
        return []
    if isinstance(before, datetime):
        limit = before.astimezone(UTC)
        fully_before = lambda month: datetime.combine(add_months(month, 1), datetime.min.time(), UTC) <= limit  # noqa: E731
    else:
        fully_before = lambda month: add_months(month, 1) <= before  # noqa: E731
    dropped: list[DroppedPartition] = []
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _lock(found, using)
        for partition in partitions(found, using=using):
            if partition.is_default or not fully_before(partition.month):
                continue
            qualified = f"{_ident(found.schema)}.{_ident(partition.name)}"
            rows, estimated = _row_count(cursor, qualified, partition.estimate)
            if not dry_run:
                # One round trip. Rows written earlier in this transaction may still have deferred
                # foreign-key checks queued, and a table with queued checks cannot be dropped: they run
                # first. (The project's foreign keys are all DEFERRABLE INITIALLY DEFERRED: restored.)
                cursor.execute(
                    f"SET CONSTRAINTS ALL IMMEDIATE; "
                    f"ALTER TABLE {found.qualified} DETACH PARTITION {qualified}; "
                    f"DROP TABLE {qualified}; "
                    f"SET CONSTRAINTS ALL DEFERRED"
                )
            dropped.append(DroppedPartition(partition.name, rows, estimated))
    return dropped


@dataclass(frozen=True)
class PruneResult:
    dropped: list[DroppedPartition]
    deleted: int  # rows deleted (or, with dry_run, that would be) from the boundary month and DEFAULT

    @property
    def rows(self) -> int:
        return self.deleted + sum(partition.rows for partition in self.dropped)

    @property
    def estimated(self) -> bool:
        return any(partition.estimated for partition in self.dropped)


def prune(
    *,
    table: str,
    column: str,
    before: date | datetime,
    queryset,
    dry_run: bool = False,
    using: str = "default",
) -> PruneResult:
    """Remove the rows of `queryset` (the caller's exact rule: every row of it lies before `before`)
    from `table`, partitioned on `column`: DELETE what the rule selects from the boundary month on and
    the DEFAULT partition's rows of the earlier months, then drop the whole months before `before`'s
    month. On a plain table, a DELETE.

    The row-by-row DELETE goes first because it takes no lock that the services wait for, while the
    detach takes the table's ACCESS EXCLUSIVE lock (every reader and writer of the table waits for
    it) and holds it to the commit: after the detach, only catalog changes remain. (The deleted rows
    all lie before the cutoff; the services write current ones.)

    dry_run counts instead: the dropped partitions' rows (estimated for big ones), the DEFAULT
    partition's rows of the dropped months, and the rule's rows from the boundary month on.
    """
    with transaction.atomic(using=using):
        found = partitioned_table(table, using=using)
        if found is None:
            return PruneResult([], queryset.count() if dry_run else queryset.delete()[0])
        bound: date | datetime = month_start(before)
        if found.column_type != "date":
            bound = datetime.combine(bound, datetime.min.time(), UTC)
        rest = queryset.filter(**{f"{column}__gte": bound})
        if dry_run:
            counted = rest.count() + _in_default_before(found, bound, delete=False, using=using)
            dropped = drop_partitions_before(table=table, before=before, dry_run=True, using=using)
            return PruneResult(dropped, counted)
        deleted = rest.delete()[0] + _in_default_before(found, bound, delete=True, using=using)
        return PruneResult(drop_partitions_before(table=table, before=before, using=using), deleted)


def _in_default_before(table: PartitionedTable, bound: date | datetime, *, delete: bool, using: str) -> int:
    """Count, or delete, the DEFAULT partition's rows before `bound` (rows of months that had no
    partition of their own): they go with the months dropped. Returns how many."""
    default = next((p for p in partitions(table, using=using) if p.is_default), None)
    if default is None:
        return 0
    rows = f"{_ident(table.schema)}.{_ident(default.name)} WHERE {_ident(table.column)} < %s"
    sql = (
        f"WITH gone AS (DELETE FROM {rows} RETURNING 1) SELECT count(*) FROM gone"
        if delete
        else f"SELECT count(*) FROM {rows}"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [bound])
        return cursor.fetchone()[0]
