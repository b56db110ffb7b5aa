import csv
import io

import pytest
from django.conf import settings
from django.db import connection

from shared.models import AuditLog
from shared.services import create_user

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "readonly"]),
    # With DATABASE_URL and no TEKUPDB_READONLY_DATABASE_URL the tool is not configured
    # (test_not_configured.py); everything here needs the read-only database.
    pytest.mark.skipif(
        settings.READONLY_DATABASE not in settings.DATABASES,
        reason="no read-only database: set TEKUPDB_READONLY_DATABASE_URL",
    ),
]


def runs(action="sql.run"):
    return list(AuditLog.objects.filter(action=action).order_by("created_at"))


def test_a_saved_query_runs_as_the_readonly_role_and_is_audited(sql_client, sql_user, saved_query):
    query = saved_query("SELECT email, name, current_user AS role FROM shared.users ORDER BY email")

    response = sql_client.get(f"/admin/sql/{query.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "sql@tekup.dk" in body and "tekup_readonly" in body
    [run] = runs()
    assert run.actor_id == sql_user.pk and run.actor == sql_user.email
    assert run.resource_id == str(query.pk)
    assert run.metadata["sql"] == query.sql
    assert run.metadata["rows"] == 1 and run.metadata["error"] is None
    assert run.metadata["duration_ms"] >= 0


def test_export_as_csv_is_audited(sql_client, saved_query):
    create_user(email="second@tekup.dk", name="Second")
    query = saved_query("SELECT email FROM shared.users ORDER BY email")

    response = sql_client.get(f"/admin/sql/{query.pk}/download?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["email"], ["second@tekup.dk"], ["sql@tekup.dk"]]
    assert [run.metadata["rows"] for run in runs()] == [2]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("INSERT INTO crm.metrics (date, metric, value) VALUES (now(), 'm', 1)", "read-only transaction"),
        ("UPDATE shared.users SET name = 'x'", "read-only transaction"),
        ("CREATE TABLE crm.sql_tool_probe (id int)", "read-only transaction"),
        ("SELECT 1; DELETE FROM shared.users", "cannot insert multiple commands into a prepared statement"),
        ("SET default_transaction_read_only = off; DELETE FROM shared.users", "multiple commands"),
        ("SELECT password FROM shared.users", "permission denied"),
        ("SELECT billy_api_key FROM billy.organizations", "permission denied"),
        ("SELECT * FROM public.django_session", "permission denied"),
    ],
)
def test_the_database_refuses_writes_ddl_several_statements_and_secrets(sql_client, sql_user, sql, message):
    names_before = sorted(connection.cursor().execute("SELECT name FROM shared.users").fetchall())

    response = sql_client.post("/admin/sql/play/", {"sql": sql})

    assert response.status_code == 200
    assert message in response.content.decode()
    [run] = runs()
    assert run.metadata["sql"] == sql and message in run.metadata["error"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM shared.users")
        assert sorted(cursor.fetchall()) == names_before
        cursor.execute("SELECT to_regclass('crm.sql_tool_probe')")
        assert cursor.fetchone() == (None,)


def test_a_query_past_the_timeout_shows_the_message_and_leaves_no_transaction(
    sql_client, short_statement_timeout
):
    response = sql_client.post("/admin/sql/play/", {"sql": "SELECT pg_sleep(5)"})

    assert "canceling statement due to statement timeout" in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND state LIKE 'idle in transaction%%'",
            [f"{settings.TEKUPDB_ROLE_PREFIX}readonly"],
        )
        assert cursor.fetchone() == (0,)


def test_unknown_saved_query_is_404(sql_client):
    for url in ("/admin/sql/987654/", "/admin/sql/987654/download?format=csv", "/admin/sql/987654/explain/"):
        assert sql_client.get(url).status_code == 404, url


def test_plain_staff_get_403_and_nothing_runs(staff_client, saved_query):
    query = saved_query("SELECT 1")
    urls = [
        "/admin/sql/",
        "/admin/sql/play/",
        "/admin/sql/new/",
        "/admin/sql/logs/",
        f"/admin/sql/{query.pk}/",
        f"/admin/sql/{query.pk}/download?format=csv",
        f"/admin/sql/{query.pk}/explain/",
        "/admin/sql/schema/1",
    ]
    for url in urls:
        assert staff_client.get(url).status_code == 403, url
    assert staff_client.post("/admin/sql/play/", {"sql": "SELECT 1"}).status_code == 403
    assert runs() == []


def test_anonymous_users_go_to_the_login(client):
    response = client.get("/admin/sql/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_superusers_may_use_it(admin_client):
    assert admin_client.get("/admin/sql/").status_code == 200


def test_switched_off_features_are_404(sql_client):
    assert sql_client.get("/admin/sql/connections/").status_code == 404
    assert sql_client.get("/admin/sql/assistant/").status_code == 404


def test_explain_shows_the_plan_and_runs_nothing(sql_client, saved_query):
    query = saved_query("SELECT email FROM shared.users WHERE name = 'x'", title="Plan")

    response = sql_client.get(f"/admin/sql/{query.pk}/explain/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Seq Scan on users" in body and "actual time" not in body
    [entry] = runs("sql.explain")
    assert entry.metadata["sql"].startswith("EXPLAIN (ANALYZE false")


def test_explain_cannot_be_turned_into_analyze(sql_client, saved_query):
    query = saved_query("(ANALYZE) SELECT pg_sleep(30)", title="Sneaky")

    response = sql_client.get(f"/admin/sql/{query.pk}/explain/")

    assert response.status_code == 400
    assert "syntax error" in response.content.decode()


def test_the_schema_browser_shows_the_six_schemas_without_withheld_columns(sql_client):
    from operations.console.sqltool import readonly_connection

    response = sql_client.get(f"/admin/sql/schema/{readonly_connection().pk}")

    assert response.status_code == 200
    body = response.content.decode()
    for table in ("vault", "billy", "renos", "crm", "flow", "shared"):
        assert f"{table}&quot;.&quot;" in body or f'{table}"."' in body, table
    assert "is_superuser" in body  # shared.users is listed, with what may be read
    assert "django_session" not in body
    assert "billy_api_key" not in body and "billy_organization_id" in body


def test_saved_queries_are_shared_with_every_sql_user(client, saved_query):
    from django.contrib.auth.models import Group

    from operations.groups import SQL

    query = saved_query("SELECT count(*) AS users FROM shared.users", title="How many users")
    colleague = create_user(email="colleague@tekup.dk", name="Colleague", password="a-long-test-passw0rd")
    colleague.is_staff = True
    colleague.save()
    colleague.groups.add(Group.objects.get(name=SQL))
    client.force_login(colleague)

    assert "How many users" in client.get("/admin/sql/").content.decode()
    response = client.get(f"/admin/sql/{query.pk}/")
    assert response.status_code == 200 and "How many users" in response.content.decode()
    assert AuditLog.objects.get(action="sql.run").actor_id == colleague.pk


def test_the_readonly_alias_does_not_carry_the_audit_actor():
    # shared.audit puts set_config() in front of writes on every connection that may write; on the
    # read-only alias that would make a typed write two statements, refused for that and not as a write.
    from django.db import connections

    from shared.audit import inject_actor

    readonly, default = connections[settings.READONLY_DATABASE], connections["default"]
    readonly.ensure_connection()
    default.ensure_connection()
    assert inject_actor not in readonly.execute_wrappers
    assert inject_actor in default.execute_wrappers
