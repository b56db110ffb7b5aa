"""Monthly range partitions of the history tables (billy.usage_metrics, billy.audit_logs,
shared.audit_logs, flow.execution_logs): making them, creating months ahead, dropping old ones.

Layout of a partitioned table `<schema>.<table>` on column `<column>` (a date or timestamptz):
- one partition per UTC month, `<table>_pYYYY_MM`, FOR VALUES FROM (first of the month) TO (first of
  the next month), timestamptz bounds written with `+00` so that the session's time zone never shifts
  them;
- one DEFAULT partition, `<table>_default`, so that no insert ever fails for want of a partition: the
  Prisma import, the demo seed (a year back), a restore, a test with a frozen clock or a Hypothesis
  example may write any date. Rows that land there are moved into their month's partition by
  `ensure_partitions` (PostgreSQL refuses to create a partition while the default holds rows of its
  range, so the move happens in the same transaction, before the CREATE) and by `settle_default`,
  which `manage.py partitions` runs on every table.

Which tables are partitioned is read from the database (pg_partitioned_table), not from a list: this
module imports no app (tekupdb/db never does), and a table partitioned by a migration is found here
the moment the migration has run.

Every function that creates or drops partitions of a table holds a transaction-level advisory lock
keyed by the table (django-pglock's `advisory`): two `partitions` runs from cron, or a prune and a
`partitions` run, wait for each other instead of racing on CREATE TABLE.

Own code rather than a library: pg_partman (the usual tool) is a server extension that neither the
embedded server nor most managed services have, and the PyPI packages for Django partitioning
(django-postgres-extra's partitioning manager, architect) create tables from models and know nothing
of the schema-qualified tables, the DEFAULT partition move or the grants this project needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connections, transaction
from django.utils import timezone

DEFAULT_SUFFIX = "_default"
# Partitions whose planner estimate is below this are counted exactly when they are dropped; above it
# the estimate is reported (counting millions of rows would undo the constant-time drop).
EXACT_COUNT_BELOW = 10_000

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


@dataclass(frozen=True)
class DroppedPartition:
    name: str
    rows: int
    estimated: bool


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def month_start(value: date | datetime) -> date:
    """The first day of the (UTC) month of `value`."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date() if value.tzinfo else value.date()
    return value.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month start from first's month through last's month."""
    month, end, months = month_start(first), month_start(last), []
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def bound_literal(month: date, column_type: str) -> str:
    if column_type == "date":
        return f"'{month.isoformat()}'"
    return f"'{month.isoformat()} 00:00:00+00'"


def split_table(table: str) -> tuple[str, str]:
    """'schema.table' (or '"schema"."table"') as (schema, table)."""
    schema, _, name = table.replace('"', "").partition(".")
    if not name:
        raise ValueError(f"A partitioned table is named schema.table, got {table!r}.")
    return schema, name


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


def default_months(table: PartitionedTable, *, using: str = "default") -> list[date]:
    """The months of the rows waiting in the DEFAULT partition."""
    default = next((p for p in partitions(table, using=using) if p.is_default), None)
    if default is None:
        return []
    column = _ident(table.column)
    month = (
        f"date_trunc('month', {column})::date"
        if table.column_type == "date"
        else f"date_trunc('month', {column} AT TIME ZONE 'UTC')::date"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT {month} FROM {_ident(table.schema)}.{_ident(default.name)} "
            f"WHERE {column} IS NOT NULL ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


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


# --- turning a plain table into a partitioned one (the migrations) and back ----------------------


@dataclass(frozen=True)
class _TableDefinition:
    """What the table swap must put back on the new table: read from the catalog before the swap."""

    owner: str
    indexes: list[str]  # CREATE INDEX statements of indexes that back no constraint
    constraints: list[
        tuple[str, str, str]
    ]  # (name, contype, definition): primary, unique, foreign, exclusion
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
    month_of = (
        f"date_trunc('month', {_ident(column)})::date"
        if column_type == "date"
        else f"date_trunc('month', {_ident(column)} AT TIME ZONE 'UTC')::date"
    )
    cursor.execute(f"SELECT DISTINCT {month_of} FROM {qualified} WHERE {_ident(column)} IS NOT NULL")
    this_month = month_start(today or timezone.now())
    months = sorted(
        {row[0] for row in cursor.fetchall()} | {add_months(this_month, n) for n in range(ahead + 1)}
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


# --- pruning --------------------------------------------------------------------------------------


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
    from `table`, partitioned on `column`: drop the whole months before `before`'s month, then DELETE
    what the rule selects in the boundary month and the DEFAULT partition. On a plain table, a DELETE.

    dry_run counts instead: the dropped partitions' rows (estimated for big ones), the DEFAULT
    partition's rows of the dropped months, and the rule's rows from the boundary month on.
    """
    with transaction.atomic(using=using):
        found = partitioned_table(table, using=using)
        if found is None:
            return PruneResult([], queryset.count() if dry_run else queryset.delete()[0])
        dropped = drop_partitions_before(table=table, before=before, dry_run=dry_run, using=using)
        if not dry_run:
            return PruneResult(dropped, queryset.delete()[0])
        bound: date | datetime = month_start(before)
        if found.column_type != "date":
            bound = datetime.combine(bound, datetime.min.time(), UTC)
        rest = queryset.filter(**{f"{column}__gte": bound}).count()
        default = next((p for p in partitions(found, using=using) if p.is_default), None)
        if default is not None:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM {_ident(found.schema)}.{_ident(default.name)} "
                    f"WHERE {_ident(found.column)} < %s",
                    [bound],
                )
                rest += cursor.fetchone()[0]
        return PruneResult(dropped, rest)
