"""DATABASE_REPLICA_URL in settings, and which statements count as writes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tekupdb.db.replica import is_write

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json
from django.conf import settings as s
replica = s.DATABASES.get("replica")
keys = ("ENGINE", "HOST", "PORT", "NAME", "TEST", "CONN_HEALTH_CHECKS")
print(json.dumps({
    "replica": replica and {k: replica[k] for k in keys},
    "pool": replica and replica["OPTIONS"]["pool"],
    "routers": s.DATABASE_ROUTERS,
    "middleware": [m for m in s.MIDDLEWARE if "replica" in m or m.endswith("AuthenticationMiddleware")],
    "max_lag": s.TEKUPDB_REPLICA_MAX_LAG_SECONDS,
}))
"""


# slow: the folder's fixture starts a streaming replica (tests/replica/conftest.py).
pytestmark = pytest.mark.slow


def settings_with(**variables) -> dict:
    import json

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    env.update(DJANGO_SETTINGS_MODULE="tekupdb.settings", **variables)
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_replica_url_adds_the_pooled_alias_the_router_and_the_middleware():
    configured = settings_with(
        DATABASE_REPLICA_URL="postgres://reader@replica.internal:5433/tekup",
        TEKUPDB_REPLICA_MAX_LAG_SECONDS="12.5",
    )

    assert configured["replica"] == {
        "ENGINE": "tekupdb.db.backend",
        "HOST": "replica.internal",
        "PORT": 5433,
        "NAME": "tekup",
        "TEST": {"MIRROR": "default"},
        "CONN_HEALTH_CHECKS": True,
    }
    assert configured["pool"]["timeout"] == 3.0 and configured["pool"]["max_size"] >= 1
    assert configured["routers"] == ["tekupdb.db.replica.ReplicaRouter"]
    assert configured["middleware"] == [
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "tekupdb.db.replica.ReplicaMiddleware",
    ]
    assert configured["max_lag"] == 12.5


def test_without_a_replica_url_nothing_changes():
    unset = settings_with(DATABASE_REPLICA_URL="")

    assert unset["replica"] is None and unset["routers"] == []
    assert unset["middleware"] == ["django.contrib.auth.middleware.AuthenticationMiddleware"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        '  SELECT "vault"."documents"."id" FROM "vault"."documents"',
        "SHOW server_version",
        "SAVEPOINT s1",
        "RELEASE SAVEPOINT s1",
        "SELECT set_config('statement_timeout', '500ms', true)",
        "WITH c AS (SELECT 1) SELECT * FROM c",
        "(SELECT 1) UNION (SELECT 2)",
    ],
)
def test_reads_are_not_writes(sql):
    assert not is_write(sql)


@pytest.mark.parametrize(
    "sql",
    [
        'INSERT INTO "vault"."documents" VALUES (1)',
        'UPDATE "vault"."documents" SET content = %s',
        "delete from x",
        "MERGE INTO t USING s ON true WHEN MATCHED THEN DO NOTHING",
        "COPY t FROM STDIN",
        'TRUNCATE "billy"."rate_limits"',
        "CREATE TABLE t (id int)",
        "WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved",
        "",
    ],
)
def test_writes_are_writes(sql):
    assert is_write(sql)
