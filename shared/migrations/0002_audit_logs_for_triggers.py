"""shared.audit_logs becomes the table of the database audit (shared.audit), and the two plpgsql
functions that every audit trigger calls are created.

The user column stays `user_id` (a uuid, as in the original schema) but loses its foreign key: an entry
keeps naming its actor (id and, new, email) after the user is deleted, and a plain-SQL delete of a user is
not refused because of its audit. The functions are hand-written DDL: django-pgtrigger manages triggers
and each trigger's own function, not a function shared by all of them.
"""

from django.db import migrations, models

DROP_USER_FOREIGN_KEY = """
DO $$
DECLARE constraint_name text;
BEGIN
    FOR constraint_name IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = '"shared"."audit_logs"'::regclass AND contype = 'f'
    LOOP
        EXECUTE format('ALTER TABLE "shared"."audit_logs" DROP CONSTRAINT %I', constraint_name);
    END LOOP;
END
$$;
"""

# A value as the audit shows it: long text and big JSON cut (an edit of a document must not copy the
# document into the audit).
AUDIT_VALUE = r"""
CREATE OR REPLACE FUNCTION shared.audit_value(value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(value) = 'string' AND length(value #>> '{}') > 1000
            THEN to_jsonb(left(value #>> '{}', 200) || '… (' || length(value #>> '{}') || ' characters)')
        WHEN jsonb_typeof(value) IN ('object', 'array') AND length(value::text) > 2000
            THEN to_jsonb(left(value::text, 200) || '… (' || length(value::text) || ' characters)')
        ELSE value
    END
$$;
"""

# Both writing functions run as their owner (SECURITY DEFINER, with a search_path that lets no one else's
# objects in): a role that may write audited rows (a sibling's billy role, say) has no INSERT on
# shared.audit_logs. session_user still names the login role that made the write.
#
# One row: keep what changed (on update only the columns that differ; an update of nothing but
# updated_at is not recorded), mask the masked columns ("col", or "col?flag": only in rows where the
# boolean flag is true), write the entry with the actor from the transaction-local settings, or sql:<login role>.
AUDIT_ROW = r"""
CREATE OR REPLACE FUNCTION shared.audit_row(
    p_op text, p_schema text, p_table text, p_old jsonb, p_new jsonb, p_masked text[]
) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    spec text;
    col text;
    flag text;
    changes jsonb;
    actor text := NULLIF(current_setting('tekup.actor', true), '');
    actor_id text := NULLIF(current_setting('tekup.actor_id', true), '');
BEGIN
    IF p_op = 'INSERT' THEN
        SELECT jsonb_object_agg(n.key, jsonb_build_array(NULL, shared.audit_value(n.value)))
        INTO changes FROM jsonb_each(p_new) AS n WHERE n.value <> 'null'::jsonb;
    ELSIF p_op = 'DELETE' THEN
        SELECT jsonb_object_agg(o.key, jsonb_build_array(shared.audit_value(o.value), NULL))
        INTO changes FROM jsonb_each(p_old) AS o WHERE o.value <> 'null'::jsonb;
    ELSE
        SELECT jsonb_object_agg(
            n.key, jsonb_build_array(shared.audit_value(p_old -> n.key), shared.audit_value(n.value))
        )
        INTO changes FROM jsonb_each(p_new) AS n WHERE n.value IS DISTINCT FROM p_old -> n.key;
        IF changes IS NULL OR changes - 'updated_at' = '{}'::jsonb THEN
            RETURN;
        END IF;
    END IF;
    changes := COALESCE(changes, '{}'::jsonb);

    -- A masked column that was set, changed or removed shows "changed" where it held a value.
    FOREACH spec IN ARRAY p_masked LOOP
        col := split_part(spec, '?', 1);
        flag := NULLIF(split_part(spec, '?', 2), '');
        IF changes ? col AND (
            flag IS NULL
            OR COALESCE((p_old ->> flag)::boolean, false)
            OR COALESCE((p_new ->> flag)::boolean, false)
        ) THEN
            changes := jsonb_set(changes, ARRAY[col], jsonb_build_array(
                CASE WHEN COALESCE(p_old -> col, 'null'::jsonb) = 'null'::jsonb THEN NULL ELSE 'changed' END,
                CASE WHEN COALESCE(p_new -> col, 'null'::jsonb) = 'null'::jsonb THEN NULL ELSE 'changed' END
            ));
        END IF;
    END LOOP;

    INSERT INTO "shared"."audit_logs" (
        id, created_at, updated_at, user_id, actor, action, resource_type, resource_id,
        schema_name, table_name, changes, metadata
    ) VALUES (
        gen_random_uuid(), clock_timestamp(), clock_timestamp(), actor_id::uuid,
        COALESCE(actor, 'sql:' || session_user), lower(p_op), p_schema || '.' || p_table,
        COALESCE(p_new ->> 'id', p_old ->> 'id', ''), p_schema, p_table, changes,
        '{}'::jsonb
    );
END
$$;
"""

# One statement of a summarised load (shared.audit.summarised_audit): one entry, no row values.
# Mode 'off' (restore only) writes nothing here: the restored audit must match the backup's row counts.
AUDIT_STATEMENT = r"""
CREATE OR REPLACE FUNCTION shared.audit_statement(p_op text, p_schema text, p_table text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_setting('tekup.audit_mode', true) = 'off' THEN
        RETURN;  -- a restore: it writes its own one entry once the restored rows are verified
    END IF;
    INSERT INTO "shared"."audit_logs" (
        id, created_at, updated_at, user_id, actor, action, resource_type, resource_id,
        schema_name, table_name, changes, metadata
    ) VALUES (
        gen_random_uuid(), clock_timestamp(), clock_timestamp(),
        NULLIF(current_setting('tekup.actor_id', true), '')::uuid,
        COALESCE(NULLIF(current_setting('tekup.actor', true), ''), 'sql:' || session_user),
        lower(p_op), p_schema || '.' || p_table, '', p_schema, p_table, '{}'::jsonb,
        jsonb_build_object(
            'bulk', substr(current_setting('tekup.audit_mode', true), length('summary:') + 1),
            'statement', true
        )
    );
END
$$;
"""

# Django's auto-created many-to-many tables (a user's groups and permissions) have no model of their own
# for django-pgtrigger to declare a trigger on: they get these two, hand-written.
AUDIT_TRIGGER_FUNCTION = r"""
CREATE OR REPLACE FUNCTION shared.audit_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM shared.audit_statement(TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME);
    ELSE
        PERFORM shared.audit_row(
            TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
            ARRAY[]::text[]
        );
    END IF;
    RETURN NULL;
END
$$;
"""

M2M_TABLES = ("users_groups", "users_user_permissions")


def m2m_triggers(table: str) -> str:
    return f"""
CREATE TRIGGER audit_{table} AFTER INSERT OR UPDATE OR DELETE ON "shared"."{table}"
    FOR EACH ROW WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') = '')
    EXECUTE FUNCTION shared.audit_trigger();
CREATE TRIGGER audit_summary_{table} AFTER INSERT OR UPDATE OR DELETE ON "shared"."{table}"
    FOR EACH STATEMENT WHEN (COALESCE(current_setting('tekup.audit_mode', true), '') <> '')
    EXECUTE FUNCTION shared.audit_trigger();
"""


class Migration(migrations.Migration):
    dependencies = [("shared", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP_USER_FOREIGN_KEY, migrations.RunSQL.noop)],
            state_operations=[
                migrations.RemoveField(model_name="auditlog", name="user"),
                migrations.AddField(
                    model_name="auditlog",
                    name="actor_id",
                    field=models.UUIDField(blank=True, db_column="user_id", null=True),
                ),
            ],
        ),
        migrations.AddField(
            model_name="auditlog",
            name="actor",
            field=models.CharField(blank=True, db_default="", default="", max_length=255),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="schema_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=63),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="table_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=63),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="changes",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(fields=["resource_id", "-created_at"], name="shared_audit_resource_idx"),
        ),
        migrations.AlterModelOptions(
            name="auditlog",
            options={
                "ordering": ["-created_at"],
                "permissions": [("view_dashboard", "Can view the database dashboard")],
            },
        ),
        migrations.RunSQL(
            AUDIT_VALUE + AUDIT_ROW + AUDIT_STATEMENT + AUDIT_TRIGGER_FUNCTION,
            "DROP FUNCTION IF EXISTS shared.audit_trigger(); "
            "DROP FUNCTION IF EXISTS shared.audit_statement(text, text, text); "
            "DROP FUNCTION IF EXISTS shared.audit_row(text, text, text, jsonb, jsonb, text[]); "
            "DROP FUNCTION IF EXISTS shared.audit_value(jsonb);",
        ),
        migrations.RunSQL(
            "".join(m2m_triggers(table) for table in M2M_TABLES),
            "".join(
                f'DROP TRIGGER IF EXISTS audit_{t} ON "shared"."{t}"; '
                f'DROP TRIGGER IF EXISTS audit_summary_{t} ON "shared"."{t}";'
                for t in M2M_TABLES
            ),
        ),
    ]
