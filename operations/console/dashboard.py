"""What the admin index shows about the database: health, schemas, size, backups, billy activity.

`build_dashboard()` gathers it in a handful of catalogue queries (row counts of big tables are the
planner's estimates, never a `COUNT(*)` over them); the admin site's index view only renders it.
Each section is independent: a section that fails (a catalogue the database user may not read, an
app that has not landed) shows as unavailable instead of breaking the index. With a read replica
configured the figures are read there (tekupdb.db.replica), and the replica's lag is shown.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

from operations.backup import list_backups
from operations.health import replica_check, run_checks
from shared.apps_base import schema_names
from shared.models import AuditLog
from shared.paginator import EXACT_COUNT_BELOW, within_timeout
from shared.timeseries import hourly_totals
from tekupdb.db.replica import read_alias, reads_from_replica

from . import charts

log = logging.getLogger(__name__)

COUNT_TIMEOUT_MS = 500
HOURS_SHOWN = 24


@dataclass
class TableStats:
    schema: str
    table: str
    rows: int
    estimated: bool
    size_bytes: int


@dataclass
class SchemaStats:
    schema: str
    tables: int = 0
    rows: int = 0
    estimated: bool = False
    size_bytes: int = 0


@dataclass
class Dashboard:
    health: dict[str, Any] | None = None
    schemas: list[SchemaStats] = field(default_factory=list)
    biggest_tables: list[TableStats] = field(default_factory=list)
    database_size: int | None = None
    postgres_version: str | None = None
    pgvector_version: str | None = None
    newest_backup: dict[str, Any] | None = None
    backup_dir: str | None = None
    billy: dict[str, Any] | None = None
    charts: dict[str, str] = field(default_factory=dict)
    replica: dict[str, Any] | None = None  # operations.health.replica_check as a dict; None: no replica
    unavailable: list[str] = field(default_factory=list)


def app_schemas() -> list[str]:
    """The schemas of the project's apps, in the order the admin index shows them."""
    return schema_names(dependencies_first=False)


def _db():
    """The connection the dashboard reads from: the replica inside `reads_from_replica()`, when it can."""
    return connections[read_alias()]


def table_stats(schemas: list[str], *, exact_count_below: int = EXACT_COUNT_BELOW) -> list[TableStats]:
    """Every table of the given schemas: rows (exact for small tables, estimated for big) and size."""
    with _db().cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname, c.relname, leaves.rows, leaves.size
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            -- A partitioned table (the monthly history tables) holds nothing itself: its rows and size
            -- are its partitions' (pg_partition_tree lists nothing for a plain table).
            CROSS JOIN LATERAL (
                SELECT sum(CASE WHEN p.reltuples < 0 THEN s.n_live_tup
                                WHEN p.relpages = 0 THEN p.reltuples
                                ELSE p.reltuples / p.relpages
                                     * (pg_relation_size(p.oid) / current_setting('block_size')::int)
                           END) AS rows,
                       sum(pg_total_relation_size(p.oid)) AS size
                FROM pg_class p
                LEFT JOIN pg_stat_all_tables s ON s.relid = p.oid
                WHERE (p.oid = c.oid AND c.relkind = 'r')
                   OR p.oid IN (SELECT relid FROM pg_partition_tree(c.oid) WHERE isleaf)
            ) leaves
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(%s)
            ORDER BY n.nspname, c.relname
            """,
            [schemas],
        )
        rows = cursor.fetchall()
    stats = [TableStats(s, t, int(est or 0), True, int(size or 0)) for s, t, est, size in rows]
    small = [t for t in stats if t.rows < exact_count_below]
    if small:
        exact = within_timeout(lambda: _exact_counts(small), using=read_alias(), timeout_ms=COUNT_TIMEOUT_MS)
        for table in small if exact else []:
            table.rows, table.estimated = exact[(table.schema, table.table)], False
    return stats


def _exact_counts(tables: list[TableStats]) -> dict[tuple[str, str], int]:
    quote = _db().ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT %s, %s, count(*) FROM {quote(t.schema)}.{quote(t.table)}" for t in tables
    )
    params = [value for t in tables for value in (t.schema, t.table)]
    with _db().cursor() as cursor:
        cursor.execute(sql, params)
        return {(schema, table): count for schema, table, count in cursor.fetchall()}


def schema_stats(tables: list[TableStats], schemas: list[str]) -> list[SchemaStats]:
    by_schema = {schema: SchemaStats(schema) for schema in schemas}
    for table in tables:
        entry = by_schema[table.schema]
        entry.tables += 1
        entry.rows += table.rows
        entry.estimated = entry.estimated or table.estimated
        entry.size_bytes += table.size_bytes
    return list(by_schema.values())


def server_versions() -> tuple[int, str, str | None]:
    """(database size in bytes, PostgreSQL version, pgvector version or None)."""
    with _db().cursor() as cursor:
        cursor.execute(
            """
            SELECT pg_database_size(current_database()), current_setting('server_version'),
                   (SELECT extversion FROM pg_extension WHERE extname = 'vector')
            """
        )
        return cursor.fetchone()


def newest_backup(directory: Path | None) -> dict[str, Any] | None:
    """The newest complete backup (manifest and dump present) that `manage.py backup` wrote."""
    if directory is None or not directory.is_dir():
        return None
    backups = list_backups(directory)
    if not backups:
        return None
    newest = backups[-1]
    return {
        "name": newest.dump_path.name,
        "size_bytes": newest.dump_path.stat().st_size,
        "taken_at": newest.created_at,
        "count": len(backups),
    }


def health_summary() -> dict[str, Any]:
    """The fast health checks (`operations.health`), as the dashboard shows them."""
    report = run_checks(include_slow=False, timeout=2.0).as_dict()
    return {"status": report["status"], "checks": report["checks"]}


def hourly(
    queryset, *, field: str, since: datetime.datetime, value=None
) -> list[tuple[datetime.datetime, int]]:
    """A value per hour since `since` (count of rows, or the sum of `value`), zero-filled."""
    return hourly_totals(queryset, field=field, since=since, hours=HOURS_SHOWN, value=value)


def billy_activity(now: datetime.datetime) -> dict[str, Any] | None:
    """Billy's cache tables (rows, live, added in the last day) and rate-limit traffic (billy.services)."""
    if not apps.is_installed("billy"):
        return None
    from billy import services as billy

    since = now - datetime.timedelta(hours=HOURS_SHOWN)
    caches = []
    for name, label in billy.cache_tables().items():
        # Each table within its own timeout: a slow one leaves its figures out, not the others'.
        figures = within_timeout(
            lambda name=name: billy.cache_figures(cache=name, now=now, since=since),
            using=read_alias(),
            timeout_ms=COUNT_TIMEOUT_MS,
        )
        caches.append({"name": label, **(figures or {})})
    return {
        "caches": caches,
        "rate_limit_per_hour": billy.requests_per_hour(since=since, hours=HOURS_SHOWN),
        "busiest_endpoints": billy.busiest_endpoints(since=since, limit=5),
    }


def _section(dashboard: Dashboard, name: str, work):
    try:
        return work()
    except Exception:  # one failing section must not take the admin index down
        log.exception("dashboard section %s failed", name)
        dashboard.unavailable.append(name)
        return None


def replica_summary() -> dict[str, Any] | None:
    """The replica's health check (reachable, replay lag), or None when no replica is configured."""
    from tekupdb.db.replica import replica_configured

    if not replica_configured():
        return None
    return {**asdict(replica_check()), "limit": settings.TEKUPDB_REPLICA_MAX_LAG_SECONDS}


@reads_from_replica()
def build_dashboard(*, user=None, now: datetime.datetime | None = None) -> Dashboard:
    """Everything the admin index shows; `user` limits the billy section to those who may see billy."""
    now = now or timezone.now()
    dashboard = Dashboard()
    dashboard.health = _section(dashboard, "health", health_summary)
    dashboard.replica = _section(dashboard, "replica", replica_summary)

    schemas = app_schemas()
    tables = _section(dashboard, "row counts", lambda: table_stats(schemas)) or []
    dashboard.schemas = schema_stats(tables, schemas) if tables else []
    dashboard.biggest_tables = sorted(tables, key=lambda t: t.size_bytes, reverse=True)[:5]
    versions = _section(dashboard, "server", server_versions)
    if versions:
        dashboard.database_size, dashboard.postgres_version, dashboard.pgvector_version = versions

    directory = settings.TEKUPDB_BACKUP_DIR
    dashboard.backup_dir = str(directory) if directory else "(backups not configured)"
    dashboard.newest_backup = _section(dashboard, "backups", lambda: newest_backup(directory))

    if user is None or user.has_module_perms("billy"):
        dashboard.billy = _section(dashboard, "billy activity", lambda: billy_activity(now))

    since = now - datetime.timedelta(hours=HOURS_SHOWN)
    if dashboard.schemas:
        dashboard.charts["schema_sizes"] = charts.bar_chart(
            [(s.schema, s.size_bytes) for s in dashboard.schemas],
            title="Size per schema",
            value_label=charts.filesize,
        )
    edits = _section(
        dashboard,
        "admin edits",
        # Audited writes made by people (the admin, acting_as), not by plain SQL of the services.
        lambda: hourly(
            AuditLog.objects.filter(action__in=["insert", "update", "delete"])
            .exclude(actor="")
            .exclude(actor__startswith="sql:"),
            field="created_at",
            since=since,
        ),
    )
    if edits:
        dashboard.charts["admin_edits"] = charts.column_chart(
            edits, title="Changes by staff per hour, last 24 h"
        )
    if dashboard.billy and dashboard.billy["rate_limit_per_hour"]:
        dashboard.charts["billy_requests"] = charts.column_chart(
            dashboard.billy["rate_limit_per_hour"], title="Billy API requests per hour, last 24 h"
        )
    return dashboard
