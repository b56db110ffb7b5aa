"""Import every row of the Prisma-built database (the TypeScript project's) into this project's database.

`python manage.py import_prisma --source URL` is a thin shell over `import_prisma()` here. The module
knows every schema app (it maps their tables), so it lives in the operations app, not in a schema app.

How a table moves:
1. The plan (`plan_table`) matches each column of the Django model to a column of the source table
   (snake_case here, camelCase in crm and flow) and writes the conversion as SQL run *on the source*:
   `double precision` → `round(x::numeric, scale)` (half up: numeric rounding, from the double's
   shortest text form, so 2.675 becomes 2.68), `timestamp without time zone` read as UTC, casts to the
   staging types. Text ids (cuid) become `uuid5(NAMESPACE_URL, "prisma:<schema>.<source table>:<id>")`
   in Python (PostgreSQL has no uuid5 without the uuid-ossp extension); billy API keys and flow secret
   values are encrypted in Python with shared.crypto.
2. Rows stream with COPY: tables that need no Python are passed through in binary block by block (the
   embeddings among them: no vector is parsed), the others in text format through the mapping.
3. Into an empty table the rows are COPYed directly (a savepoint guards it). Otherwise, or when that
   fails, they go to a temporary staging table and from there into the table with one
   `INSERT … ON CONFLICT (id) DO UPDATE … WHERE (row) IS DISTINCT FROM (new row)`: new rows count as
   imported, changed ones as updated, the rest as unchanged. A batch that breaks a constraint is split
   in halves under savepoints until the single rows that break it are found; those are refused with
   their source id and the database's reason, the others load.
Everything runs in one transaction on the target, with foreign keys checked at once (`SET CONSTRAINTS
ALL IMMEDIATE`) so that a row whose parent is missing is refused, not the whole import at commit; a
dry run rolls that transaction back. The source is read in one `REPEATABLE READ, READ ONLY`
transaction: one consistent snapshot, and nothing can be written there.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from psycopg import sql as psql

from shared import crypto
from shared.apps_base import schema_names
from shared.audit import summarised_audit
from tekupdb.db import partitions

# The source has the same schemas as this database (AppConfig.schema), imported parents first.
SCHEMAS = tuple(schema_names())

# crm and flow tables are named after their Prisma models; the other schemas keep the table names.
SOURCE_TABLES = {
    "crm.companies": "CrmCompany",
    "crm.contacts": "CrmContact",
    "crm.deals": "CrmDeal",
    "crm.deal_products": "CrmDealProduct",
    "crm.activities": "CrmActivity",
    "crm.emails": "CrmEmail",
    "crm.tasks": "CrmTask",
    "crm.metrics": "CrmMetric",
    "flow.workflows": "FlowWorkflow",
    "flow.executions": "FlowExecution",
    "flow.execution_steps": "FlowExecutionStep",
    "flow.execution_logs": "FlowExecutionLog",
    "flow.schedules": "FlowSchedule",
    "flow.webhooks": "FlowWebhook",
    "flow.integrations": "FlowIntegration",
    "flow.variables": "FlowVariable",
    "flow.metrics": "FlowMetric",
}
# Columns whose source name is not the name here (camelCase in crm and flow): the first that the
# source has wins, then the default name. The latest schema renamed a few chat columns.
SOURCE_COLUMNS = {
    "crm.contacts.linkedin": ("linkedIn",),
    "renos.chat_sessions.user_id": ("userId",),
    "renos.chat_messages.timestamp": ("timestamp", "created_at"),
    "renos.escalations.owner_notified": ("jonas_notified",),  # the owner was called Jonas in the original
}
# Tables of this project that have no source table: filled from other imported rows.
DERIVED_TABLES = {"renos.invoice_number_counters"}

UNUSABLE_PASSWORD_SQL = "'!' || md5(random()::text || clock_timestamp()::text)"
INVOICE_NUMBER = r"^(\d{4})-(\d+)$"


def migrated_id(schema: str, source_table: str, old_id: str) -> uuid.UUID:
    """The id here of a row whose text id (cuid) in the Prisma database was `old_id`.

    `source_table` is the table's name there (`CrmContact`, `leads`). Other services compute the same.
    """
    return uuid.uuid5(uuid.NAMESPACE_URL, f"prisma:{schema}.{source_table}:{old_id}")


class PrismaImportError(Exception):
    """The import cannot start or a table cannot be read (the message says which and why)."""


class Refused(Exception):
    """A row transform refuses the row; the message is the reason."""


@dataclass
class Refusal:
    table: str
    source_id: str
    reason: str


@dataclass
class TableReport:
    table: str  # here, schema.table
    source_table: str  # there, schema.Table
    source_rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    rounded: int = 0
    error: str | None = None
    unmapped_columns: list[str] = field(default_factory=list)

    @property
    def accounted(self) -> bool:
        return self.error is None and self.imported + self.updated + self.unchanged + self.refused == (
            self.source_rows
        )


@dataclass
class ImportReport:
    dry_run: bool
    tables: list[TableReport] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    unknown_tables: list[tuple[str, int]] = field(default_factory=list)
    email_case_duplicates: list[tuple[str, list[str]]] = field(default_factory=list)
    invoice_counters: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every row of every known table was imported, updated, unchanged or explicitly refused."""
        return all(table.accounted for table in self.tables)

    @property
    def changed(self) -> int:
        return sum(table.imported + table.updated for table in self.tables)


# --- the plan of a table ------------------------------------------------------------------------------


@dataclass
class Column:
    target: str
    source_sql: str  # expression over the source table (alias s), already of the staging type
    stage_type: str
    insert_sql: str  # expression over the staging table (alias st) for the target column
    uuid_of: str | None = None  # source table whose text ids this column holds (mapped in Python)
    update: bool = True  # compared and updated on a re-run (False: set once, e.g. unusable passwords)


@dataclass
class TablePlan:
    model: type[models.Model]
    label: str  # schema.table here
    schema: str
    source_table: str
    columns: list[Column]
    rounded_sql: str | None  # counts source values that rounding changes
    unmapped: list[str]  # source columns with no home here
    row_hook: Callable[[ImportContext, dict[str, Any]], None] | None = None
    extra_source: list[str] = field(default_factory=list)  # source columns only the hook reads

    @property
    def target_sql(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    @property
    def source_sql(self) -> psql.Composable:
        return psql.Identifier(self.schema, self.source_table)

    @property
    def needs_python(self) -> bool:
        return self.row_hook is not None or any(column.uuid_of for column in self.columns)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _literal(value: Any) -> str | None:
    """SQL literal of a field default, for a NOT NULL column whose source column is nullable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple) and not value:
        return "'{}'"
    if isinstance(value, dict):
        return "'" + json.dumps(value).replace("'", "''") + "'"
    return None


def source_table_of(model: type[models.Model]) -> tuple[str, str]:
    schema, table = model._meta.db_table.split('"."')
    return schema, SOURCE_TABLES.get(f"{schema}.{table}", table)


def known_models(schemas: tuple[str, ...] = SCHEMAS) -> list[type[models.Model]]:
    """The models that take rows from the source, parents before children."""
    chosen = [
        model
        for model in apps.get_models()
        if model._meta.app_label in schemas
        and model._meta.managed
        and model._meta.db_table.replace('"."', ".") not in DERIVED_TABLES
    ]
    ordered: list[type[models.Model]] = []

    def visit(model, seen=()):
        if model in ordered or model in seen:
            return
        for fk in model._meta.local_fields:
            parent = fk.remote_field.model if fk.remote_field else None
            if parent is not None and parent is not model and parent in chosen:
                visit(parent, (*seen, model))
        ordered.append(model)

    for model in sorted(chosen, key=lambda m: m._meta.db_table):
        visit(model)
    return ordered


def plan_table(model: type[models.Model], source_columns: dict[str, tuple[str, bool]]) -> TablePlan:
    """Match each column of `model` with the source table's (name → (data type, nullable))."""
    schema, source_table = source_table_of(model)
    label = model._meta.db_table.replace('"."', ".")
    camel = schema in ("crm", "flow")
    columns: list[Column] = []
    rounded: list[str] = []
    used: set[str] = set()
    for fld in model._meta.local_concrete_fields:
        if isinstance(fld, models.GeneratedField):
            continue  # computed by the database
        special = SPECIAL_COLUMNS.get(f"{label}.{fld.column}")
        if special is not None:
            sql_expr, stage_type, update = special
            columns.append(Column(fld.column, sql_expr, stage_type, f"st.{_q(fld.column)}", update=update))
            continue
        default = _camel(fld.column) if camel else fld.column
        candidates = [*SOURCE_COLUMNS.get(f"{label}.{fld.column}", ()), default]
        name = next((c for c in candidates if c in source_columns), default)
        if name not in source_columns:
            if fld.null or fld.has_db_default():
                continue  # the database's default (or NULL), as a plain-SQL insert would get
            raise PrismaImportError(
                f"{label}.{fld.column} has no source column {schema}.{source_table}.{name}"
            )
        used.add(name)
        source_type, nullable = source_columns[name]
        columns.append(_column(fld, name, source_type, nullable, rounded))
    plan = TablePlan(
        model=model,
        label=label,
        schema=schema,
        source_table=source_table,
        columns=columns,
        rounded_sql=" + ".join(f"count(*) FILTER (WHERE {r})" for r in rounded) or None,
        unmapped=sorted(set(source_columns) - used - set(EXTRA_SOURCE.get(label, ()))),
    )
    hook = ROW_HOOKS.get(label)
    if hook is not None:
        plan.row_hook = hook
        plan.extra_source = list(EXTRA_SOURCE.get(label, ()))
    return plan


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(fld, name: str, source_type: str, nullable: bool, rounded: list[str]) -> Column:
    raw = f"s.{_q(name)}"
    target_type = fld.db_type(connection)
    base = target_type.split("(")[0]
    insert = f"st.{_q(fld.column)}"
    uuid_of = None
    expr = raw
    if source_type == "timestamp without time zone":
        expr = f"({raw} AT TIME ZONE 'UTC')"  # Prisma wrote UTC into these columns
    if base == "date":
        expr = (
            f"{raw}::date"
            if source_type.startswith("timestamp without")
            else f"({raw} AT TIME ZONE 'UTC')::date"
        )
        stage = "date"
    elif isinstance(fld, models.DecimalField):
        scale = fld.decimal_places
        if source_type in ("double precision", "real"):
            expr = f"round({raw}::numeric, {scale})"
            rounded.append(f"{raw}::numeric <> round({raw}::numeric, {scale})")
        else:
            expr = f"{raw}::numeric"
        stage = "numeric"  # the target's precision is checked per row on insert
    elif base == "uuid" and source_type == "text":
        remote = fld.remote_field.model if fld.remote_field else fld.model
        uuid_of = source_table_of(remote)[1] if not fld.primary_key else source_table_of(fld.model)[1]
        stage = "uuid"
    elif target_type.endswith("[]"):
        stage = "text[]"  # assigned to varchar(n)[] element by element: too long is refused, not cut
    elif base in ("varchar", "char", "inet", "text"):
        stage = "text"
        if base == "inet":
            insert = f"{insert}::inet"
    elif base in ("smallint", "integer", "bigint", "serial", "bigserial"):
        stage = "bigint"  # a value too large for the column is refused per row, not at the source
    elif base == "vector":
        stage = "vector"
    else:
        stage = target_type
    if uuid_of is None and not expr.endswith(f"::{stage}"):
        expr = f"({expr})::{stage}"
    if nullable and not fld.null:
        default = _literal(fld.get_default()) if fld.has_default() else None
        if default is not None:
            expr = f"coalesce({expr}, {default}::{stage})"
    return Column(fld.column, expr, stage, insert, uuid_of=uuid_of)


# --- transforms that need Python ----------------------------------------------------------------------


@dataclass
class ImportContext:
    """What row hooks may read: the target's current secret tokens, to keep them when unchanged."""

    existing_secrets: dict[str, str] = field(default_factory=dict)


def _seal(context: ImportContext, row_id: str, plaintext: str) -> str:
    """Encrypt, but keep the stored token when it already holds this plaintext: a re-run changes nothing."""
    token = context.existing_secrets.get(row_id)
    if token is not None:
        with contextlib.suppress(crypto.DecryptionError):
            if crypto.decrypt(token) == plaintext:
                return token
    return crypto.encrypt(plaintext)


def _billy_api_key(context: ImportContext, row: dict[str, Any]) -> None:
    key = row["billy_api_key"]
    if key and not key.startswith(f"{crypto.PREFIX}:"):
        row["billy_api_key"] = _seal(context, row["id"], key)


def _flow_secret_value(context: ImportContext, row: dict[str, Any]) -> None:
    if row["is_secret"] not in ("t", True):
        return
    if row.pop("_encrypted") in ("t", True):
        raise Refused("secret value was encrypted by the old service with a key this project does not have")
    row["value"] = _seal(context, row["id"], row["value"])


ROW_HOOKS: dict[str, Callable[[ImportContext, dict[str, Any]], None]] = {
    "billy.organizations": _billy_api_key,
    "flow.variables": _flow_secret_value,
}
EXTRA_SOURCE = {"flow.variables": ("encrypted",)}  # read for the hook, not stored
SECRET_COLUMNS = {"billy.organizations": "billy_api_key", "flow.variables": "value"}
SPECIAL_COLUMNS = {
    # Users reset their passwords: '!' starts Django's unusable password.
    "shared.users.password": (UNUSABLE_PASSWORD_SQL, "text", False),
    # The vector was made from the document as the source holds it.
    "vault.embeddings.content_hash": (
        "(SELECT md5(d.content) FROM vault.documents d WHERE d.id = s.document_id)",
        "text",
        True,
    ),
}


# --- the import ---------------------------------------------------------------------------------------


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


def connect_source(url: str) -> psycopg.Connection:
    try:
        source = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as error:
        raise PrismaImportError(f"cannot connect to the source database: {error}".strip()) from None
    source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    source.read_only = True
    return source


def import_prisma(
    source_url: str,
    *,
    dry_run: bool = False,
    only: list[str] | None = None,
    progress: ProgressFactory | None = None,
    batch_size: int = 20_000,
) -> ImportReport:
    """Copy every row of the Prisma-built database at `source_url` into this database (see the module)."""
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
        models_ = known_models(schemas)
        plans = []
        for model in models_:
            schema, table = source_table_of(model)
            if (schema, table) in catalog:
                plans.append(plan_table(model, catalog[(schema, table)]))
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
        with transaction.atomic():
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
            # Imported history of any age lands in the DEFAULT partition of a partitioned table; give
            # each of its months its own partition (the rows move with it) before the commit.
            for plan in plans:
                partitions.settle_default(table=plan.label)
            if dry_run:
                transaction.set_rollback(True)
    return report


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


def _primary_key_columns(cursor, target_sql: str) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(a.attname) FROM pg_index i "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY k.position",
        [target_sql],
    )
    return [row[0] for row in cursor.fetchall()] or ["id"]


def _load_through_stage(source, cursor, plan, context, table_report, refused, bar, batch_size) -> None:
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
    last = cursor.fetchone()[0]
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
    id_sql = next(c.insert_sql for c in plan.columns if c.target == "id")
    existing = (
        f"SELECT count(*) FROM {plan.target_sql} WHERE id IN "
        f"(SELECT {id_sql} FROM prisma_stage st WHERE st._n BETWEEN %s AND %s)"
    )
    staged = 0

    def load(low: int, high: int) -> None:
        nonlocal staged
        try:
            with transaction.atomic():
                if partitioned:
                    cursor.execute(existing, [low, high])
                    before = cursor.fetchone()[0]
                cursor.execute(upsert, [low, high])
                inserted = [row[0] for row in cursor.fetchall()]
                if partitioned:
                    new_count = high - low + 1 - before
                    inserted = [True] * new_count + [False] * (len(inserted) - new_count)
        except (DatabaseError, psycopg.Error) as error:
            if low == high:
                cursor.execute("SELECT _source_id FROM prisma_stage WHERE _n = %s", [low])
                refused.append(Refusal(plan.label, cursor.fetchone()[0], _reason(cursor, plan, error, low)))
                return
            middle = (low + high) // 2
            load(low, middle)
            load(middle + 1, high)
            return
        new_rows = sum(inserted)
        table_report.imported += new_rows
        table_report.updated += len(inserted) - new_rows
        table_report.unchanged += high - low + 1 - len(inserted)
        staged += high - low + 1

    for low in range(1, last + 1, batch_size):
        load(low, min(low + batch_size - 1, last))
    cursor.execute("DROP TABLE prisma_stage")


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
