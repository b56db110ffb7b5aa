import psycopg
import pytest
from django.core.management import call_command

from operations import pg
from shared.services import create_user

from .conftest import env_for_test_database

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def role_prefix(settings):
    settings.TEKUPDB_ROLE_PREFIX = "tekup_test_"
    yield "tekup_test_"
    with pg.connect() as conn:
        for schema in ("vault", "billy", "renos", "crm", "flow", "shared", "readonly"):
            role = f"tekup_test_{schema}"
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(f'DROP OWNED BY "{role}"')
                conn.execute(f'DROP ROLE "{role}"')


def test_db_roles_prints_sql(role_prefix, capsys):
    call_command("db_roles")
    out = capsys.readouterr().out
    assert 'CREATE ROLE "tekup_test_vault" LOGIN' in out
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "vault" TO "tekup_test_vault"' in out
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "shared" TO "tekup_test_vault"' in out
    with pg.connect() as conn:
        assert not conn.execute("SELECT 1 FROM pg_roles WHERE rolname LIKE 'tekup_test_%'").fetchone()


def test_a_schema_role_uses_its_schema_and_is_refused_elsewhere(role_prefix):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "billy"."role_probe" (id int)')
        cursor.execute('CREATE TABLE "vault"."role_probe_v" (id int)')
    create_user(email="role-probe@tekup.dk", name="Role probe")
    try:
        call_command("db_roles", "--apply", verbosity=0)
        call_command("db_roles", "--apply", verbosity=0)  # idempotent
        params = pg.connection_params()
        params.pop("password", None)
        params["user"] = "tekup_test_billy"
        with pg.connect(params=params) as billy:
            billy.execute('INSERT INTO "billy"."role_probe" VALUES (1)')
            assert billy.execute('SELECT count(*) FROM "billy"."role_probe"').fetchone()[0] == 1
            billy.execute('DELETE FROM "billy"."role_probe"')
            # Read-only on shared: it reads what is there (the user made above), and writes nothing.
            shared_emails = billy.execute('SELECT email FROM "shared"."users"').fetchall()
            assert shared_emails == [("role-probe@tekup.dk",)]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                billy.execute('INSERT INTO "shared"."users" (email) VALUES (\'x@tekup.dk\')')
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                billy.execute('SELECT * FROM "vault"."role_probe_v"')
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                billy.execute('CREATE TABLE "billy"."not_allowed" (id int)')
        # Default privileges: a table made later (by a migration) is usable too.
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE "billy"."role_probe_later" (id int)')
        with pg.connect(params=params) as billy:
            billy.execute('INSERT INTO "billy"."role_probe_later" VALUES (1)')
    finally:
        with connection.cursor() as cursor:
            cursor.execute('DROP TABLE IF EXISTS "billy"."role_probe", "billy"."role_probe_later"')
            cursor.execute('DROP TABLE IF EXISTS "vault"."role_probe_v"')


def _connect_as(role):
    params = pg.connection_params()
    params.pop("password", None)
    params["user"] = role
    return pg.connect(params=params)


def test_db_roles_prints_the_readonly_role_and_column_grants(role_prefix, capsys):
    call_command("db_roles")
    out = capsys.readouterr().out
    assert 'CREATE ROLE "tekup_test_readonly" LOGIN' in out
    assert 'ALTER ROLE "tekup_test_readonly" SET "default_transaction_read_only" = \'on\'' in out
    assert 'ALTER ROLE "tekup_test_readonly" SET "statement_timeout" = \'15s\'' in out
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA "flow" TO "tekup_test_readonly"' in out
    assert 'REVOKE SELECT ON "shared"."users" FROM "tekup_test_crm"' in out
    assert 'REVOKE SELECT ON "billy"."organizations" FROM "tekup_test_readonly"' in out


def test_no_role_reads_password_hashes_and_the_readonly_role_no_secrets(role_prefix):
    from billy.models import Organization
    from flow.models import Variable, Webhook, Workflow

    create_user(email="hash-probe@tekup.dk", name="Hash probe", password="a-long-test-passw0rd")
    organization = Organization.objects.create(
        name="Org", billy_api_key="v1:x:token", billy_organization_id="o1"
    )
    workflow = Workflow.objects.create(name="W", owner="ops")
    Webhook.objects.create(workflow=workflow, name="hook", url="https://example.invalid/h", secret="v1:x:s")
    Variable.objects.create(workflow=workflow, key="k", value="v1:x:v", is_secret=True)
    call_command("db_roles", "--apply", verbosity=0)
    call_command("db_roles", "--apply", verbosity=0)  # idempotent: still column grants only

    for schema in ("vault", "billy", "renos", "crm", "flow", "shared", "readonly"):
        with _connect_as(f"tekup_test_{schema}") as conn:
            assert conn.execute('SELECT email, name, is_staff FROM "shared"."users"').fetchall() == [
                ("hash-probe@tekup.dk", "Hash probe", False)
            ]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute('SELECT password FROM "shared"."users"')
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute('SELECT * FROM "shared"."users"')
    # The billy service still reads its own encrypted key (it decrypts it); the read-only role cannot.
    with _connect_as("tekup_test_billy") as billy:
        assert billy.execute('SELECT billy_api_key FROM "billy"."organizations"').fetchone() == (
            "v1:x:token",
        )
    with _connect_as("tekup_test_readonly") as readonly:
        assert readonly.execute('SELECT name FROM "billy"."organizations"').fetchone() == ("Org",)
        assert readonly.execute('SELECT id FROM "billy"."organizations"').fetchone() == (organization.id,)
        for column, table in [
            ("billy_api_key", '"billy"."organizations"'),
            ("secret", '"flow"."webhooks"'),
            ("value", '"flow"."variables"'),
        ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                readonly.execute(f"SELECT {column} FROM {table}")
        assert readonly.execute('SELECT key, is_secret FROM "flow"."variables"').fetchone() == ("k", True)


def test_the_readonly_role_reads_every_table_and_writes_nothing(role_prefix):
    from operations.health import model_tables

    call_command("db_roles", "--apply", verbosity=0)
    with _connect_as("tekup_test_readonly") as readonly:
        assert readonly.execute("SHOW statement_timeout").fetchone() == ("15s",)
        assert readonly.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        app_tables = [(s, t) for (s, t) in model_tables() if s != "public"]
        assert len(app_tables) > 40
        for schema, table in app_tables:
            readonly.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            readonly.execute('INSERT INTO "crm"."metrics" (date, metric, value) VALUES (now(), \'m\', 1)')
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            readonly.execute('CREATE TABLE "crm"."readonly_probe" (id int)')
        # Even with read-only transactions switched off by the session, it holds no write privilege.
        readonly.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            readonly.execute('DELETE FROM "crm"."metrics"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            readonly.execute('CREATE TABLE "crm"."readonly_probe" (id int)')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            readonly.execute("SELECT * FROM public.django_session")


def test_db_roles_as_a_process(manage, role_prefix):
    env = env_for_test_database()
    env["TEKUPDB_ROLE_PREFIX"] = "tekup_test_"
    result = manage("db_roles", "--schema", "crm", env=env)
    assert result.returncode == 0
    assert '"tekup_test_crm"' in result.stdout and "tekup_test_vault" not in result.stdout
    result = manage("db_roles", "--schema", "nope", env=env)
    assert result.returncode == 1 and "Not an app schema: nope" in result.stderr


def test_the_readonly_role_state_says_what_a_migrate_may_skip(role_prefix):
    """A migrate writes the cluster-wide role and its settings only when they are missing or changed."""
    from operations import roles

    def state():
        with pg.connect() as conn:
            return roles.readonly_role_state(conn.cursor())

    assert state() == (False, False)
    with pg.connect() as conn:
        for statement in roles.readonly_sql(schemas=["vault"], database=conn.info.dbname):
            conn.execute(statement)
    assert state() == (True, True)
    with pg.connect() as conn:
        conn.execute("ALTER ROLE \"tekup_test_readonly\" SET statement_timeout = '1min'")
    assert state() == (True, False)
    skipped = roles.readonly_sql(schemas=["vault"], database="x", create=False, role_settings=False)
    with pg.connect() as conn:
        assert not [s for s in skipped if "ALTER ROLE" in s.as_string(conn)]


def test_the_readonly_grants_of_a_partial_migrate_cover_only_what_exists(role_prefix):
    """After `migrate <app>`, post_migrate grants over the schemas and tables that exist: a table with
    secrets that is not there yet gets no column grants (which would fail on it)."""
    from operations import roles

    with pg.connect() as conn:
        tables = set(pg.list_tables(conn, ["billy"]))
        assert ("billy", "organizations") in tables
        without_billy_tables = {table for table in tables if table != ("billy", "organizations")}
        statements = [
            statement.as_string(conn)
            for statement in roles.readonly_sql(
                schemas=["billy"], database=conn.info.dbname, tables=without_billy_tables
            )
        ]
    assert not [statement for statement in statements if '"billy"."organizations"' in statement]
    assert 'GRANT USAGE ON SCHEMA "billy" TO "tekup_test_readonly"' in statements
