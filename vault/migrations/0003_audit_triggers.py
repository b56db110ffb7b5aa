"""The audit triggers of every audited table of this schema (shared.audit, issue #12)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0002_documents_embeddings_sync_status"),
        ("shared", "0002_audit_logs_for_triggers"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="document",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="4e090c30ca28a026dea5bf1a72009e60e347c67b",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_e532e",
                    table='vault"."documents',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="document",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="f750d2592653b1b6de0aecd4de2002f7383e41d2",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_21a07",
                    table='vault"."documents',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="embedding",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY['embedding']::text[]); RETURN NULL;",
                    hash="63c5ab6090e8450f85a09287070adf5524cde7ce",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_d80ae",
                    table='vault"."embeddings',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="embedding",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="49d9f0cd10dad7ec2c781095d104a69d1b645fd9",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_db5e2",
                    table='vault"."embeddings',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="syncstatus",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="59f10b9bae837c4eb7a54cbcbaebb02a63da6404",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_9983e",
                    table='vault"."sync_status',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="syncstatus",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="9309c69a984ebc748a99d4a04840fd6019751d09",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_26cc0",
                    table='vault"."sync_status',
                    when="AFTER",
                ),
            ),
        ),
    ]
