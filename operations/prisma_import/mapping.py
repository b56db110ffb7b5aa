"""The plan of a table: which source table and columns feed each model, and the SQL that converts them.

`plan_table` matches each column of a Django model to a column of the source table (snake_case here,
camelCase in crm and flow) and writes the conversion as SQL run *on the source* (see the package);
`known_models` orders the models parents first; `migrated_id` is the rule for ids that were text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection, models
from psycopg import sql as psql

from shared.apps_base import schema_names

from .hooks import EXTRA_SOURCE, ROW_HOOKS, ImportContext
from .report import PrismaImportError

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


def migrated_id(schema: str, source_table: str, old_id: str) -> uuid.UUID:
    """The id here of a row whose text id (cuid) in the Prisma database was `old_id`.

    `source_table` is the table's name there (`CrmContact`, `leads`). Other services compute the same.
    """
    return uuid.uuid5(uuid.NAMESPACE_URL, f"prisma:{schema}.{source_table}:{old_id}")


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
