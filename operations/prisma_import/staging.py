"""Through a staging table: the rows land in a temporary table, then go into the table in batches.

Each batch is one `INSERT … ON CONFLICT (primary key) DO UPDATE … WHERE (row) IS DISTINCT FROM (new
row)` under a savepoint: new rows count as imported, changed ones as updated, the rest as unchanged. A
batch that breaks a constraint is split in halves until the single rows that break it are found; those
are refused with their source id and the database's reason (`_reason`), the others load.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from django.db import DatabaseError, models, transaction

from tekupdb.db import partitions

from .hooks import ImportContext
from .mapping import TablePlan, _q
from .report import Refusal, TableReport
from .source import _raw_blocks, _rows


def _primary_key_columns(cursor, target_sql: str) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(a.attname) FROM pg_index i "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY k.position",
        [target_sql],
    )
    return [row[0] for row in cursor.fetchall()] or ["id"]


@dataclass(frozen=True)
class _Upsert:
    """The statements that load the staged rows numbered `low` to `high` (their two parameters)."""

    plan: TablePlan
    upsert: str  # returns one row per row it inserted or updated: true for a new one
    existing: str | None  # counts the rows already there; only a partitioned table needs it


def _load_through_stage(
    source,
    cursor,
    plan: TablePlan,
    context: ImportContext,
    table_report: TableReport,
    refused: list[Refusal],
    bar,
    batch_size: int,
) -> None:
    """Load the table's rows through `prisma_stage`, `batch_size` rows an upsert (see the module)."""
    last = _stage(source, cursor, plan, context, refused, bar)
    statements = _upsert_statements(cursor, plan)
    for low in range(1, last + 1, batch_size):
        _load_batch(cursor, statements, low, min(low + batch_size - 1, last), table_report, refused)
    cursor.execute("DROP TABLE prisma_stage")


def _stage(source, cursor, plan: TablePlan, context: ImportContext, refused: list[Refusal], bar) -> int:
    """COPY the source rows into a new temporary table `prisma_stage`, numbered from 1 by `_n`; the
    last number."""
    stage_columns = ", ".join(f"{_q(c.target)} {c.stage_type}" for c in plan.columns)
    cursor.execute("DROP TABLE IF EXISTS prisma_stage")
    cursor.execute(
        f"CREATE TEMP TABLE prisma_stage (_n bigserial PRIMARY KEY, _source_id text, {stage_columns}) "
        "ON COMMIT DROP"
    )
    names = ", ".join(["_source_id", *(_q(c.target) for c in plan.columns)])
    if plan.needs_python:
        with cursor.copy(f"COPY prisma_stage ({names}) FROM STDIN") as copy:
            for row in _rows(source, plan, context, refused, bar):
                copy.write_row(row)
    else:
        with cursor.copy(f"COPY prisma_stage ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            for block in _raw_blocks(source, plan, bar, with_source_id=True):
                copy.write(block)
    cursor.execute("SELECT coalesce(max(_n), 0) FROM prisma_stage")
    return cursor.fetchone()[0]


def _upsert_statements(cursor, plan: TablePlan) -> _Upsert:
    targets = [_q(c.target) for c in plan.columns]
    updated = [_q(c.target) for c in plan.columns if c.update and c.target != "id"]
    compare = ", ".join(f"t.{name}" for name in updated)
    new = ", ".join(f"EXCLUDED.{name}" for name in updated)
    # The primary key is the conflict target: (id) on a plain table, (id, <month column>) on a
    # partitioned one (tekupdb.db.partitions), whose unique keys must hold the partition column.
    conflict = ", ".join(_primary_key_columns(cursor, plan.target_sql))
    partitioned = partitions.partitioned_table(plan.label) is not None
    upsert = (
        f"INSERT INTO {plan.target_sql} AS t ({', '.join(targets)}) "
        f"SELECT {', '.join(c.insert_sql for c in plan.columns)} FROM prisma_stage st "
        "WHERE st._n BETWEEN %s AND %s ORDER BY st._n "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {', '.join(f'{n} = EXCLUDED.{n}' for n in updated)} "
        f"WHERE ROW({compare}) IS DISTINCT FROM ROW({new}) "
        # xmax = 0 tells a new row from an updated one; a partitioned table cannot return system
        # columns, so there the rows that existed before are counted first instead.
        f"RETURNING {'true' if partitioned else '(xmax = 0)'}"
    )
    if not partitioned:
        return _Upsert(plan, upsert, None)
    id_sql = next(c.insert_sql for c in plan.columns if c.target == "id")
    existing = (
        f"SELECT count(*) FROM {plan.target_sql} WHERE id IN "
        f"(SELECT {id_sql} FROM prisma_stage st WHERE st._n BETWEEN %s AND %s)"
    )
    return _Upsert(plan, upsert, existing)


def _load_batch(
    cursor, statements: _Upsert, low: int, high: int, table_report: TableReport, refused: list[Refusal]
) -> None:
    """Upsert the staged rows `low` to `high`; when they break a constraint, split them in halves until
    the single rows that break it are found, and refuse those."""
    try:
        inserted = _upsert_batch(cursor, statements, low, high)
    except (DatabaseError, psycopg.Error) as error:
        if low == high:
            plan = statements.plan
            cursor.execute("SELECT _source_id FROM prisma_stage WHERE _n = %s", [low])
            refused.append(Refusal(plan.label, cursor.fetchone()[0], _reason(cursor, plan, error, low)))
            return
        middle = (low + high) // 2
        _load_batch(cursor, statements, low, middle, table_report, refused)
        _load_batch(cursor, statements, middle + 1, high, table_report, refused)
        return
    new_rows = sum(inserted)
    table_report.imported += new_rows
    table_report.updated += len(inserted) - new_rows
    table_report.unchanged += high - low + 1 - len(inserted)


def _upsert_batch(cursor, statements: _Upsert, low: int, high: int) -> list[bool]:
    """One upsert under a savepoint: for each row inserted or updated, whether it is new."""
    with transaction.atomic():
        if statements.existing is not None:
            cursor.execute(statements.existing, [low, high])
            before = cursor.fetchone()[0]
        cursor.execute(statements.upsert, [low, high])
        inserted = [row[0] for row in cursor.fetchall()]
        if statements.existing is not None:
            new_count = high - low + 1 - before
            inserted = [True] * new_count + [False] * (len(inserted) - new_count)
    return inserted


def _reason(cursor, plan: TablePlan, error: DatabaseError, n: int) -> str:
    """The database's reason for refusing one row, made readable for check constraints of choices."""
    cause = error if isinstance(error, psycopg.Error) else error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is None:
        return str(error).strip().splitlines()[0]
    message = diag.message_primary or str(error)
    constraint = diag.constraint_name or ""
    for check in plan.model._meta.constraints:
        if check.name == constraint and isinstance(check, models.CheckConstraint):
            children = getattr(check.condition, "children", [])
            if len(children) == 1 and children[0][0].endswith("__in"):
                column = plan.model._meta.get_field(children[0][0][:-4]).column
                cursor.execute(f"SELECT {_q(column)}::text FROM prisma_stage WHERE _n = %s", [n])
                value = cursor.fetchone()[0]
                allowed = ", ".join(str(v) for v in children[0][1])
                return f"{column} {value!r} is not one of: {allowed}"
    detail = diag.message_detail or ""
    if detail and not detail.startswith("Failing row contains"):
        message = f"{message}: {detail}"
    return message
