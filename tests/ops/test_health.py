import json
import socket
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from operations.health import run_checks

from .conftest import REPO, env_for_test_database

CHEAP = ["connection", "server_version", "pgvector", "schemas"]


def test_run_checks_reports_every_check_healthy(db, settings, tmp_path):
    settings.TEKUPDB_BACKUP_DIR = tmp_path / "absent"
    report = run_checks()
    names = [check.name for check in report.checks]
    assert names[:4] == CHEAP
    assert {"tables", "migrations", "database_size"} <= set(names)
    assert report.status == "healthy", report.failing
    assert report.check("schemas").value == 6
    assert report.check("pgvector").value


def test_cheap_checks_skip_the_slow_ones(db):
    report = run_checks(include_slow=False)
    assert [check.name for check in report.checks] == CHEAP
    data = report.as_dict()
    assert data["status"] == "healthy"
    assert set(data["checks"][0]) == {"name", "ok", "value", "detail", "warning"}


def test_a_missing_schema_and_table_make_it_unhealthy(db, settings, tmp_path):
    from django.db import connection

    settings.TEKUPDB_BACKUP_DIR = None
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE "shared"."audit_logs" RENAME TO audit_logs_gone')
        cursor.execute('ALTER SCHEMA "flow" RENAME TO flow_gone')
    # run_checks() connects on its own and cannot see this test's uncommitted changes: run the two
    # checks on this test's connection instead.
    from operations import health

    with connection.cursor() as cursor:
        conn = cursor.connection
        tables = health._tables(conn)
        schemas = health._schemas(conn)
    assert not tables.ok and "shared.audit_logs" in tables.detail
    assert not schemas.ok and schemas.detail == "missing: flow"


def test_backup_age_check(db, settings, tmp_path):
    from operations.backup import create_backup

    settings.TEKUPDB_BACKUP_DIR = tmp_path
    report = run_checks()
    assert not report.check("backup_age").ok
    assert report.status == "unhealthy"
    create_backup(output_dir=tmp_path)
    report = run_checks()
    assert report.check("backup_age").ok
    assert report.check("backup_age").value < 0.1
    settings.TEKUPDB_BACKUP_MAX_AGE_HOURS = 0.00001
    assert not run_checks().check("backup_age").ok


def test_health_command_prints_a_table(db, settings, capsys):
    settings.TEKUPDB_BACKUP_DIR = None
    call_command("health")
    out = capsys.readouterr().out
    assert "ok   connection" in out
    assert "healthy" in out


def test_health_command_json_and_unhealthy_exit(db, settings, tmp_path, capsys):
    settings.TEKUPDB_BACKUP_DIR = tmp_path  # exists, but holds no backup
    with pytest.raises(CommandError) as raised:
        call_command("health", "--json")
    assert raised.value.returncode == 1
    assert "backup_age" in str(raised.value)
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "unhealthy"
    assert [c["name"] for c in data["checks"] if not c["ok"]] == ["backup_age"]


def test_health_process_exit_codes(manage, tmp_path):
    env = env_for_test_database()
    env["TEKUPDB_BACKUP_DIR"] = ""
    result = manage("health", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "healthy"
    assert {check["name"] for check in data["checks"]} >= set(CHEAP) | {"tables", "migrations"}

    env["TEKUPDB_BACKUP_DIR"] = str(tmp_path)
    result = manage("health", env=env)
    assert result.returncode == 1
    assert "FAIL backup_age" in result.stdout
    assert "unhealthy: backup_age" in result.stderr


def _run_health(database_url):
    env = env_for_test_database()
    env.update(DATABASE_URL=database_url, DEBUG="1", TEKUPDB_BACKUP_DIR="")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "health", "--json"], cwd=REPO, env=env, capture_output=True, text=True
    )
    return result, time.monotonic() - started


@pytest.mark.slow
def test_health_of_a_server_that_does_not_answer_exits_2_within_5_seconds(db):
    # A socket that accepts connections but never speaks: the worst case, a hung server.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        result, elapsed = _run_health(f"postgres://tekup@127.0.0.1:{port}/tekup")
    assert result.returncode == 2, result.stderr
    assert elapsed < 5
    data = json.loads(result.stdout)
    assert data["status"] == "unreachable"
    assert data["checks"][0]["name"] == "connection" and not data["checks"][0]["ok"]
    assert "cannot connect to the database" in result.stderr


@pytest.mark.slow
def test_health_of_a_closed_port_and_a_missing_socket_exits_2(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result, elapsed = _run_health(f"postgres://tekup@127.0.0.1:{port}/tekup")
    assert result.returncode == 2 and elapsed < 5
    assert "Connection refused" in json.loads(result.stdout)["checks"][0]["detail"]
    result, elapsed = _run_health("postgres://tekup@%2Fnonexistent%2Fsocket%2Fdir/tekup")
    assert result.returncode == 2 and elapsed < 5


def test_healthz_reports_the_cheap_checks(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert [check["name"] for check in data["checks"]] == CHEAP
    assert all(set(check) == {"name", "ok"} for check in data["checks"])
    assert "PostgreSQL" not in response.content.decode()  # no versions for anonymous callers


def test_healthz_is_503_when_the_database_is_down(client, settings):
    from django.db import connections

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    original = dict(connections["default"].settings_dict)
    connections["default"].settings_dict.update(
        HOST="127.0.0.1", PORT=str(port), EMBEDDED_DATA_DIR=None, NAME="tekup"
    )
    try:
        response = client.get("/healthz")
    finally:
        connections["default"].settings_dict.clear()
        connections["default"].settings_dict.update(original)
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["health"] == "unreachable"


# --- the key ring --------------------------------------------------------------------------------

OLD_KEY = "n4Hq9mJ0l2V5c8xZ1aB3dE6fG7hI0jK2lM4nO6pQ8rA="
NEW_KEY = "q7sbNTYPcrd1m0f3o8mo6f5vcGxbBAhB2zU7fIIzIQw="
UNKNOWN_KEY = "Zm9yZ290dGVuLWtleS1mb3ItdGVzdHMtMzItYnl0ZXM="


def _key_ring_on_this_connection():
    """run_checks() connects on its own and cannot see this test's rows: run the check here."""
    from django.db import connection

    from operations import health

    with connection.cursor() as cursor:
        return health._key_ring(cursor.connection)


def test_key_ring_is_healthy_when_every_value_is_under_the_newest_key(db, settings):
    from billy.factories import OrganizationFactory
    from flow import services as flow

    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    OrganizationFactory()
    flow.set_variable(key="smtp", value="pw-1", is_secret=True)
    flow.set_variable(key="plain", value="not a token")  # not a secret: not checked

    check = _key_ring_on_this_connection()

    assert (check.ok, check.warning, check.value) == (True, False, 2)


def test_key_ring_warns_with_a_count_for_values_under_an_older_key(db, settings):
    from billy.factories import OrganizationFactory

    settings.TEKUPDB_ENCRYPTION_KEYS = [OLD_KEY]
    OrganizationFactory.create_batch(2)
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    OrganizationFactory()

    check = _key_ring_on_this_connection()

    assert check.ok and check.warning
    assert "2 of 3 encrypted values under an older key (billy.organizations.billy_api_key 2)" in check.detail


@pytest.mark.django_db(transaction=True)
def test_health_fails_on_a_value_encrypted_with_an_unknown_key(settings, tmp_path):
    from billy.factories import OrganizationFactory
    from billy.models import Organization
    from flow import services as flow

    settings.TEKUPDB_BACKUP_DIR = None
    settings.TEKUPDB_ENCRYPTION_KEYS = [UNKNOWN_KEY]
    flow.set_variable(key="smtp_password", value="unknown-key-secret", is_secret=True)
    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]
    OrganizationFactory(api_key="known-key-secret")
    token = Organization.objects.get().billy_api_key

    report = run_checks()
    check = report.check("key_ring")

    assert report.status == "unhealthy" and not check.ok
    assert check.detail.startswith("flow.variables.value: 1 values under a key that is not configured")
    with pytest.raises(CommandError, match=r"key_ring \(flow\.variables\.value: 1 values") as error:
        call_command("health")
    shown = json.dumps(report.as_dict()) + str(error.value)
    assert "unknown-key-secret" not in shown and "known-key-secret" not in shown and token not in shown


def test_key_ring_fails_on_a_token_that_does_not_authenticate(db, settings):
    from django.db import connection

    from flow.factories import WebhookFactory

    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]
    webhook = WebhookFactory()
    with connection.cursor() as cursor:  # a token altered in the database (or a key id collision)
        cursor.execute(
            """UPDATE "flow"."webhooks" SET secret = left(secret, -4) || 'AAAA' WHERE id = %s""", [webhook.pk]
        )

    check = _key_ring_on_this_connection()

    assert not check.ok
    assert check.detail.startswith("flow.webhooks.secret: 1 of 1 sampled values do not decrypt")


def test_key_ring_samples_a_big_column(db, settings, monkeypatch):
    from billy.factories import OrganizationFactory
    from operations import health
    from shared import crypto

    settings.TEKUPDB_ENCRYPTION_KEYS = [NEW_KEY]
    OrganizationFactory.create_batch(5)
    monkeypatch.setattr(health, "KEY_RING_SAMPLE", 2)
    decrypted = []
    real_decrypt = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda token: decrypted.append(1) or real_decrypt(token))

    check = _key_ring_on_this_connection()

    assert check.ok and check.value == 5  # every row's key id counted ...
    assert len(decrypted) == 2  # ... but only the sample decrypted


def test_without_a_replica_the_replica_check_says_so_and_passes(db, settings, tmp_path):
    settings.TEKUPDB_BACKUP_DIR = tmp_path / "absent"
    replica = run_checks().check("replica")
    assert replica.ok and replica.value is None
    assert replica.detail == "no read replica configured (DATABASE_REPLICA_URL unset)"
