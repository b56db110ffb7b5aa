"""The audit triggers of every audited table of this schema (shared.audit, issue #12)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("flow", "0002_tables"),
        ("shared", "0002_audit_logs_for_triggers"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="execution",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="5ba57fd0a7c1c06071f64b8005d39833495acc07",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_fa1c5",
                    table='flow"."executions',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="execution",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="6d005757f144f0a55b058cc7724d1aa0d40293d1",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_03e19",
                    table='flow"."executions',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="executionstep",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="dcdeb54a4e454a95e06e8642103f48125249f13f",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_37d2d",
                    table='flow"."execution_steps',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="executionstep",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="ffc2310af1fef78c5ae1fc474be24656931c9426",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_fcca6",
                    table='flow"."execution_steps',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="integration",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="c70caefdf47523629866fbabef99f12a93b8028d",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_c3d95",
                    table='flow"."integrations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="integration",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="cb35223a764d9c7f327411d64c3a987772f1902f",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_66284",
                    table='flow"."integrations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="schedule",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="3f4caabc8cefbb4e46d9adc52bf538cfc996ad29",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_4f502",
                    table='flow"."schedules',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="schedule",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="33328ed8f8a72c7b749ee13a6ac5bb7c405b1734",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_0ee18",
                    table='flow"."schedules',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="variable",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY['value?is_secret']::text[]); RETURN NULL;",
                    hash="ccbecd0fffa3409892bade7da6f376619b00c175",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_f5505",
                    table='flow"."variables',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="variable",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="07914b71160c28631dcd234075dbf46ab5b81889",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_2f561",
                    table='flow"."variables',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="webhook",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY['secret']::text[]); RETURN NULL;",
                    hash="4e4db5fa62e8f98b5322d24a05537387ac24432f",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_28d4c",
                    table='flow"."webhooks',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="webhook",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="acec1dce8f5d22277e2d61b78883c1a476e11f41",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_bc818",
                    table='flow"."webhooks',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="workflow",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="4d730f66bfea18b326ead39e1f354ae1beef8c63",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_03737",
                    table='flow"."workflows',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="workflow",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="8d0652e2e92870034600d06268d1f3acc412403a",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_39c60",
                    table='flow"."workflows',
                    when="AFTER",
                ),
            ),
        ),
    ]
