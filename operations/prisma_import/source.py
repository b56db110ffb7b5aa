"""Reading the Prisma-built database: the connection, its catalog, and its rows as COPY streams.

The source is read in one `REPEATABLE READ, READ ONLY` transaction (`connect_source`): one consistent
snapshot, and nothing can be written there. Rows leave it either mapped in Python, in text form
(`_rows`: text ids to uuid5, the row hooks), or untouched in binary form (`_raw_blocks`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
from psycopg import sql as psql

from .hooks import ImportContext, Refused
from .mapping import TablePlan, _q
from .report import PrismaImportError, Refusal


def connect_source(url: str) -> psycopg.Connection:
    try:
        source = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as error:
        raise PrismaImportError(f"cannot connect to the source database: {error}".strip()) from None
    source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    source.read_only = True
    return source


def _refuse_wrong_source(source: psycopg.Connection) -> None:
    is_django = source.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL").fetchone()[0]
    if is_django:
        raise PrismaImportError(
            "the source has django_migrations: it is a database of this project, not Prisma's"
        )


def _source_catalog(source: psycopg.Connection, schemas: tuple[str, ...]) -> dict:
    rows = source.execute(
        """
        SELECT c.table_schema, c.table_name, c.column_name,
               CASE WHEN c.data_type = 'USER-DEFINED' THEN c.udt_name ELSE c.data_type END,
               c.is_nullable = 'YES'
        FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = ANY(%s) AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_schema, c.table_name, c.ordinal_position
        """,
        [list(schemas)],
    ).fetchall()
    catalog: dict[tuple[str, str], dict[str, tuple[str, bool]]] = {}
    for schema, table, column, data_type, nullable in rows:
        catalog.setdefault((schema, table), {})[column] = (data_type, nullable)
    return catalog


def _source_select(plan: TablePlan, *, with_source_id: bool, with_extra: bool) -> psql.Composable:
    parts = (["s.id::text"] if with_source_id else []) + [column.source_sql for column in plan.columns]
    if with_extra:
        parts += [f"s.{_q(name)}" for name in plan.extra_source]
    return psql.SQL("SELECT {} FROM {} s ORDER BY s.id").format(
        psql.SQL(", ").join(psql.SQL(part) for part in parts), plan.source_sql
    )


def _rows(source, plan: TablePlan, context: ImportContext, refused: list[Refusal], bar) -> Iterator[list]:
    """Source rows in text form, mapped: [source id, column values …]."""
    query = _source_select(plan, with_source_id=True, with_extra=True)
    names = ["_source_id", *(c.target for c in plan.columns), *(f"_{name}" for name in plan.extra_source)]
    mapped = [(index, c.uuid_of) for index, c in enumerate(plan.columns, start=1) if c.uuid_of]
    prefix = f"prisma:{plan.schema}."
    width = 1 + len(plan.columns)
    done = 0
    with source.cursor().copy(psql.SQL("COPY ({}) TO STDOUT").format(query)) as copy:
        for values in copy.rows():
            row = list(values)
            done += 1
            for index, table in mapped:
                if row[index] is not None:
                    row[index] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{prefix}{table}:{row[index]}"))
            if plan.row_hook is not None:
                data = dict(zip(names, row, strict=True))
                try:
                    plan.row_hook(context, data)
                except Refused as refusal:
                    refused.append(Refusal(plan.label, row[0], str(refusal)))
                    continue
                row = [data[name] for name in names[:width]]
            if done % 1000 == 0:
                bar.update(done)
            yield row[:width]
    bar.update(done)


def _raw_blocks(source, plan: TablePlan, bar, *, with_source_id: bool) -> Iterator[bytes]:
    """The source rows as binary COPY data, passed on untouched (PostgreSQL sends one row a message)."""
    query = _source_select(plan, with_source_id=with_source_id, with_extra=False)
    with source.cursor().copy(psql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(query)) as copy:
        for done, block in enumerate(copy, start=1):
            if done % 1000 == 0:
                bar.update(done)
            yield block
