"""The import itself: `import_prisma` plans every known table, then loads one table after another in
one transaction on the target (see the package), and continues the invoice counters after them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from django.db import DatabaseError, connection, transaction
from psycopg import sql as psql

from shared.audit import summarised_audit
from tekupdb.db import partitions

from .direct import _try_direct_copy
from .hooks import SECRET_COLUMNS, ImportContext
from .mapping import SCHEMAS, TablePlan, _q, known_models, plan_table, source_table_of
from .report import ImportReport, PrismaImportError, Refusal, TableReport
from .source import _refuse_wrong_source, _source_catalog, connect_source
from .staging import _load_through_stage

INVOICE_NUMBER = r"^(\d{4})-(\d+)$"

ProgressFactory = Callable[[str, int], Any]  # (label, total) → object with update(done) and finish()


class _NoProgress:
    def update(self, done: int, note: str = "") -> None:
        pass

    def finish(self, note: str = "") -> None:
        pass


def table_load_context(plan: TablePlan):
    """Wraps the load of one table: the database audit writes one summary entry per statement instead
    of one per imported row (shared.audit.summarised_audit)."""
    return summarised_audit(f"import_prisma {plan.label}")


def import_prisma(
    source_url: str,
    *,
    dry_run: bool = False,
    only: list[str] | None = None,
    progress: ProgressFactory | None = None,
    batch_size: int = 20_000,
) -> ImportReport:
    """Copy every row of the Prisma-built database at `source_url` into this database (see the package)."""
    schemas = tuple(only) if only else SCHEMAS
    unknown = sorted(set(schemas) - set(SCHEMAS))
    if unknown:
        raise PrismaImportError(f"unknown schema(s) {', '.join(unknown)}; choose from {', '.join(SCHEMAS)}")
    progress = progress or (lambda label, total: _NoProgress())
    report = ImportReport(dry_run=dry_run)
    connection.ensure_connection()  # starts the embedded server, which may hold the source too
    with connect_source(source_url) as source, source.transaction():
        source.execute("SET LOCAL TIME ZONE 'UTC'")
        _refuse_wrong_source(source)
        catalog = _source_catalog(source, schemas)
        plans = [
            plan_table(model, catalog[source_table_of(model)])
            for model in known_models(schemas)
            if source_table_of(model) in catalog
        ]
        _survey_source(source, report, catalog, plans, schemas)
        with transaction.atomic():
            _load_plans(source, plans, report, progress, batch_size)
            # Imported history of any age lands in the DEFAULT partition of a partitioned table; give
            # each of its months its own partition (the rows move with it) before the commit.
            for plan in plans:
                partitions.settle_default(table=plan.label)
            if dry_run:
                transaction.set_rollback(True)
    return report


def _survey_source(source, report: ImportReport, catalog: dict, plans: list[TablePlan], schemas) -> None:
    """Report what the source holds beyond the planned tables: tables with no model here (and their
    rows), and users whose emails differ only in case."""
    known = {(plan.schema, plan.source_table) for plan in plans}
    for schema, table in sorted(set(catalog) - known):
        count = source.execute(psql.SQL("SELECT count(*) FROM {}").format(psql.Identifier(schema, table)))
        report.unknown_tables.append((f"{schema}.{table}", count.fetchone()[0]))
    if "shared" in schemas and ("shared", "users") in catalog:
        report.email_case_duplicates = [
            (email, ids)
            for email, ids in source.execute(
                "SELECT lower(email), array_agg(id::text ORDER BY created_at, id) FROM shared.users "
                "GROUP BY 1 HAVING count(*) > 1 ORDER BY 1"
            )
        ]


def _load_plans(source, plans: list[TablePlan], report: ImportReport, progress, batch_size: int) -> None:
    """Load every planned table, parents first, with foreign keys checked at once (`SET CONSTRAINTS ALL
    IMMEDIATE`): a row whose parent is missing is refused, not the whole import at commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for plan in plans:
            table_report = TableReport(plan.label, f"{plan.schema}.{plan.source_table}")
            table_report.unmapped_columns = plan.unmapped
            report.tables.append(table_report)
            with table_load_context(plan):
                _load_table(source, cursor, plan, table_report, report, progress, batch_size)
        if any(plan.label == "renos.invoices" for plan in plans):
            report.invoice_counters = _continue_invoice_counters(cursor)


def _load_table(source, cursor, plan: TablePlan, table_report: TableReport, report, progress, batch_size):
    counted = source.execute(
        psql.SQL("SELECT count(*), {} FROM {} s").format(psql.SQL(plan.rounded_sql or "0"), plan.source_sql)
    ).fetchone()
    table_report.source_rows, table_report.rounded = counted
    bar = progress(plan.label, table_report.source_rows)
    context = ImportContext()
    secret = SECRET_COLUMNS.get(plan.label)
    if secret:
        cursor.execute(
            f"SELECT id::text, {_q(secret)} FROM {plan.target_sql} WHERE {_q(secret)} LIKE 'v1:%%'"
        )
        context.existing_secrets = dict(cursor.fetchall())
    refused_here: list[Refusal] = []
    try:
        # A savepoint per table: a table that fails leaves the others importable (and is reported).
        with transaction.atomic():
            cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {plan.target_sql})")
            loaded = False
            if cursor.fetchone()[0]:
                loaded = _try_direct_copy(source, cursor, plan, context, table_report, refused_here, bar)
            if not loaded:
                refused_here.clear()
                _load_through_stage(
                    source, cursor, plan, context, table_report, refused_here, bar, batch_size
                )
    except (DatabaseError, psycopg.Error, PrismaImportError) as error:
        table_report.error = str(error).strip().splitlines()[0]
        bar.finish("failed")
        return
    table_report.refused = len(refused_here)
    report.refusals.extend(refused_here)
    bar.finish()


def _continue_invoice_counters(cursor) -> dict[int, int]:
    """Each year's counter continues after the highest invoice number of that year (`2025-0042`)."""
    cursor.execute(
        """
        INSERT INTO renos.invoice_number_counters AS c (year, last_number)
        SELECT substring(invoice_number FROM %s)::int, max(substring(invoice_number FROM %s)::int)
        FROM renos.invoices WHERE invoice_number ~ %s GROUP BY 1
        ON CONFLICT (year) DO UPDATE SET last_number = EXCLUDED.last_number, updated_at = now()
        WHERE c.last_number < EXCLUDED.last_number
        """,
        [r"^(\d{4})-", r"^\d{4}-(\d+)$", INVOICE_NUMBER],
    )
    cursor.execute("SELECT year, last_number FROM renos.invoice_number_counters ORDER BY year")
    return dict(cursor.fetchall())
