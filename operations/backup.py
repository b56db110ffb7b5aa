"""Backups: pg_dump in custom format plus a JSON manifest, written so that no partial file ever has a
final name.

The row counts in the manifest come from the very snapshot that pg_dump dumps: a REPEATABLE READ
transaction exports its snapshot (`pg_export_snapshot()`), counts every table, and pg_dump runs with
`--snapshot` while that transaction stays open. The counts are therefore exact even while services
keep writing, and restore can hold the restored database to them.

A backup is complete when its manifest exists: the dump is renamed into place first, the manifest last.

Backups hold password hashes and customers' data, so they are private from their first byte: a
directory that the backup creates is 0700, the dump file is created 0600 before pg_dump opens it and
pg_dump itself runs under umask 077, the manifest is created 0600. An existing directory that others
can read is left as the operator made it, but reported (`Backup.warnings`, and `health`).

The manifest names the encrypted columns in the dump and the ids (never the keys) of the keys that
sealed them (`shared.fields.encrypted_fields()`): the keys a restore needs, for the operator to keep.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.utils import timezone

from . import pg

MANIFEST_FORMAT = 1
_VERBOSE_TABLE = re.compile(r'dumping contents of table "([^"]+)"')

Progress = Callable[[int, int, str], None]


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says what is wrong and what to do."""


PRIVATE_FILE, PRIVATE_DIR, PRIVATE_UMASK = 0o600, 0o700, 0o077


@dataclass(frozen=True)
class Backup:
    dump_path: Path
    manifest_path: Path
    manifest: dict
    warnings: tuple[str, ...] = ()

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.manifest["created_at"])

    @property
    def group(self) -> str:
        """Backups of the same database and schema selection rotate together."""
        return f"{self.manifest.get('database')}:{','.join(self.manifest.get('selected_schemas') or ['*'])}"


def manifest_path_for(dump_path: Path) -> Path:
    return dump_path.with_suffix(".json")


def list_backups(directory: Path | str) -> list[Backup]:
    """Complete backups (manifest and dump both present) in `directory`, oldest first."""
    directory = Path(directory)
    found = []
    for manifest_path in directory.glob("*.json"):
        try:
            manifest = json.loads(manifest_path.read_text())
            dump_path = directory / manifest["dump"]
            dt.datetime.fromisoformat(manifest["created_at"])
        except (ValueError, KeyError, TypeError, OSError):
            continue
        if dump_path.exists():
            found.append(Backup(dump_path, manifest_path, manifest))
    return sorted(found, key=lambda backup: backup.created_at)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _create_private(path: Path) -> int:
    """Create `path` as a new file of mode 0600 (whatever the umask) and return its descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)


def _private_directory(directory: Path) -> list[str]:
    """Create `directory` 0700 if absent; return warnings when an existing one lets others in."""
    if not directory.exists():
        directory.mkdir(parents=True, mode=PRIVATE_DIR)
        directory.chmod(PRIVATE_DIR)  # mkdir's mode passes through the umask; be exact
        return []
    mode = directory.stat().st_mode & 0o777
    if mode & PRIVATE_UMASK:
        return [
            f"the backup directory {directory} has mode {mode:04o}: others can list it "
            f"(the files themselves are 0600); chmod 700 it"
        ]
    return []


def _fsync_write(path: Path, data: bytes) -> None:
    with os.fdopen(_create_private(path), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _existing_schemas(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
    ).fetchall()
    return {row[0] for row in rows}


def _encrypted_columns(conn: psycopg.Connection, dumped: set[str]) -> dict[str, list[str]]:
    """`schema.table.column` of every encrypted column in the dump -> ids of the keys its values need."""
    from psycopg import sql

    from shared import crypto
    from shared.fields import encrypted_fields
    from shared.keyring import column_label

    found = {}
    for model, column in encrypted_fields():
        label = column_label(model, column)
        schema, table, name = label.split(".")
        if f"{schema}.{table}" not in dumped:
            continue
        where = sql.SQL("{} LIKE %s").format(sql.Identifier(name))
        if column.condition_column():
            where = sql.SQL("{} AND {}").format(where, sql.Identifier(column.condition_column()))
        rows = conn.execute(
            sql.SQL("SELECT DISTINCT split_part({}, ':', 2) FROM {}.{} WHERE {}").format(
                sql.Identifier(name), sql.Identifier(schema), sql.Identifier(table), where
            ),
            [f"{crypto.PREFIX}:%"],
        ).fetchall()
        found[label] = sorted(row[0] for row in rows)
    return found


def keys_missing_for(manifest: dict) -> dict[str, list[str]]:
    """Encrypted column -> ids of keys its values in the backup need that are not configured now."""
    from shared import crypto

    ring = set(crypto.key_ids())
    missing = {
        column: sorted(set(key_ids) - ring)
        for column, key_ids in (manifest.get("encrypted_columns") or {}).items()
    }
    return {column: key_ids for column, key_ids in missing.items() if key_ids}


def create_backup(
    *,
    schemas: list[str] | None = None,
    output_dir: Path | str | None = None,
    keep: int | None = None,
    progress: Progress | None = None,
    alias: str = "default",
) -> Backup:
    """Dump the database (or the given schemas) into `output_dir`; rotate to `keep` backups if given."""
    if keep is not None and keep < 1:
        raise BackupError(f"--keep must be at least 1, not {keep}.")
    output_dir = Path(output_dir or settings.TEKUPDB_BACKUP_DIR).resolve()
    warnings = _private_directory(output_dir)
    params = pg.connection_params(alias)
    conninfo, env = pg.libpq_command_env(params)
    schemas = sorted(set(schemas)) if schemas else None

    with pg.connect(params=params, connect_timeout=10) as snapshot_conn:
        version_num, version = pg.server_version(snapshot_conn)
        pg_dump = pg.program_for_server("pg_dump", version_num, alias=alias)
        snapshot = _export_snapshot(snapshot_conn, schemas)
        tables = pg.list_tables(snapshot_conn, schemas)
        counts = pg.count_rows(snapshot_conn, tables)
        encrypted = _encrypted_columns(snapshot_conn, {f"{schema}.{table}" for schema, table in tables})

        created_at = timezone.now().astimezone(dt.UTC)
        label = "+".join(schemas) if schemas else "all"
        files = _BackupFiles.free(
            output_dir, f"{params.get('dbname', 'db')}-{label}-{created_at:%Y%m%dT%H%M%SZ}"
        )
        command = _pg_dump_command(pg_dump, snapshot, files.partial_dump, conninfo, schemas)
        facts = {
            "format": MANIFEST_FORMAT,
            "created_at": created_at.isoformat(),
            "database": params.get("dbname"),
            "server_version": version,
            "server_version_num": version_num,
            "pg_dump_version": pg_dump.version,
            "selected_schemas": schemas,
            "tables": counts,
            "encrypted_columns": encrypted,
            "dump": files.dump.name,
        }
        manifest = _dump_and_publish(
            snapshot_conn, command, env, files, facts, total=len(tables), progress=progress
        )

    backup = Backup(files.dump, manifest_path_for(files.dump), manifest, tuple(warnings))
    if keep:
        rotate_backups(output_dir, keep=keep, group=backup.group)
    return backup


def _export_snapshot(conn: psycopg.Connection, schemas: list[str] | None) -> str:
    """Check that `schemas` exist, then open the REPEATABLE READ, READ ONLY transaction whose snapshot
    pg_dump dumps and the manifest counts; its name for pg_dump's --snapshot."""
    if schemas:
        unknown = sorted(set(schemas) - _existing_schemas(conn))
        if unknown:
            raise BackupError(f"No such schema in the database: {', '.join(unknown)}.")
    conn.autocommit = False
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    return conn.execute("SELECT pg_export_snapshot()").fetchone()[0]


@dataclass(frozen=True)
class _BackupFiles:
    """A backup's final dump name and the hidden names its dump and manifest are written under."""

    directory: Path
    dump: Path
    partial_dump: Path
    partial_manifest: Path

    @classmethod
    def free(cls, directory: Path, stem: str) -> _BackupFiles:
        """The names for `stem`, with `~1`, `~2`, … appended while a backup of that name exists."""
        suffix = 0
        while (directory / f"{stem}.dump").exists() or (directory / f"{stem}.json").exists():
            suffix += 1
            stem = f"{stem.rsplit('~', 1)[0]}~{suffix}"
        return cls(
            directory,
            directory / f"{stem}.dump",
            directory / f".{stem}.dump.partial",
            directory / f".{stem}.json.partial",
        )


def _pg_dump_command(
    pg_dump: pg.Program, snapshot: str, output: Path, conninfo: str, schemas: list[str] | None
) -> list[str]:
    # --load-via-partition-root: the rows of a partitioned history table are restored through the
    # table, not into the partition they came from, so a restore into a database whose monthly
    # partitions differ (made ahead since, or pruned) still routes every row (tekupdb.db.partitions).
    command = [
        str(pg_dump.path),
        "--format=custom",
        "--verbose",
        "--load-via-partition-root",
        f"--snapshot={snapshot}",
    ]
    command += [f"--file={output}", f"--dbname={conninfo}"]
    for schema in schemas or []:
        command.append(f"--schema={schema}")
    return command


def _dump_and_publish(
    snapshot_conn, command: list[str], env: dict, files: _BackupFiles, facts: dict, *, total: int, progress
) -> dict:
    """Run pg_dump into the hidden dump file, complete the manifest (`facts` plus the schemas, size and
    sha256) and publish both; whatever fails, no hidden file is left behind. The manifest."""
    try:
        os.close(_create_private(files.partial_dump))  # pg_dump truncates it and keeps the mode
        _run_with_progress(command, env, total=total, progress=progress)
        snapshot_conn.rollback()  # pg_dump is done with the snapshot
        manifest = {
            **facts,
            "schemas": facts["selected_schemas"] or sorted(_existing_schemas(snapshot_conn)),
            **_synced_size_and_sha256(files.partial_dump),
        }
        _publish(files, manifest)
    finally:
        files.partial_dump.unlink(missing_ok=True)
        files.partial_manifest.unlink(missing_ok=True)
    return manifest


def _synced_size_and_sha256(path: Path) -> dict:
    """The manifest's `size` and `sha256` of the dump, once the dump is on disk (fsync)."""
    sha256 = sha256_of(path)
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    return {"size": path.stat().st_size, "sha256": sha256}


def _publish(files: _BackupFiles, manifest: dict) -> None:
    """Write the manifest, then give the dump and the manifest their final names, the manifest last:
    a backup is complete when its manifest exists."""
    _fsync_write(files.partial_manifest, json.dumps(manifest, indent=2, sort_keys=True).encode())
    os.replace(files.partial_dump, files.dump)
    os.replace(files.partial_manifest, manifest_path_for(files.dump))
    _fsync_dir(files.directory)


def rotate_backups(directory: Path | str, *, keep: int, group: str) -> list[Path]:
    """Delete all but the `keep` newest complete backups of `group`; return the deleted dumps."""
    backups = [backup for backup in list_backups(directory) if backup.group == group]
    removed = []
    for backup in backups[:-keep] if keep else []:
        # The manifest goes first: a dump without a manifest is never taken for a backup.
        backup.manifest_path.unlink(missing_ok=True)
        backup.dump_path.unlink(missing_ok=True)
        removed.append(backup.dump_path)
    return removed


def _run_with_progress(command: list[str], env: dict, *, total: int, progress: Progress | None) -> None:
    """Run pg_dump --verbose, turning its "dumping contents of table" lines into progress."""
    done = 0
    tail: list[str] = []
    # umask in the child before exec: whatever pg_dump creates is private from its first byte.
    with subprocess.Popen(
        command,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        umask=PRIVATE_UMASK,
    ) as proc:
        for line in proc.stderr:
            tail = (tail + [line.rstrip()])[-20:]
            match = _VERBOSE_TABLE.search(line)
            if match and progress:
                done += 1
                progress(done, total, match.group(1))
    if proc.returncode != 0:
        errors = [line for line in tail if "error" in line.lower()] or tail
        raise BackupError(f"pg_dump failed (exit {proc.returncode}):\n" + "\n".join(errors))
