"""DATA_MODEL.md's promise to the services that still write this database in plain SQL: an INSERT that
names only the listed columns succeeds, because every column beyond the list (and every listed `=x`
default) has a database default or is nullable.

`MUST_SUPPLY` is read off DATA_MODEL.md: per table, the listed columns that are neither nullable (`?`)
nor defaulted (`=x`), i.e. the only columns such an INSERT has to name. A model column that is NOT NULL
and has no db_default must be one of them. Each table is then checked in the database itself: a valid
row (from the app's factory) is moved by one `DELETE … RETURNING` / `INSERT` that names only those
columns (and `NAMED_TOGETHER`), and every other column must come back as its database default or NULL;
generated columns are the database's to compute.
"""

import factory
import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Value

from billy import factories as billy_factories
from crm import factories as crm_factories
from flow import factories as flow_factories
from renos import factories as renos_factories
from vault import factories as vault_factories

MUST_SUPPLY: dict[str, set[str]] = {
    # shared
    "shared.users": {"email", "name"},
    "shared.audit_logs": {"action", "resource_type", "resource_id"},
    # vault
    "vault.documents": {"source", "repository", "path", "content"},
    "vault.embeddings": {"document_id", "embedding", "model"},
    "vault.sync_status": {"source", "repository"},
    # billy
    "billy.organizations": {"name", "billy_api_key", "billy_organization_id"},
    "billy.users": {"email", "organization_id"},
    "billy.cached_invoices": {"organization_id", "billy_id", "data", "expires_at"},
    "billy.cached_customers": {"organization_id", "billy_id", "data", "expires_at"},
    "billy.cached_products": {"organization_id", "billy_id", "data", "expires_at"},
    "billy.audit_logs": {"tool_name", "action", "success"},
    "billy.usage_metrics": {"organization_id", "date", "hour", "tool_name"},
    "billy.rate_limits": {"organization_id", "endpoint", "window_start"},
    # renos
    "renos.chat_sessions": set(),
    "renos.chat_messages": {"session_id", "role", "content"},
    "renos.leads": set(),
    "renos.quotes": {"lead_id", "hourly_rate", "estimated_hours", "subtotal", "vat_rate", "total"},
    "renos.bookings": {"scheduled_at"},
    "renos.customers": {"name"},
    "renos.conversations": set(),
    "renos.email_ingest_runs": set(),
    "renos.email_threads": {"gmail_thread_id", "subject", "last_message_at"},
    "renos.email_messages": {"thread_id", "from", "body", "sent_at"},
    "renos.email_responses": {"lead_id", "recipient_email", "subject", "body"},
    "renos.escalations": {
        "lead_id",
        "customer_email",
        "thread_id",
        "severity",
        "conflict_score",
        "email_snippet",
        "escalated_by",
    },
    "renos.cleaning_plans": {"customer_id", "name", "service_type"},
    "renos.cleaning_tasks": {"plan_id", "name", "category"},
    "renos.cleaning_plan_bookings": {"plan_id", "booking_id"},
    "renos.breaks": {"booking_id", "start_time"},
    "renos.invoices": {
        "invoice_number",
        "customer_id",
        "customer_name",
        "issue_date",
        "due_date",
        "subtotal",
        "vat_amount",
        "total",
    },
    "renos.invoice_line_items": {"invoice_id", "description", "unit_price", "amount"},
    "renos.analytics": {"date", "metric", "value"},
    "renos.task_executions": {"task_type", "task_payload", "status"},
    "renos.competitor_pricing": {"competitor", "website_url", "pricing_data"},
    "renos.services": {"name", "price", "duration"},
    "renos.labels": {"name"},
    # Not in DATA_MODEL.md: the invoice numbering of renos.services; no plain-SQL writer.
    "renos.invoice_number_counters": {"year"},
    # crm
    "crm.contacts": {"first_name", "last_name", "status"},
    "crm.companies": {"name", "country", "status"},
    "crm.deals": {"title", "value", "stage", "owner", "status"},
    "crm.deal_products": {"deal_id", "product_name", "unit_price", "total"},
    "crm.activities": {"type", "owner"},
    "crm.emails": {"subject", "body", "from", "direction", "status"},
    "crm.tasks": {"title", "assigned_to", "status"},
    "crm.metrics": {"date", "metric", "value"},
    # flow
    "flow.workflows": {"name", "is_template", "status", "trigger", "nodes", "edges", "owner"},
    "flow.executions": {"workflow_id", "status"},
    "flow.execution_steps": {"execution_id", "step_id", "step_name", "step_type"},
    "flow.execution_logs": {"execution_id", "level", "message"},
    "flow.schedules": {"workflow_id", "name", "is_active"},
    "flow.webhooks": {"workflow_id", "name", "url", "is_active"},
    "flow.integrations": {"name", "type", "config", "owner"},
    "flow.variables": {"key", "value", "is_secret"},
    "flow.metrics": {"date", "metric", "value"},
}

# Listed optional columns that a check constraint ties to supplied ones: a writer names them together
# (a line's total with its quantity and discount; a schedule's cron expression or interval).
NAMED_TOGETHER: dict[str, set[str]] = {
    "crm.deal_products": {"quantity", "discount"},
    "renos.invoice_line_items": {"quantity"},
    "flow.schedules": {"cron_expression", "interval_minutes"},
}

SCHEMA_APPS = ("shared", "vault", "billy", "renos", "crm", "flow")


def _table(model) -> str:
    return model._meta.db_table.replace('"', "")


def _schema_models():
    for label in SCHEMA_APPS:
        for model in apps.get_app_config(label).get_models():
            if not model._meta.auto_created:  # M2M tables of the user model are Django's
                yield model


MODELS = sorted(_schema_models(), key=_table)


def _required_columns(model) -> set[str]:
    return {
        field.column
        for field in model._meta.local_concrete_fields
        if not field.null and not field.has_db_default() and not field.generated
    }


def test_every_schema_table_is_listed():
    assert {_table(model) for model in MODELS} == set(MUST_SUPPLY)


@pytest.mark.parametrize("model", MODELS, ids=_table)
def test_only_listed_columns_are_required(model):
    extra = _required_columns(model) - MUST_SUPPLY[_table(model)]
    assert not extra, f"{_table(model)}: NOT NULL without db_default beyond DATA_MODEL.md: {sorted(extra)}"


def _make_row(model):
    if model._meta.app_label == "shared":
        from shared.services import create_user, log_event

        user = create_user(email="plain-sql@tekup.dk", name="Plain SQL")
        if model is type(user):
            return user
        return log_event(action="probe", resource_type="test", resource_id="1", user=user)
    for module in (billy_factories, crm_factories, flow_factories, renos_factories, vault_factories):
        for value in vars(module).values():
            is_factory = isinstance(value, type) and issubclass(value, factory.Factory)
            if is_factory and value._meta.model is model and not value._meta.abstract:
                return value()
    raise AssertionError(f"no factory for {model.__name__}")


@pytest.mark.parametrize("model", MODELS, ids=_table)
def test_insert_naming_only_listed_columns_succeeds(model, db):
    row = _make_row(model)
    fields = {field.column: field for field in model._meta.local_concrete_fields if not field.generated}
    listed = MUST_SUPPLY[_table(model)] | NAMED_TOGETHER.get(_table(model), set())
    named = sorted(listed & set(fields))
    columns = ", ".join(f'"{name}"' for name in named)
    schema, table = model._meta.db_table.split('"."')
    with connection.cursor() as cursor:
        # Foreign keys are deferred by Django: check them in this statement, not at a commit that a
        # test never reaches.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f'WITH gone AS (DELETE FROM "{schema}"."{table}" WHERE id = %s RETURNING {columns or "1"}) '
            f'INSERT INTO "{schema}"."{table}" ({columns}) SELECT {columns} FROM gone RETURNING id'
            if named
            else f'WITH gone AS (DELETE FROM "{schema}"."{table}" WHERE id = %s) '
            f'INSERT INTO "{schema}"."{table}" DEFAULT VALUES RETURNING id',
            [row.pk],
        )
        new_id = cursor.fetchone()[0]

    assert new_id != row.pk, "the id must come from the database default"
    copy = model._base_manager.get(pk=new_id)
    for column, field in fields.items():
        if column in named or field.primary_key:
            continue
        value = getattr(copy, field.attname)
        if not field.has_db_default():
            assert value is None, f"{column}: nullable without default, got {value!r}"
        elif isinstance(field.db_default, Value):
            assert value == field.db_default.value, f"{column}: {value!r} is not its db_default"
        else:
            assert value is not None, f"{column}: its database default gave NULL"
