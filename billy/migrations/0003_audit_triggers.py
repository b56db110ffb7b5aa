"""The audit triggers of every audited table of this schema (shared.audit, issue #12)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billy", "0002_models"),
        ("shared", "0002_audit_logs_for_triggers"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="organization",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY['billy_api_key']::text[]); RETURN NULL;",
                    hash="d2cd6872996fa4eded0d4f66e153a4a25c76164e",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_6d3bd",
                    table='billy"."organizations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="organization",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="ec0d3e101049364f2bd8ab1b3028cd24178b2e7f",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_93bdf",
                    table='billy"."organizations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="organizationuser",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="a042165274237e43994b1eb9a1739a29aa50d6f3",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_fd7b1",
                    table='billy"."users',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="organizationuser",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="06b0e1142e828889657ed9280c7b5bba840fb779",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_353b8",
                    table='billy"."users',
                    when="AFTER",
                ),
            ),
        ),
    ]
