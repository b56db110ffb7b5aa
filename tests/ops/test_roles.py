import psycopg
import pytest
from django.core.management import call_command

from shared.services import create_user
from tekupdb.ops import pg

from .conftest import env_for_test_database

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def role_prefix(settings):
    settings.TEKUPDB_ROLE_PREFIX = "tekup_test_"
    yield "tekup_test_"
    with pg.connect() as conn:
        for schema in ("vault", "billy", "renos", "crm", "flow", "shared"):
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


def test_db_roles_as_a_process(manage, role_prefix):
    env = env_for_test_database()
    env["TEKUPDB_ROLE_PREFIX"] = "tekup_test_"
    result = manage("db_roles", "--schema", "crm", env=env)
    assert result.returncode == 0
    assert '"tekup_test_crm"' in result.stdout and "tekup_test_vault" not in result.stdout
    result = manage("db_roles", "--schema", "nope", env=env)
    assert result.returncode == 1 and "Not an app schema: nope" in result.stderr
