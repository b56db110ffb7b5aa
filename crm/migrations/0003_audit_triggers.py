"""The audit triggers of every audited table of this schema (shared.audit, issue #12)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_tables"),
        ("shared", "0002_audit_logs_for_triggers"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="activity",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="85a8602a6a193c45cf6a08e35ade6d8430035b30",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_1f1c3",
                    table='crm"."activities',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="activity",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="27bfe2a3dc5c19b1346823338ae812731b07ff44",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_145aa",
                    table='crm"."activities',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="company",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="aecbee2332f106fda19a5962609c0a756af3ee68",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_84d0f",
                    table='crm"."companies',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="company",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="8ef641ec90265fed70caa1654c4aec6cc0e2ac37",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_e41a4",
                    table='crm"."companies',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="contact",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="332b5ed1df470d2bae67c7ef271210e83c0c9757",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_9cf5a",
                    table='crm"."contacts',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="contact",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="af3e138f6e151d6172869233db3ee920c161600e",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_8f2c9",
                    table='crm"."contacts',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="crmmetric",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="fc026cf90343a315aceed35f247b0a6b24c58f6b",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_878f0",
                    table='crm"."metrics',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="crmmetric",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="cdb1a63ed865ec7973eb9a02325ff419a33fc983",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_3f272",
                    table='crm"."metrics',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="deal",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="058a7952cb5ca432b2c45859ed0d8e8503bfc62e",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_9ed92",
                    table='crm"."deals',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="deal",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="1c6b5198f001f9d049c6b5a46f0c4750fe55a94d",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_f72b8",
                    table='crm"."deals',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="dealproduct",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="037e3972bef82b8117ea0dbfa62be22f516f4ee0",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_97910",
                    table='crm"."deal_products',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="dealproduct",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="18ee8fcdbbfc88802ec4b562f73f3f63e3bf2d53",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_5081b",
                    table='crm"."deal_products',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="email",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="568acc40711eae8841fd69e4da1f0db213175c9b",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_36d1a",
                    table='crm"."emails',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="email",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="d0a1f09b2766ac95eafe48bfbc4b6cdec1b13346",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_cf108",
                    table='crm"."emails',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="task",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="b5187478fb59be949e7936aa0eab4c2248b06203",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_f96a0",
                    table='crm"."tasks',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="task",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="4bab97c310a934ba978bfdcac4260bfc2cb37ebb",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_66a7a",
                    table='crm"."tasks',
                    when="AFTER",
                ),
            ),
        ),
    ]
