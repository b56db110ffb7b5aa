"""The database audit: a row-level trigger on every table of the six schemas writes each INSERT, UPDATE
and DELETE to shared.audit_logs, whoever made it (admin, action, inline, cascade, service, command, or
another service's plain SQL), with the changed columns as `{column: [before, after]}`.

This module is the one place that says
- which tables are exempt, and why (`EXEMPT_TABLES`);
- which columns are never copied into the audit, only recorded as "changed" (`masked_columns`): the
  encrypted columns, the password hash, and every pgvector column (an embedding is 1,536 numbers);
- how the actor reaches the database: `actor_context()` holds the Django user of the request
  (`ActorMiddleware`) or of `shared.services.acting_as(user)`; an execute wrapper puts it into a
  *transaction-local* setting (`set_config(..., true)`) in front of each writing statement, so it never
  outlives the statement's transaction on a pooled connection. With no actor the trigger records
  `sql:<database role>`;
- how bulk loads avoid one audit row per loaded row: `summarised_audit(label)` (used by seed, vault's
  bulk_upsert_documents and restore) switches the row triggers off for its transaction, and a
  statement-level trigger writes one summary entry per statement instead.

Library: django-pgtrigger declares the triggers, so their DDL lives in each app's migrations (its
AddTrigger operations) and `makemigrations` notices when a table's masked columns change. It handles the
`'<schema>"."<table>'` table names (it quotes a name only when it has no quote already). django-pghistory
was the alternative: it writes one event table per tracked model (a copy of every column), which does not
fit the one shared audit with before → after that the admin and `audit_trail` read. The two plpgsql
functions that do the work are shared by every trigger and live in shared's migrations (RunSQL): pgtrigger
manages triggers and their own function only, not a function that many triggers call.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pgtrigger
from django.apps import apps
from django.db import connections, transaction

# Tables whose writes are not audited, with the reason. Keys are "<schema>.<table>".
EXEMPT_TABLES: dict[str, str] = {
    "billy.cached_invoices": "a cache of Billy's data, rewritten whenever it is read",
    "billy.cached_customers": "a cache of Billy's data, rewritten whenever it is read",
    "billy.cached_products": "a cache of Billy's data, rewritten whenever it is read",
    "billy.rate_limits": "a counter bumped on every API call",
    "billy.usage_metrics": "counters bumped on every API call",
    "billy.audit_logs": "itself a log (the MCP server's tool calls)",
    "flow.execution_logs": "itself a log (of workflow executions)",
    "flow.metrics": "counters",
    "shared.audit_logs": "the audit itself",
}

# Columns recorded as "changed", never with a value, besides encrypted fields and vectors (found by
# type in `masked_columns`). "column?flag" masks the column only in rows where boolean `flag` is true.
# Until shared.fields.encrypted_fields() (issue #13) marks the encrypted columns, they are named here.
EXPLICIT_MASKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "shared.users": ("password",),  # a hash, but still nothing to copy around
}

# The value the audit records for a masked column whose value changed (or was set, or removed); the
# same word is written by shared.audit_row (shared migration 0002).
CHANGED = "changed"
VECTOR_TYPES = {"VectorField", "HalfVectorField", "SparseVectorField", "BitField"}

# Transaction-local settings the trigger functions read.
ACTOR_SETTING = "tekup.actor"
ACTOR_ID_SETTING = "tekup.actor_id"
# '' → one entry per row; 'summary:<label>' → one entry per statement; 'off' → none (restore only, which
# records itself once its rows are verified: operations.restore).
MODE_SETTING = "tekup.audit_mode"

ROW_TRIGGER = "audit"
STATEMENT_TRIGGER = "audit_summary"


def table_key(model) -> str:
    """'<schema>.<table>' of a model whose db_table is '<schema>"."<table>'."""
    return model._meta.db_table.replace('"."', ".").strip('"')


def is_exempt(model) -> bool:
    return table_key(model) in EXEMPT_TABLES


def masked_columns(model) -> list[str]:
    """The model's columns the audit records as "changed" only (sorted; "col?flag" for conditional)."""
    masked = set(EXPLICIT_MASKED_COLUMNS.get(table_key(model), ()))
    plain = {spec.split("?", 1)[0] for spec in masked}
    for field in model._meta.concrete_fields:
        if field.column in plain:
            continue
        # Encrypted columns come from the one registry (shared.fields): masked on every row, or only
        # where their `encrypted_when` column is true (a flow variable named "api_key" that is not secret
        # shows its value). Vectors are masked by column type.
        if getattr(field, "encrypted", False):
            condition = field.condition_column()
            masked.add(f"{field.column}?{condition}" if condition else field.column)
        elif field.get_internal_type() in VECTOR_TYPES:
            masked.add(field.column)
    return sorted(masked)


def audited_models() -> list:
    """Every concrete model of the six schemas whose table is audited."""
    return [
        model
        for model in apps.get_models()
        if getattr(apps.get_app_config(model._meta.app_label), "schema", None)
        and model._meta.managed
        and not model._meta.proxy
        and not model._meta.auto_created
        and not is_exempt(model)
    ]


def _sql_text_array(values: list[str]) -> str:
    if not values:
        return "ARRAY[]::text[]"
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]::text[]"


def row_trigger(model) -> pgtrigger.Trigger:
    """After each inserted, updated or deleted row (unless a summarised load is running): one entry."""
    return pgtrigger.Trigger(
        name=ROW_TRIGGER,
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        level=pgtrigger.Row,
        # The condition is evaluated without calling plpgsql: during a summarised load a row costs little.
        condition=pgtrigger.Condition(f"COALESCE(current_setting('{MODE_SETTING}', true), '') = ''"),
        func=(
            "PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, "
            "CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, "
            "CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, "
            f"{_sql_text_array(masked_columns(model))}); RETURN NULL;"
        ),
    )


def statement_trigger() -> pgtrigger.Trigger:
    """After each statement of a summarised load: one summary entry for the statement."""
    return pgtrigger.Trigger(
        name=STATEMENT_TRIGGER,
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        level=pgtrigger.Statement,
        condition=pgtrigger.Condition(f"COALESCE(current_setting('{MODE_SETTING}', true), '') <> ''"),
        func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
    )


def register_audit_triggers() -> None:
    """Register both triggers on every audited model (called from SharedConfig.ready()), so that
    makemigrations writes them into each app's migrations like triggers declared in Meta."""
    for model in audited_models():
        pgtrigger.register(row_trigger(model), statement_trigger())(model)


# --- the actor -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    id: str
    email: str


NO_ACTOR = Actor(id="", email="")
_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("tekup_audit_actor", default=None)


def current_actor() -> Actor | None:
    return _actor.get()


@contextlib.contextmanager
def actor_context(user) -> Iterator[None]:
    """Writes made inside are recorded as made by `user` (None: as plain SQL, `sql:<role>`)."""
    actor = Actor(id=str(user.pk), email=user.get_username()) if user is not None else None
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


WRITE_VERBS = ("insert", "update", "delete", "with", "merge")


def _is_write(sql) -> bool:
    text = sql if isinstance(sql, str) else str(sql)
    return text.lstrip()[:6].lower().startswith(WRITE_VERBS)


def _actor_sql(actor: Actor) -> tuple[str, list[str]]:
    return (
        f"SELECT set_config('{ACTOR_SETTING}', %s, true), set_config('{ACTOR_ID_SETTING}', %s, true)",
        [actor.email, actor.id],
    )


def inject_actor(execute, sql, params, many, context):
    """Execute wrapper: a writing statement run while an actor is known carries it to the triggers.

    Like django-pgtrigger's own `ignore()`, the setting goes in front of the statement in the same query
    string (Django's psycopg 3 cursors bind on the client, so the string may hold two statements; the
    server runs them as one transaction, so `set_config(..., true)` holds for the write and no longer).
    executemany() cannot take two statements: there the setting is made first, inside a transaction.
    """
    actor = _actor.get()
    cursor = context["cursor"]
    connection = context["connection"]
    # Inside a transaction the setting is made (or cleared) for every write: a transaction that wrote
    # inside acting_as() and goes on writing after it must not lend the actor to those later writes.
    if (
        (actor is None and not connection.in_atomic_block)
        or not _is_write(sql)
        or getattr(cursor.cursor, "name", None)
    ):
        return execute(sql, params, many, context)
    setting, values = _actor_sql(actor or NO_ACTOR)
    if many or connection.features.uses_server_side_binding:
        with transaction.atomic(using=connection.alias):
            cursor.cursor.execute(setting, values)
            return execute(sql, params, many, context)
    literal = cursor.cursor.mogrify(setting, values)
    # Without parameters the statement's own % signs are literal; with them, the setting's must be doubled.
    combined = f"{literal}; {sql}" if params is None else f"{literal.replace('%', '%%')}; {sql}"
    result = execute(combined, params, many, context)
    while cursor.cursor.nextset():  # move to the write's own result (RETURNING rows, rowcount)
        pass
    return result


def install_actor_wrapper(sender=None, connection=None, **kwargs) -> None:
    """connection_created: every connection of the project that may write carries the actor to the
    triggers. A backend with `carries_audit_actor = False` is left alone: the SQL tool's read-only alias
    (tekupdb.db.readonly) writes nothing, and what is typed into the tool must reach the server as typed,
    one statement, so that the server itself refuses a write ("read-only transaction")."""
    if connection is None or not getattr(connection, "carries_audit_actor", True):
        return
    if inject_actor not in connection.execute_wrappers:
        connection.execute_wrappers.append(inject_actor)


# --- bulk loads ------------------------------------------------------------------------------------


@contextlib.contextmanager
def summarised_audit(label: str, *, using: str = "default") -> Iterator[None]:
    """Inside: the row triggers stay silent and each INSERT/UPDATE/DELETE statement on an audited table
    writes one summary entry (action, table, `metadata.bulk = label`) instead. For loads of many rows
    (seed, restore, bulk_upsert_documents, import_prisma). Runs in a transaction; the setting is
    transaction-local and is put back on leaving, so nothing outlives the block."""
    if not label:
        raise ValueError("summarised_audit needs a label saying what is being loaded.")
    actor = _actor.get()
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("SELECT current_setting(%s, true)", [MODE_SETTING])
        previous = raw.fetchone()[0] or ""
        raw.execute("SELECT set_config(%s, %s, true)", [MODE_SETTING, f"summary:{label}"])
        if actor is not None:
            raw.execute(*_actor_sql(actor))
        yield
        # Put back (an exception instead rolls the block back, and the setting with it).
        raw.execute("SELECT set_config(%s, %s, true)", [MODE_SETTING, previous])


def record_prune(*, table: str, older_than: timedelta, cutoff: datetime, pruned, **counts: int) -> None:
    """One summary entry in the audit for a prune of a history table that removed something (those
    tables are not audited row by row; the prune of the audit itself is recorded the same way).
    `pruned` is a tekupdb.db.partitions.PruneResult; the prune services validated the rest.

    Raises ValidationError: see log_event."""
    if not pruned.rows and not any(counts.values()):
        return
    from .services import log_event  # services imports this module

    log_event(
        action="prune",
        resource_type=table,
        resource_id=cutoff.isoformat(),
        metadata={
            "older_than_seconds": older_than.total_seconds(),
            "cutoff": cutoff.isoformat(),
            "dropped_partitions": [partition.name for partition in pruned.dropped],
            "rows": pruned.rows,
            "estimated": pruned.estimated,
            **counts,
        },
    )
