"""Into an empty table: COPY the rows straight in, with its vector indexes built after the load.

A savepoint guards the COPY: when any row breaks a rule here, nothing is written and the caller takes
the staging path (`staging`), which finds the rows that break it. Tables that need no Python are
passed through in binary, block by block (the embeddings among them: no vector is parsed), when the
staging types' binary form is what the table's columns receive.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
from django.db import DatabaseError, transaction

from .mapping import TablePlan, _q
from .source import _raw_blocks, _rows


def _binary_compatible(cursor, plan: TablePlan) -> bool:
    """Whether the staging types' binary form is what the target's columns receive."""
    cursor.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = to_regclass(%s) "
        "AND attnum > 0 AND NOT attisdropped",
        [plan.target_sql],
    )
    target = dict(cursor.fetchall())
    same = {("text", "character varying"), ("numeric", "numeric")}
    for column in plan.columns:
        kind = target[column.target]
        if (
            column.stage_type != kind
            and (column.stage_type, kind) not in same
            and not (column.stage_type == "timestamptz" and kind == "timestamp with time zone")
        ):
            return False
    return True


# Memory for building a vector index after a load: pgvector builds an HNSW graph that fits in
# maintenance_work_mem far faster than one that spills (100,000 embeddings of 1536 dimensions need
# about 700 MB). Raised for the build only (SET LOCAL, then restored), never lowered.
INDEX_BUILD_MEMORY = "1GB"


@contextlib.contextmanager
def _vector_indexes_built_after(cursor, plan: TablePlan) -> Iterator[None]:
    """Into an empty table, drop its HNSW / IVFFlat indexes, let the load run, then build them again.

    pgvector's own advice: building the index after loading is much faster than inserting every vector
    into it one by one (COPY into an indexed table does the latter). The caller's savepoint covers it:
    when the load or the build fails, the rollback brings the indexes back as they were."""
    cursor.execute(
        "SELECT x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam "
        "WHERE x.indrelid = to_regclass(%s) AND a.amname IN ('hnsw', 'ivfflat')",
        [plan.target_sql],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")  # regclass text: already quoted and qualified
    yield
    if not indexes:
        return
    cursor.execute(
        "SELECT current_setting('maintenance_work_mem'), current_setting('max_parallel_maintenance_workers')"
    )
    before, workers = cursor.fetchone()
    cursor.execute(
        "SELECT set_config('maintenance_work_mem', %s, true) WHERE pg_size_bytes(%s) > pg_size_bytes(%s)",
        [INDEX_BUILD_MEMORY, INDEX_BUILD_MEMORY, before],
    )
    for _, definition in indexes:
        try:
            with transaction.atomic():
                cursor.execute(definition)
        except DatabaseError:
            # A parallel build keeps the graph in shared memory, which a container may not have room
            # for (Docker's /dev/shm is 64 MB by default): build it in this backend's memory instead.
            cursor.execute("SELECT set_config('max_parallel_maintenance_workers', '0', true)")
            cursor.execute(definition)
    cursor.execute(
        "SELECT set_config('maintenance_work_mem', %s, true), "
        "set_config('max_parallel_maintenance_workers', %s, true)",
        [before, workers],
    )


def _try_direct_copy(source, cursor, plan, context, table_report, refused, bar) -> bool:
    """COPY straight into an empty table; False (nothing written) when any row breaks a rule here."""
    columns = ", ".join(_q(column.target) for column in plan.columns)
    binary = not plan.needs_python and _binary_compatible(cursor, plan)
    if not plan.needs_python and not binary:
        return False
    try:
        with transaction.atomic(), _vector_indexes_built_after(cursor, plan):
            if binary:
                with cursor.copy(f"COPY {plan.target_sql} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                    for block in _raw_blocks(source, plan, bar, with_source_id=False):
                        copy.write(block)
            else:
                with cursor.copy(f"COPY {plan.target_sql} ({columns}) FROM STDIN") as copy:
                    for row in _rows(source, plan, context, refused, bar):
                        copy.write_row(row[1:])
    except (DatabaseError, psycopg.Error):
        return False  # a row breaks a rule here: the staging path finds which
    cursor.execute(f"SELECT count(*) FROM {plan.target_sql}")
    table_report.imported = cursor.fetchone()[0]
    return True
