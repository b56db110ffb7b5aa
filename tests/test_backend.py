"""Proofs that the schema-aware backend closes Django's schema gap (DESIGN.md, "the known gap").

Every test here works on tables inside PostgreSQL schemas, through Django's own machinery: sqlflush,
transactional test teardown, reset_sequences, migration operations, --fake-initial, makemigrations.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, migrations, models
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState

from shared.models import AuditLog, User
from tekupdb.db.operations import CreateSchema

SCHEMA_APPS = ["shared", "vault", "billy", "renos", "crm", "flow"]


def schema_tables():
    """Every table that a schema app's models (and their M2M tables) own."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in SCHEMA_APPS and model._meta.managed:
            tables.add(model._meta.db_table)
    return tables


def catalog(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_every_schema_app_has_its_schema_after_migrate(db):
    present = {row[0] for row in catalog("SELECT nspname FROM pg_namespace")}
    assert set(SCHEMA_APPS) <= present
    assert catalog("SELECT 1 FROM pg_extension WHERE extname = 'vector'") == [(1,)]


def test_introspection_lists_schema_tables_under_their_model_names(db):
    with connection.cursor() as cursor:
        names = set(connection.introspection.table_names(cursor))
    assert schema_tables() <= names
    assert 'shared"."users_groups' in names and "auth_group" in names


def test_sqlflush_names_every_table_of_every_app_schema(db, capsys):
    call_command("sqlflush")
    sql = capsys.readouterr().out
    for table in schema_tables():
        assert connection.ops.quote_name(table) in sql, table


@pytest.mark.django_db(transaction=True)
def test_transactional_test_writes_rows_in_schema_tables():
    user = User.objects.create_user(email="leftover@tekup.dk", name="Left Over")
    user.groups.add(Group.objects.create(name="leftover"))
    AuditLog.objects.create(action="x", resource_type="y", resource_id="z", actor_id=user.pk)
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_sees_no_rows_left_behind():
    # Runs after the test above (same file, same kind): its teardown must have flushed the schema tables.
    for table in sorted(schema_tables()):
        (count,) = catalog(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")[0]
        assert count == 0, f"{table} kept {count} rows"


def _relfilenodes(*tables):
    return {
        table: catalog("SELECT pg_relation_filenode(%s::regclass)", [connection.ops.quote_name(table)])[0][0]
        for table in tables
    }


def _flush() -> None:
    """The flush pytest-django runs after a test that commits (no identities restarted)."""
    from django.core.management.color import no_style

    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    _execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses this test's pending deferred checks
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))


def _execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _fill_users(count: int) -> None:
    """`count` users by plain SQL, with a long name each: a megabyte of them makes a big table."""
    _execute(
        "INSERT INTO shared.users (email, name) "
        "SELECT 'bulk' || g || '@tekup.dk', repeat('n', 250) FROM generate_series(1, %s) AS g",
        [count],
    )


def test_flush_truncates_a_big_table_with_those_referencing_it_and_no_other(db):
    from vault.models import Document

    _fill_users(5000)  # over a megabyte: TRUNCATE, which frees its files at once
    # users_groups is empty but references users: TRUNCATE refuses users without it (no CASCADE here).
    watched = ['shared"."users', 'shared"."users_groups', Document._meta.db_table]
    before = _relfilenodes(*watched)

    _flush()

    for table in sorted(schema_tables()):
        assert catalog(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")[0][0] == 0, table
    after = _relfilenodes(*watched)
    # A truncated table gets a new file; an empty one that nothing drags in keeps its own.
    assert {table for table in watched if after[table] != before[table]} == set(watched[:2])


def test_flush_deletes_the_rows_of_a_small_table_with_no_trigger_firing_and_turns_them_back_on(db):
    from crm.factories import CrmMetricFactory
    from crm.models import CrmMetric

    CrmMetricFactory.create_batch(3)  # a table no test fills to a megabyte, referencing none
    table = CrmMetric._meta.db_table
    before = _relfilenodes(table)

    _flush()

    for name in sorted(schema_tables()):
        assert catalog(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")[0][0] == 0, name
    assert _relfilenodes(table) == before  # emptied by DELETE: the same file
    assert catalog("SHOW session_replication_role")[0][0] == "origin"
    User.objects.create_user(email="after@tekup.dk", name="After")  # the audit trigger fires again
    assert AuditLog.objects.filter(resource_type="shared.users", action="insert").count() == 1


def _filenodes(relations: list[str]) -> dict[str, int]:
    """{relation: its file number}, for names as regclass prints them."""
    return {name: catalog("SELECT pg_relation_filenode(%s::regclass)", [name])[0][0] for name in relations}


def test_flush_empties_only_the_partitions_that_hold_rows(db):
    """A partitioned table is checked month by month: a month of audit rows empties that month only."""
    _execute(
        "INSERT INTO shared.audit_logs (action, resource_type, resource_id, metadata) SELECT 'x', 'y', "
        "g::text, jsonb_build_object('pad', repeat('p', 400)) FROM generate_series(1, 3000) AS g"
    )
    leaves = "SELECT relid::text FROM pg_partition_tree('shared.audit_logs') WHERE isleaf"
    partitions = [row[0] for row in catalog(leaves)]
    (busy,) = {row[0] for row in catalog("SELECT tableoid::regclass::text FROM shared.audit_logs")}
    before = _filenodes(partitions)

    _flush()

    assert catalog("SELECT count(*) FROM shared.audit_logs")[0][0] == 0
    after = _filenodes(partitions)
    assert len(partitions) > 1
    assert {table for table in partitions if after[table] != before[table]} == {busy}


def _content_types_and_permissions():
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    return (
        set(ContentType.objects.values_list("pk", "app_label", "model")),
        set(Permission.objects.values_list("pk", "codename", "name")),
    )


def test_the_flush_command_keeps_the_content_types_and_permissions_post_migrate_writes_again(db):
    before = _content_types_and_permissions()
    User.objects.create_user(email="flushed@tekup.dk", name="Flushed")

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)  # as a test teardown

    assert not User.objects.exists()
    # The same rows with the same ids: kept. Django's flush writes them again with new ids.
    assert _content_types_and_permissions() == before
    assert len(before[0]) > 70 and len(before[1]) > 280


def test_the_flush_command_writes_changed_permissions_again_as_django_does(db):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    content_types, permissions = _content_types_and_permissions()
    Permission.objects.filter(codename="view_user").update(name="tampered")
    Permission.objects.create(
        codename="extra", name="Extra", content_type=ContentType.objects.get_for_model(User)
    )
    with connection.cursor() as cursor:  # TRUNCATE refuses pending deferred checks: check them now
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)  # as a test teardown

    after_types, after_permissions = _content_types_and_permissions()
    assert after_types == content_types  # unchanged: kept
    assert {(code, name) for _, code, name in after_permissions} == {(c, n) for _, c, n in permissions}
    assert not {pk for pk, _, _ in after_permissions} & {pk for pk, _, _ in permissions}  # written again


def test_the_flush_command_sends_post_migrate_only_when_a_table_it_writes_was_emptied(db):
    from django.contrib.auth.models import Permission
    from django.db.models.signals import post_migrate

    sent = []

    def receiver(**kwargs):
        sent.append(kwargs["app_config"].label)

    post_migrate.connect(receiver)
    try:
        call_command("flush", interactive=False, verbosity=0, reset_sequences=False)  # all kept
        assert sent == []
        Permission.objects.filter(codename="view_user").delete()
        call_command("flush", interactive=False, verbosity=0, reset_sequences=False)  # permissions not
        assert "shared" in sent and Permission.objects.filter(codename="view_user").exists()
    finally:
        post_migrate.disconnect(receiver)


def test_manage_py_flush_restarts_identities_and_writes_them_again_as_django_does(db):
    content_types, permissions = _content_types_and_permissions()

    call_command("flush", interactive=False, verbosity=0)  # manage.py flush: reset_sequences

    after_types, after_permissions = _content_types_and_permissions()
    assert {row[1:] for row in after_types} == {row[1:] for row in content_types}
    assert {row[1:] for row in after_permissions} == {row[1:] for row in permissions}


def test_the_flush_command_without_post_migrate_empties_them_as_django_does(db):
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True)

    assert _content_types_and_permissions() == (set(), set())


@pytest.mark.parametrize("run", [1, 2])
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_reset_sequences_restarts_schema_table_identities(run):
    user = User.objects.create_user(email=f"seq{run}@tekup.dk", name="Seq")
    user.groups.add(Group.objects.create(name=f"g{run}"))
    (link_id,) = catalog('SELECT id FROM "shared"."users_groups"')[0]
    assert link_id == 1


def test_introspection_finds_constraints_sequences_and_relations_in_a_schema(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, 'shared"."users_groups')
        sequences = connection.introspection.get_sequences(cursor, 'shared"."users_groups')
        relations = connection.introspection.get_relations(cursor, 'shared"."users_groups')
    foreign_keys = {c["foreign_key"] for c in constraints.values() if c["foreign_key"]}
    assert foreign_keys == {('shared"."users', "id"), ("auth_group", "id")}
    assert [s["column"] for s in sequences] == ["id"]
    assert relations["user_id"] == ("id", 'shared"."users')


# --- migration operations on a scratch schema; DDL is transactional, so the test rolls it all back ---


def apply(operations, state, app_label="scratch"):
    """Apply migration operations the way `migrate` does and return the new state."""
    for operation in operations:
        new_state = state.clone()
        operation.state_forwards(app_label, new_state)
        with connection.schema_editor(atomic=False) as editor:
            operation.database_forwards(app_label, editor, state, new_state)
        state = new_state
    return state


def thing_model(**overrides):
    fields = [
        ("id", models.BigAutoField(primary_key=True)),
        ("code", models.CharField(max_length=20, unique=True)),
        ("label", models.CharField(max_length=50, db_index=True)),
        ("owner", models.ForeignKey("shared.User", on_delete=models.CASCADE)),
    ]
    return migrations.CreateModel("Thing", fields, options={"db_table": 'scratch"."things', **overrides})


def constraint_kinds(table):
    rows = catalog(
        """
        SELECT con.contype, array_agg(a.attname ORDER BY a.attname)
        FROM pg_constraint con JOIN pg_attribute a
          ON a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey)
        WHERE con.conrelid = to_regclass(%s) GROUP BY con.oid, con.contype
        """,
        [table],
    )
    return {(kind, tuple(columns)) for kind, columns in rows}


def index_columns(table):
    rows = catalog(
        """
        SELECT array_agg(a.attname ORDER BY a.attname)
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary GROUP BY i.indexrelid
        """,
        [table],
    )
    return sorted(tuple(columns) for (columns,) in rows)


def base_state():
    return ProjectState.from_apps(apps)


def test_migration_that_drops_unique_index_and_foreign_key_really_drops_them(db):
    state = apply([CreateSchema("scratch"), thing_model()], base_state())
    table = '"scratch"."things"'
    assert ("u", ("code",)) in constraint_kinds(table)
    assert ("f", ("owner_id",)) in constraint_kinds(table)
    assert ("label",) in index_columns(table)

    apply(
        [
            migrations.AlterField("Thing", "code", models.CharField(max_length=20)),
            migrations.AlterField("Thing", "label", models.CharField(max_length=50)),
            migrations.AlterField(
                "Thing",
                "owner",
                models.ForeignKey("shared.User", on_delete=models.CASCADE, db_constraint=False),
            ),
        ],
        state,
    )

    kinds = constraint_kinds(table)
    assert ("u", ("code",)) not in kinds
    assert ("f", ("owner_id",)) not in kinds
    # What remains: the primary key, and the plain index Django keeps on a foreign key column.
    assert index_columns(table) == [("owner_id",)]


def test_removing_a_named_index_and_a_unique_constraint_in_a_schema(db):
    state = apply(
        [
            CreateSchema("scratch"),
            thing_model(
                indexes=[models.Index(fields=["label", "code"], name="things_label_code_idx")],
                constraints=[models.UniqueConstraint(fields=["label", "owner"], name="things_label_owner")],
            ),
        ],
        base_state(),
    )
    table = '"scratch"."things"'
    assert ("code", "label") in index_columns(table)
    assert ("u", ("label", "owner_id")) in constraint_kinds(table)

    apply(
        [
            migrations.RemoveIndex("Thing", "things_label_code_idx"),
            migrations.RemoveConstraint("Thing", "things_label_owner"),
        ],
        state,
    )

    assert ("code", "label") not in index_columns(table)
    assert ("u", ("label", "owner_id")) not in constraint_kinds(table)


def test_renaming_a_schema_table_and_moving_it_to_another_schema(db):
    state = apply([CreateSchema("scratch"), thing_model()], base_state())

    state = apply([migrations.AlterModelTable("Thing", 'scratch"."renamed_things')], state)
    assert catalog("SELECT to_regclass('scratch.renamed_things') IS NOT NULL") == [(True,)]
    assert catalog("SELECT to_regclass('scratch.things') IS NULL") == [(True,)]

    apply([migrations.AlterModelTable("Thing", 'scratch2"."renamed_things')], state)
    assert catalog("SELECT to_regclass('scratch2.renamed_things') IS NOT NULL") == [(True,)]
    # Its unique constraint moved with it and is still found by introspection.
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, 'scratch2"."renamed_things')
    assert any(c["unique"] and c["columns"] == ["code"] for c in found.values())


def test_create_schema_is_reversible(db):
    operation = CreateSchema("scratch_rev")
    state = apply([operation], base_state())
    assert catalog("SELECT 1 FROM pg_namespace WHERE nspname = 'scratch_rev'") == [(1,)]
    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards("scratch", editor, state, base_state())
    assert catalog("SELECT 1 FROM pg_namespace WHERE nspname = 'scratch_rev'") == []


def test_migrate_fake_initial_accepts_existing_schema_tables(db):
    # Forget that shared was migrated, and every migration that depends on it (admin, explorer, the
    # later migrations of the schema apps); their tables stay.
    from django.db.migrations.loader import MigrationLoader

    recorder = MigrationRecorder(connection)
    graph = MigrationLoader(connection).graph
    forgotten, todo = set(), [graph.node_map[("shared", "0001_initial")]]
    while todo:  # shared 0001 and everything that depends on it, directly or not
        node = todo.pop()
        if node.key not in forgotten:
            forgotten.add(node.key)
            todo.extend(node.children)
    for app, name in forgotten:
        recorder.migration_qs.filter(app=app, name=name).delete()
    # explorer's migrations cannot run twice: recorded as applied again once shared is faked.
    explorer = [name for app, name in forgotten if app == "explorer"]

    call_command("migrate", "shared", "0001", fake_initial=True, verbosity=0)
    for name in explorer:
        recorder.record_applied("explorer", name)
    # The rest are recorded as they are (--fake): not initial, and their tables and triggers exist.
    call_command("migrate", fake=True, verbosity=0)

    assert recorder.migration_qs.filter(app="shared", name="0001_initial").exists()
    assert User.objects.create_user(email="after@tekup.dk", name="After").pk


def test_makemigrations_finds_no_pending_changes(db):
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_plain_sql_update_refreshes_updated_at_but_the_orm_value_is_kept(db):
    user = User.objects.create_user(email="touch@tekup.dk", name="Touch")
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE "shared"."users" SET updated_at = '2020-01-01T00:00:00Z' WHERE id = %s""", [user.pk]
        )
        cursor.execute("""UPDATE "shared"."users" SET name = 'By SQL' WHERE id = %s""", [user.pk])
        cursor.execute("""SELECT updated_at = now() FROM "shared"."users" WHERE id = %s""", [user.pk])
        assert cursor.fetchone() == (True,)
    User.objects.filter(pk=user.pk).update(name="Explicit", updated_at="2021-06-01T00:00:00Z")
    user.refresh_from_db()
    assert user.updated_at.year == 2021


def test_every_table_with_updated_at_has_its_trigger(db):
    tables = {
        m._meta.db_table.replace('"."', ".")
        for m in apps.get_models()
        if m._meta.app_label in SCHEMA_APPS and any(f.column == "updated_at" for f in m._meta.concrete_fields)
    }
    with_trigger = {
        name
        for (name,) in catalog(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%%touch_updated_at'"
        )
    }
    assert tables and tables <= with_trigger
