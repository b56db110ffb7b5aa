"""Health of the database as a service: what `manage.py health`, `/healthz` and the admin dashboard show.

`run_checks()` opens its own short-lived connection (never the pool): it must answer within `timeout`
seconds even when the server does not, so the connection carries `connect_timeout` and
`statement_timeout`. Every check after the connection is independent: one failing (or timing out)
is reported and the others still run.

Cheap checks (for load balancers and the dashboard): connection and round trip, server version,
pgvector, the schemas. Slow checks add: every model's table and columns against pg_catalog, unapplied
migrations, database size, expired billy cache rows, the key ring (every encrypted value opens with a
configured key), the age of the newest backup and whether others can read the backups, and the read
replica (reachable, replay lag under TEKUPDB_REPLICA_MAX_LAG_SECONDS). The replica is not among the cheap
checks: reads fall back to the primary when it is down, so `/healthz` (which a platform may act on by
restarting the web service) must not fail for it; `manage.py health` and the dashboard show it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.apps import apps
from django.conf import settings
from django.db.backends.utils import split_identifier
from django.utils import timezone

from shared.apps_base import schema_names

MIN_SERVER_MAJOR = 15


@dataclass
class CheckResult:
    name: str
    ok: bool
    value: object = None
    detail: str = ""
    # ok but worth a look (a value under an old key, a backup directory others can read): healthy still.
    warning: bool = False


@dataclass
class HealthReport:
    status: str  # "healthy" | "unhealthy" | "unreachable"
    checks: list[CheckResult] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def failing(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.ok]

    @property
    def warnings(self) -> list[CheckResult]:
        return [check for check in self.checks if check.ok and check.warning]

    def check(self, name: str) -> CheckResult | None:
        return next((check for check in self.checks if check.name == name), None)

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "duration_ms": round(self.duration_ms, 2),
            "checks": [asdict(check) for check in self.checks],
        }


def app_schemas() -> list[str]:
    """The schemas the project's apps own (AppConfig.schema), `shared` first (shared.apps_base)."""
    return schema_names()


def model_tables() -> dict[tuple[str, str], list[str]]:
    """(schema, table) of every managed model (M2M tables included) -> its column names."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        schema, table = split_identifier(model._meta.db_table)
        tables[(schema or "public", table)] = [f.column for f in model._meta.local_concrete_fields]
    return tables


def run_checks(*, include_slow: bool = True, timeout: float = 5.0) -> HealthReport:
    """Run the health checks against the default database; never raises for a database problem."""
    from operations import pg

    started = time.perf_counter()
    try:
        conn = pg.connect(connect_timeout=max(2.0, timeout / 2), statement_timeout=timeout)
    except Exception as exc:  # unreachable is a result, not an error
        report = HealthReport(
            status="unreachable",
            checks=[CheckResult("connection", False, None, f"{exc.__class__.__name__}: {_first_line(exc)}")],
        )
        report.duration_ms = (time.perf_counter() - started) * 1000
        return report
    connect_ms = (time.perf_counter() - started) * 1000
    checks: list[CheckResult] = []
    with conn:
        round_trip_started = time.perf_counter()
        conn.execute("SELECT 1").fetchone()
        round_trip_ms = (time.perf_counter() - round_trip_started) * 1000
        checks.append(
            CheckResult(
                "connection",
                True,
                round(round_trip_ms, 2),
                f"round trip {round_trip_ms:.1f} ms (connect {connect_ms:.0f} ms)",
            )
        )
        runners: list[Callable] = [_server_version, _pgvector, _schemas]
        if include_slow:
            runners += [
                _tables,
                _migrations,
                _database_size,
                _partitions_ahead,
                _billy_expired_cache,
                _key_ring,
                _backup_age,
                _backup_permissions,
                replica_check,
            ]
        for runner in runners:
            try:
                result = runner(conn)
            except Exception as exc:
                result = CheckResult(runner.__name__.lstrip("_"), False, None, _first_line(exc))
            if result is not None:
                checks.append(result)
    status = "healthy" if all(check.ok for check in checks) else "unhealthy"
    return HealthReport(status=status, checks=checks, duration_ms=(time.perf_counter() - started) * 1000)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def _server_version(conn) -> CheckResult:
    version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    major = conn.info.server_version // 10000
    ok = major >= MIN_SERVER_MAJOR
    detail = f"PostgreSQL {version}" + ("" if ok else f"; the project needs {MIN_SERVER_MAJOR} or newer")
    return CheckResult("server_version", ok, version, detail)


def _pgvector(conn) -> CheckResult:
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    if row is None:
        return CheckResult("pgvector", False, None, "the vector extension is not installed (run migrate)")
    return CheckResult("pgvector", True, row[0], f"pgvector {row[0]}")


def _schemas(conn) -> CheckResult:
    expected = app_schemas()
    present = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
    missing = [schema for schema in expected if schema not in present]
    detail = (
        f"missing: {', '.join(missing)}" if missing else f"{len(expected)} present: {', '.join(expected)}"
    )
    return CheckResult("schemas", not missing, len(expected) - len(missing), detail)


def _tables(conn) -> CheckResult:
    expected = model_tables()
    rows = conn.execute(
        """
        SELECT n.nspname, c.relname, a.attname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY(%s)
        """,
        [sorted({schema for schema, _ in expected})],
    ).fetchall()
    present: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        present.setdefault((schema, table), set()).add(column)
    missing_tables = [f"{s}.{t}" for (s, t) in sorted(expected) if (s, t) not in present]
    missing_columns = [
        f"{s}.{t}.{column}"
        for (s, t), columns in sorted(expected.items())
        if (s, t) in present
        for column in columns
        if column not in present[(s, t)]
    ]
    problems = []
    if missing_tables:
        problems.append(f"missing tables: {', '.join(missing_tables)}")
    if missing_columns:
        problems.append(f"missing columns: {', '.join(missing_columns)}")
    detail = "; ".join(problems) or f"all {len(expected)} model tables present"
    return CheckResult("tables", not problems, len(expected) - len(missing_tables), detail)


def _migrations(conn) -> CheckResult:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    exists = conn.execute("SELECT to_regclass('public.django_migrations')").fetchone()[0]
    applied = set()
    if exists:
        applied = {tuple(row) for row in conn.execute("SELECT app, name FROM django_migrations").fetchall()}
    for key, migration in loader.replacements.items():
        if all(replaced in applied for replaced in migration.replaces):
            applied.add(key)
    unapplied = sorted(f"{app}.{name}" for app, name in loader.graph.nodes if (app, name) not in applied)
    detail = f"unapplied: {', '.join(unapplied)}" if unapplied else "all applied"
    return CheckResult("migrations", not unapplied, len(unapplied), detail)


def _database_size(conn) -> CheckResult:
    size, pretty = conn.execute(
        "SELECT pg_database_size(current_database()), pg_size_pretty(pg_database_size(current_database()))"
    ).fetchone()
    return CheckResult("database_size", True, size, pretty)


def _partitions_ahead(conn) -> CheckResult | None:
    """Warn when a partitioned history table has no partition for next month yet (`manage.py
    partitions --ahead 3` from cron makes them): its rows would pile up in the DEFAULT partition,
    which still takes them, so this is a warning, not a failure."""
    rows = conn.execute(
        """
        SELECT n.nspname || '.' || c.relname,
               to_regclass(format('%%I.%%I', n.nspname, c.relname || to_char(
                   date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month', '"_p"YYYY_MM'
               ))) IS NOT NULL
        FROM pg_partitioned_table p
        JOIN pg_class c ON c.oid = p.partrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%s) AND NOT c.relispartition
        ORDER BY 1
        """,
        [app_schemas()],
    ).fetchall()
    if not rows:
        return None  # nothing partitioned (a database before the partitioning migrations)
    missing = [table for table, ready in rows if not ready]
    if missing:
        return CheckResult(
            "partitions",
            True,
            len(rows) - len(missing),
            f"no partition for next month: {', '.join(missing)} (run manage.py partitions --ahead 3)",
            warning=True,
        )
    return CheckResult("partitions", True, len(rows), f"{len(rows)} partitioned tables ready for next month")


def _billy_expired_cache(conn) -> CheckResult | None:
    """Expired cache rows pile up when the billy cleanup stops running.

    Expiry is billy's rule (`CachedEntry.objects.expired()`); its queries are counted here on the
    health check's own connection, which carries the statement timeout.
    """
    if not apps.is_installed("billy"):
        return None
    from billy.models import CachedEntry

    total, parts = 0, []
    for rows in CachedEntry.objects.expired().values():
        query, params = rows.order_by().values("pk").query.sql_with_params()
        count = conn.execute(f"SELECT count(*) FROM ({query}) AS expired", params).fetchone()[0]
        total += count
        parts.append(f"{split_identifier(rows.model._meta.db_table)[1]} {count}")
    limit = settings.TEKUPDB_HEALTH_MAX_EXPIRED_CACHE_ROWS
    ok = total <= limit
    detail = f"{total} expired ({', '.join(parts)})" + (
        "" if ok else f"; more than {limit}: is cleanup running?"
    )
    return CheckResult("billy_expired_cache", ok, total, detail)


def _backup_age(conn) -> CheckResult | None:
    """Age of the newest complete backup, when the backup directory exists."""
    from operations.backup import list_backups

    directory = settings.TEKUPDB_BACKUP_DIR
    if not directory or not directory.is_dir():
        return None
    backups = list_backups(directory)
    if not backups:
        return CheckResult("backup_age", False, None, f"no complete backup in {directory}")
    newest = backups[-1]
    age_hours = (timezone.now() - newest.created_at).total_seconds() / 3600
    limit = settings.TEKUPDB_BACKUP_MAX_AGE_HOURS
    ok = not limit or age_hours <= limit
    detail = f"{newest.dump_path.name}, {age_hours:.1f} h old" + ("" if ok else f"; older than {limit} h")
    return CheckResult("backup_age", ok, round(age_hours, 2), detail)


# Values per column that the key-ring check decrypts: every one on a small table, a random sample on a
# big one (the key ids of all rows are still counted, in SQL, without decrypting).
KEY_RING_SAMPLE = 1000


def _key_ring(conn) -> CheckResult:
    """Every encrypted value must open with a configured key before any key is dropped.

    Fails, naming table and column (never a value), for a value that no configured key decrypts: not a
    token at all, a key id that is not configured, or a token that does not authenticate. Warns with a
    count for values still under an older key (rotation has not run, or not to its end).
    """
    from shared import crypto
    from shared.fields import encrypted_fields

    ring = crypto.key_ids()  # ImproperlyConfigured here fails the check with its message
    newest = ring[0]
    total = older = 0
    problems, stale = [], []
    for model, column in encrypted_fields():
        found = _column_keys(conn, model, column, ring)
        total += found.total
        problems += found.problems
        if found.older:
            older += found.older
            stale.append(f"{found.label} {found.older}")
    if problems:
        detail = "; ".join(problems) + " (no configured key opens them: restore the key that sealed them)"
        return CheckResult("key_ring", False, total, detail)
    if older:
        detail = (
            f"{older} of {total} encrypted values under an older key ({', '.join(stale)}): "
            "run rotate_encryption_keys before dropping a key"
        )
        return CheckResult("key_ring", True, total, detail, warning=True)
    return CheckResult(
        "key_ring", True, total, f"{total} encrypted values, all under the newest key {newest}"
    )


@dataclass
class _ColumnKeys:
    """What the key ring check found in one encrypted column."""

    label: str  # schema.table.column
    total: int  # values (NULLs and values the column's condition excludes aside)
    older: int  # values under a configured key that is not the newest
    problems: list[str]  # values that no configured key opens, counted by kind


def _column_keys(conn, model, column, ring: list[str]) -> _ColumnKeys:
    """Count the column's values by the key that sealed them, and decrypt a random sample of those under
    a configured key (at most KEY_RING_SAMPLE: a big column is not read whole)."""
    from psycopg import sql

    from shared import crypto
    from shared.keyring import column_label

    schema, table = split_identifier(model._meta.db_table)
    where = sql.SQL("{} IS NOT NULL").format(sql.Identifier(column.column))
    if column.condition_column():
        where = sql.SQL("{} AND {}").format(where, sql.Identifier(column.condition_column()))
    parts = {
        "col": sql.Identifier(column.column),
        "rel": sql.SQL("{}.{}").format(sql.Identifier(schema or "public"), sql.Identifier(table)),
        "where": where,
    }
    by_key = conn.execute(
        sql.SQL(
            "SELECT CASE WHEN {col} LIKE %s THEN split_part({col}, ':', 2) END, count(*) "
            "FROM {rel} WHERE {where} GROUP BY 1"
        ).format(**parts),
        [f"{crypto.PREFIX}:%"],
    ).fetchall()
    label = column_label(model, column)
    counts = {key_id: count for key_id, count in by_key}
    total = sum(counts.values())
    plain = counts.pop(None, 0)
    unknown = sum(count for key_id, count in counts.items() if key_id not in ring)
    old = sum(count for key_id, count in counts.items() if key_id in ring and key_id != ring[0])
    problems = []
    if plain:
        problems.append(f"{label}: {plain} values are not encrypted")
    if unknown:
        problems.append(f"{label}: {unknown} values under a key that is not configured")
    broken, sampled = _undecryptable_in_sample(conn, parts, ring)
    if broken:
        problems.append(f"{label}: {broken} of {sampled} sampled values do not decrypt")
    return _ColumnKeys(label, total, old, problems)


def _undecryptable_in_sample(conn, parts: dict, ring: list[str]) -> tuple[int, int]:
    """(values that do not decrypt, values sampled) of a random sample of the column's tokens."""
    from psycopg import sql

    from shared import crypto

    sample = conn.execute(
        sql.SQL("SELECT {col} FROM {rel} WHERE {where} AND {col} LIKE %s ORDER BY random() LIMIT %s").format(
            **parts
        ),
        [f"{crypto.PREFIX}:%", KEY_RING_SAMPLE],
    ).fetchall()
    broken = 0
    for (token,) in sample:
        if crypto.key_id_of(token) not in ring:
            continue  # counted as under a key that is not configured
        try:
            crypto.decrypt(token)
        except crypto.DecryptionError:
            broken += 1
    return broken, len(sample)


def _backup_permissions(conn) -> CheckResult | None:
    """Backups hold password hashes and customers' data: only the owner may read them."""
    import stat

    directory = settings.TEKUPDB_BACKUP_DIR
    if not directory or not directory.is_dir():
        return None
    mode = stat.S_IMODE(directory.stat().st_mode)
    open_files = [path.name for path in directory.iterdir() if stat.S_IMODE(path.stat().st_mode) & 0o077]
    problems = []
    if mode & 0o077:
        problems.append(f"{directory} has mode {mode:04o} (group or others have access; want 0700)")
    if open_files:
        problems.append(f"{len(open_files)} files that group or others can read, e.g. {open_files[0]}")
    if problems:
        return CheckResult("backup_permissions", True, f"{mode:04o}", "; ".join(problems), warning=True)
    return CheckResult("backup_permissions", True, f"{mode:04o}", f"{directory} is private (mode {mode:04o})")


# Lag of a standby: when everything it has received is replayed and its WAL receiver is streaming, it is
# caught up (an idle primary sends no new WAL, so the last replayed transaction's timestamp grows old
# without any lag). Otherwise see `_replay_lag`. Bytes behind come from the primary's current LSN.
_REPLICA_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn()::text,
       pg_last_wal_receive_lsn()::text,
       pg_last_wal_receive_lsn() IS NOT NULL
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       EXTRACT(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
"""


# How long a standby that is still replaying gets to reach what it had received: one that keeps up with
# a busy primary does within milliseconds.
_CATCH_UP_WINDOW = 0.5


def _replay_lag(conn, receive_lsn: str | None, replay_age: float) -> float:
    """The lag of a standby that has not replayed everything it received.

    WAL arrives without commits too (vacuum, checkpoints, hint bits, other databases of the cluster), and
    the last replayed transaction's age measures nothing then: a standby that keeps up with such a
    stream would show the age of the last commit. So it is watched for up to `_CATCH_UP_WINDOW`: if it
    replays what it had received, its lag is the time that took; if not, it is behind, by the age of the
    last transaction it replayed (the usual measure)."""
    if receive_lsn is None:  # not streaming (e.g. restoring from an archive): nothing to catch up with
        return max(0.0, replay_age)
    started = time.monotonic()
    while (waited := time.monotonic() - started) < _CATCH_UP_WINDOW:
        (reached,) = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [receive_lsn]).fetchone()
        if reached:
            return waited
        time.sleep(0.01)
    return max(0.0, replay_age)


def replica_check(primary=None) -> CheckResult:
    """The read replica: reachable, a standby, replay lag within TEKUPDB_REPLICA_MAX_LAG_SECONDS.

    `primary`, a connection to the primary, adds how many bytes of WAL the replica has still to replay.
    Passes, saying so, when no replica is configured."""
    from operations import pg
    from tekupdb.db.replica import REPLICA_ALIAS, replica_configured

    if not replica_configured():
        return CheckResult("replica", True, None, "no read replica configured (DATABASE_REPLICA_URL unset)")
    limit = settings.TEKUPDB_REPLICA_MAX_LAG_SECONDS
    try:
        conn = pg.connect(alias=REPLICA_ALIAS, connect_timeout=2.0, statement_timeout=2.0)
    except Exception as exc:
        return CheckResult(
            "replica", False, None, f"unreachable ({_first_line(exc)}): reads go to the primary meanwhile"
        )
    with conn:
        in_recovery, replay_lsn, receive_lsn, caught_up, replay_age = conn.execute(_REPLICA_SQL).fetchone()
        if not in_recovery:
            return CheckResult(
                "replica", False, None, "the replica is not a standby (not in recovery): is it the primary?"
            )
        lag = 0.0 if caught_up or replay_age is None else _replay_lag(conn, receive_lsn, replay_age)
    behind = ""
    if primary is not None and replay_lsn:
        (diff,) = primary.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [replay_lsn]).fetchone()
        behind = f", {int(max(diff, 0))} bytes of WAL behind"
    ok = not limit or lag <= limit
    detail = f"replay lag {lag:.1f} s{behind}" + ("" if ok else f"; more than the limit of {limit:g} s")
    return CheckResult("replica", ok, round(lag, 3), detail)
