"""The audit triggers of every audited table of this schema (shared.audit, issue #12)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("renos", "0002_models"),
        ("shared", "0002_audit_logs_for_triggers"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="analytics",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="01da08e80bf8b3830a428d8de605aeeca9ce0eda",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_63654",
                    table='renos"."analytics',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="analytics",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="d7b2fc2a130fb712497815f54d2f5ac897eeea4e",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_f33fa",
                    table='renos"."analytics',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="booking",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="b9f5abdcec98f4f1bfad4371341e891abca27e6c",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_310ca",
                    table='renos"."bookings',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="booking",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="e585f7380342982c1bbb5ba620e5fd1f12e42b77",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_b0b34",
                    table='renos"."bookings',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="break",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="ad9f6ddc9ee0dda70fbf5eb15a9d3aa30dbffe8a",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_c0a62",
                    table='renos"."breaks',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="break",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="5e47c6efdc8eb7630ee6ed64b3c56adc3c2e79eb",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_bdfe3",
                    table='renos"."breaks',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="chatmessage",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="431ec6cb105f69717f2585b447df4c6c289e1079",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_1fc65",
                    table='renos"."chat_messages',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="chatmessage",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="0e359b920987618768e8abb5ffd7a2321d2d5ddf",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_0e12a",
                    table='renos"."chat_messages',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="chatsession",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="d1c43ee5ed1937a6b242c59d96ce870ffc616f05",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_33890",
                    table='renos"."chat_sessions',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="chatsession",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="04792a85a8bc1e31615ae1974aa734d5a83ec79f",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_edfef",
                    table='renos"."chat_sessions',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="cleaningplan",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="0d4a7c467aee639bee43e30a32fc4ebd98df76a7",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_46958",
                    table='renos"."cleaning_plans',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="cleaningplan",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="52e9bb0aeeb4932fcaa7ce90ba4c0a9c15e91f18",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_ca211",
                    table='renos"."cleaning_plans',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="cleaningplanbooking",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="2c7b1c77f4420b08f9692df518e7e1997a0128cc",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_c074b",
                    table='renos"."cleaning_plan_bookings',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="cleaningplanbooking",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="c0d603204ca5bf8fe8fff851120b3426ec217780",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_42220",
                    table='renos"."cleaning_plan_bookings',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="cleaningtask",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="996c21118fe3128c54a86cec09a2a1b49014147f",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_194b1",
                    table='renos"."cleaning_tasks',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="cleaningtask",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="5394cd043808e9fa941825ca24504b542d00c55f",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_ce0d6",
                    table='renos"."cleaning_tasks',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="competitorpricing",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="d42d17e2b4f59a24fa3b2aab83551401606ec520",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_4af0a",
                    table='renos"."competitor_pricing',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="competitorpricing",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="05a862bc8d1307545024c946e51b36068ba72e29",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_2c940",
                    table='renos"."competitor_pricing',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="conversation",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="67b8ec3a3aa5981677cb9fb8f9d9e424291404e0",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_02fcd",
                    table='renos"."conversations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="conversation",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="2d194149bb72c1e14173b6a69fd6c62765d703ee",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_ca70e",
                    table='renos"."conversations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="customer",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="a6bbc7f257f35c34885d611b140aec3b90151e94",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_4261d",
                    table='renos"."customers',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="customer",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="8491de4e02261782673284f82ef2dbdeee78e3ff",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_215c2",
                    table='renos"."customers',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailingestrun",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="7670ec0038abd0cb6719d1712525955c0b954b29",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_666a1",
                    table='renos"."email_ingest_runs',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailingestrun",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="5e89f1c9a71b5fac38b99dfa0d198f9ec9359b3f",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_1e723",
                    table='renos"."email_ingest_runs',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailmessage",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="da2ef2c14d93f46bd78b06585627f5e15005b8ff",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_65306",
                    table='renos"."email_messages',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailmessage",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="c40a101b9f5956e24b6913d9be98ccfb1ef0ffbb",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_1995a",
                    table='renos"."email_messages',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailresponse",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="579093c644341d253da9429a3f6373d0cbfd9e25",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_c894f",
                    table='renos"."email_responses',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailresponse",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="df38282abeb8a980e3cbab2de4b13d1d195a4306",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_f39f2",
                    table='renos"."email_responses',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailthread",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="14da216fbe5a0ef7b2b651f8ebc65e374d38538f",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_e843f",
                    table='renos"."email_threads',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="emailthread",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="fd6a19ba3ac24873e40abb1ae2d3e6f4596cc44e",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_6b221",
                    table='renos"."email_threads',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="escalation",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="c0f845596e358aad4578282e02b9f3370ac8bdc1",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_55df1",
                    table='renos"."escalations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="escalation",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="5f5e936c50ee43ead90c6d1da8a24817f3b361cd",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_1cbd1",
                    table='renos"."escalations',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="invoice",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="a57efe5760f740cde90a3e1b6484718e2ddbb4d0",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_df40b",
                    table='renos"."invoices',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="invoice",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="110ba525f94fb1c2f13c685b68e6ae8273ec2cf7",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_bbc24",
                    table='renos"."invoices',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="invoicecounter",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="d120b4a87081a9adb73f7fe311eed6048983be5f",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_71138",
                    table='renos"."invoice_number_counters',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="invoicecounter",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="23d4118bbd4124942a192711f5b921af9e31470e",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_406e0",
                    table='renos"."invoice_number_counters',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="invoicelineitem",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="f3defb46c753d2902e386ae01e466fa5c312f546",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_87c70",
                    table='renos"."invoice_line_items',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="invoicelineitem",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="0da439e5cb7320dbc35620e754093235c4ab2902",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_b3846",
                    table='renos"."invoice_line_items',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="label",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="01f8f651b9ec141b89e0512e3f449ac7691cba13",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_86ab2",
                    table='renos"."labels',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="label",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="75bf0bf69b2a43eff4ae428357223167dc2180b4",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_c42db",
                    table='renos"."labels',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="lead",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="937f799e577da408ad37bafa6bec9c8c7d3f592f",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_9ccb2",
                    table='renos"."leads',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="lead",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="da49ab8efad4f03f768fc8c4034432ac024aa1ff",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_8aac6",
                    table='renos"."leads',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="quote",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="b7bb244f3f77f2717cc6c2be48d16fa84a433da9",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_f19e1",
                    table='renos"."quotes',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="quote",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="ac13d9a474d3e141fcdf53225f393a140c223dcf",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_d94d5",
                    table='renos"."quotes',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="service",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="557002601a159df98c70312b879e84e23d2bd6c0",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_87d9e",
                    table='renos"."services',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="service",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="8b78e2cddd1f60f8c6b166d27d9a69572e02141a",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_acf56",
                    table='renos"."services',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="taskexecution",
            trigger=pgtrigger.compiler.Trigger(
                name="audit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')",
                    func="PERFORM shared.audit_row(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END, ARRAY[]::text[]); RETURN NULL;",
                    hash="baf72c2e255d54d70c507d042309d04dd901f3c4",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_97a95",
                    table='renos"."task_executions',
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="taskexecution",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_summary",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')",
                    func="PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME); RETURN NULL;",
                    hash="38d3e93fe400be189f382db13d5424f9977c2669",
                    level="STATEMENT",
                    operation="INSERT OR UPDATE OR DELETE",
                    pgid="pgtrigger_audit_summary_dcdcd",
                    table='renos"."task_executions',
                    when="AFTER",
                ),
            ),
        ),
    ]
