"""Usage metrics partitioned by month against the same table unpartitioned, side by side (issue 19).

Both tables have billy.usage_metrics' columns and keys (primary key, the slot's unique key, the date
index; no foreign key on either) in a schema of their own, `bench_history`. The partitioned one is made
the way billy's migration makes it (tekupdb.db.partitions.partition_existing_table, then the months of
the data with ensure_partitions). Both are filled with the same rows, generated in the server
(INSERT … SELECT over generate_series): eleven months and this one of hourly rows for N organizations
× 20 tools, through today; about 10,000,000 rows (--quick: 1,500,000). Then, interleaved so that the
shared machine's drift hits both alike:

- the usage chart query for one organization and 30 days: the SQL of billy.services.get_daily_calls
  (what the dashboard's chart runs), compiled from its queryset; median of many runs, random orgs;
  target: partitioned no slower (ratio ≤ 1.0, within noise);
- insert throughput: billy.services.track_usage's own upsert (INSERT … ON CONFLICT … DO UPDATE), new
  slots of today, in alternating batches; target: partitioned ≥ 0.9× the rows/s;
- pruning the oldest month, three times (each after a CHECKPOINT, alternating which goes first; the
  median ratio): `DELETE … WHERE date < <first of the next month>` on the plain table against what
  `prune` does on the partitioned one: the boundary month's DELETE (which finds nothing) and then the
  detach + drop of the month's partition (tekupdb.db.partitions.drop_partitions_before), committed;
  target: ≥ 100× faster. Also timed: the VACUUM of the plain table that the DELETE leaves owing (dead
  rows, their index entries), reported as a second ratio;
- while each prune runs, a second session writes the same table (track_usage's upsert, one row per
  transaction, back to back): its longest wait is what the services feel of the prune.

    python bench/history.py [--quick] [--rows N]

The last line printed is JSON. The schema is dropped at the start and at the end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402

from billy import services  # noqa: E402
from billy.models import UsageMetric  # noqa: E402
from tekupdb.db import partitions  # noqa: E402

SCHEMA = "bench_history"
PLAIN = f'"{SCHEMA}"."usage_plain"'
PARTED = f'"{SCHEMA}"."usage_parted"'
TOOLS = 20


def execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def create_tables() -> None:
    execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    execute(f"CREATE SCHEMA {SCHEMA}")
    for table in (PLAIN, PARTED):
        name = table.split(".")[1].strip('"')
        # billy.usage_metrics' columns and defaults (it is partitioned itself: LIKE takes no keys).
        execute(f"CREATE TABLE {table} (LIKE billy.usage_metrics INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        execute(f"ALTER TABLE {table} ADD CONSTRAINT {name}_pkey PRIMARY KEY (id)")
        execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name}_slot_uniq "
            "UNIQUE (organization_id, date, hour, tool_name)"
        )
        execute(f"CREATE INDEX {name}_date_idx ON {table} (date)")
    with transaction.atomic(), connection.cursor() as cursor:
        partitions.partition_existing_table(cursor, table=f"{SCHEMA}.usage_parted", column="date", ahead=0)


def fill(table: str, rows: int, organizations: int, first_day: date) -> float:
    """`rows` rows: row i is (day, organization, hour, tool) of its index; returns rows per second."""
    per_day = organizations * 24 * TOOLS
    started = time.perf_counter()
    execute(
        f"""
        INSERT INTO {table} (id, created_at, updated_at, organization_id, date, hour, tool_name,
                             call_count, success_count, error_count, avg_duration_ms, cache_hit_rate,
                             duration_sum_ms, duration_count, cache_hits, cache_lookups)
        SELECT gen_random_uuid(), now(), now(),
               ('00000000-0000-4000-8000-'
                || lpad((mod(i, %(per_day)s) / (24 * %(tools)s))::text, 12, '0'))::uuid,
               %(first)s::date + (i / %(per_day)s)::int,
               mod(i / %(tools)s, 24)::smallint,
               'tool_' || mod(i, %(tools)s),
               1 + mod(i, 7), 1 + mod(i, 7) - (mod(i, 3) = 0)::int, (mod(i, 3) = 0)::int, 120.5, 50.00,
               120.5 * (1 + mod(i, 7)), 1 + mod(i, 7), 1, 2
        FROM generate_series(0::bigint, %(rows)s - 1) AS i
        """,
        {"per_day": per_day, "tools": TOOLS, "first": first_day, "rows": rows},
    )
    elapsed = time.perf_counter() - started
    execute(f"VACUUM ANALYZE {table}")
    return rows / elapsed


def organization_id(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")


def chart_sql(table: str) -> tuple[str, list[str]]:
    """The SQL of billy.services.get_daily_calls (its queryset, compiled), pointed at `table`, and the
    order of its parameters ("org", "start", "end")."""
    today = datetime.now(UTC).date()
    named = {organization_id(0): "org", today - timedelta(days=29): "start", today: "end"}
    queryset = (
        UsageMetric.objects.filter(
            organization_id=organization_id(0), date__gte=today - timedelta(days=29), date__lte=today
        )
        .values("date")
        .annotate(calls=Sum("call_count"), errors=Sum("error_count"))
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    assert 'FROM "billy"."usage_metrics"' in sql, sql
    return sql.replace('"billy"."usage_metrics"', table), [named[value] for value in params]


def timed(sql: str, params) -> float:
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        return (time.perf_counter() - started) * 1000


def chart(organizations: int, runs: int, rng: random.Random) -> dict:
    today = datetime.now(UTC).date()
    (plain_sql, order), (parted_sql, _) = chart_sql(PLAIN), chart_sql(PARTED)
    plain, parted, paired = [], [], []
    for i in range(runs + 5):  # the first five warm the caches
        values = {
            "org": organization_id(rng.randrange(organizations)),
            "start": today - timedelta(days=29),
            "end": today,
        }
        params = [values[name] for name in order]
        if i % 2:
            b, a = timed(parted_sql, params), timed(plain_sql, params)
        else:
            a, b = timed(plain_sql, params), timed(parted_sql, params)
        if i >= 5:
            plain.append(a)
            parted.append(b)
            paired.append(b / a)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + parted_sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scanned = sorted({word for word in plan.split() if word.startswith("usage_parted_p")})
    return {
        "plain_p50_ms": round(statistics.median(plain), 3),
        "partitioned_p50_ms": round(statistics.median(parted), 3),
        "paired_ratio": round(statistics.median(paired), 3),
        "partitions_in_plan": scanned,
    }


def upsert(organization: uuid.UUID, day: date, k: int, tool_name: str) -> dict:
    """The parameters of track_usage's upsert for one successful, timed, cached call in hour k % 24."""
    return {
        "organization": organization,
        "date": day,
        "hour": k % 24,
        "tool_name": tool_name,
        "success": 1,
        "duration": 100.0,
        "timed": 1,
        "average": 100.0,
        "hit": 1,
        "lookup": 1,
        "rate": 100,
    }


def inserts(organizations: int, batches: int, per_batch: int) -> dict:
    """track_usage's upsert, new slots (tools beyond the filled ones), alternating batches."""
    today = datetime.now(UTC).date()
    sql = {t: services._TRACK_USAGE_SQL.format(table=t) for t in (PLAIN, PARTED)}
    elapsed = {PLAIN: 0.0, PARTED: 0.0}
    done = 0
    for batch in range(batches):
        order = (PLAIN, PARTED) if batch % 2 else (PARTED, PLAIN)
        for table in order:
            with connection.cursor() as cursor:
                started = time.perf_counter()
                with transaction.atomic():
                    for n in range(per_batch):
                        k = batch * per_batch + n
                        cursor.execute(
                            sql[table], upsert(organization_id(k % organizations), today, k, f"new_tool_{k}")
                        )
                elapsed[table] += time.perf_counter() - started
        done += per_batch
    return {
        "rows_each": done,
        "plain_rows_per_s": round(done / elapsed[PLAIN]),
        "partitioned_rows_per_s": round(done / elapsed[PARTED]),
        "ratio": round(elapsed[PLAIN] / elapsed[PARTED], 3),
    }


def checkpoint() -> None:
    """Each prune starts from the same WAL state (the first change of a page after a checkpoint writes
    the whole page to the WAL)."""
    execute("CHECKPOINT")


class Writer(threading.Thread):
    """A service writing during a prune: track_usage's upsert into `table`, one row per transaction
    (autocommit), back to back on a session of its own, from before the prune starts to after it ends;
    its longest and median wait."""

    def __init__(self, table: str):
        super().__init__(daemon=True)
        self.sql = services._TRACK_USAGE_SQL.format(table=table)
        self.stop, self.running = threading.Event(), threading.Event()
        self.waits: list[float] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        today = datetime.now(UTC).date()
        try:
            with connection.cursor() as cursor:
                for k in itertools.count():
                    began = time.perf_counter()
                    cursor.execute(self.sql, upsert(organization_id(k % 7), today, k, f"writer_{k % 500}"))
                    if self.running.is_set():  # the first one also opened the session
                        self.waits.append((time.perf_counter() - began) * 1000)
                    self.running.set()
                    if self.stop.is_set():
                        return
        except BaseException as error:  # raised in the bench's thread by __exit__
            self.error = error
        finally:
            self.running.set()
            connection.close()

    def __enter__(self) -> Writer:
        self.start()
        self.running.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.join()
        if self.error is not None:
            raise RuntimeError("the writer beside the prune failed") from self.error

    def figures(self) -> dict:
        return {"longest_ms": round(max(self.waits), 2), "median_ms": round(statistics.median(self.waits), 3)}


def delete_month(cutoff: date) -> dict:
    """The DELETE on the plain table (written meanwhile), then the VACUUM that a DELETE-based prune
    owes before the space is reused (the dead rows and their index entries); a dropped partition owes
    none."""
    checkpoint()
    with Writer(PLAIN) as writer:
        started = time.perf_counter()
        with transaction.atomic():
            execute(f"DELETE FROM {PLAIN} WHERE date < %s", [cutoff])
        deleted = time.perf_counter()
    execute(f"VACUUM {PLAIN}")
    return {
        "delete_s": deleted - started,
        "vacuum_s": time.perf_counter() - deleted,
        "writer": writer.figures(),
    }


def drop_month(cutoff: date) -> dict:
    """The prune of the partitioned table (written meanwhile) in `prune`'s order: the rows from the
    boundary month on and the DEFAULT partition's older rows (none here), then the detach and drop of
    the partitions before it; the time to the commit's return and what went."""
    bound = partitions.month_start(cutoff)  # prune's boundary month; the cutoff is its first day here
    checkpoint()
    with Writer(PARTED) as writer:
        started = time.perf_counter()
        with transaction.atomic():
            execute(f"DELETE FROM {PARTED} WHERE date >= %s AND date < %s", [bound, cutoff])
            execute(f'DELETE FROM "{SCHEMA}"."usage_parted_default" WHERE date < %s', [bound])
            dropped = partitions.drop_partitions_before(table=f"{SCHEMA}.usage_parted", before=cutoff)
        done = time.perf_counter()
    return {"drop_s": done - started, "dropped": dropped, "writer": writer.figures()}


def floor_drop_table(oldest: date, cutoff: date) -> float:
    """PostgreSQL's own floor for removing the month as files: DROP TABLE of a standalone copy of the
    month's partition, its indexes included (no parent, no lock, no catalog search), committed. Its cost
    is the server unlinking and truncating the files at commit, which grows with their size."""
    # The partition's columns and indexes (primary key, the slot's unique key, the date index).
    execute(f'CREATE TABLE "{SCHEMA}"."floor" (LIKE {PARTED} INCLUDING DEFAULTS INCLUDING INDEXES)')
    execute(
        f'INSERT INTO "{SCHEMA}"."floor" SELECT * FROM {PARTED} WHERE date >= %s AND date < %s',
        [oldest, cutoff],
    )
    checkpoint()
    started = time.perf_counter()
    with transaction.atomic():
        execute(f'DROP TABLE "{SCHEMA}"."floor"')
    return time.perf_counter() - started


def prune_month(first_day: date, n: int) -> dict:
    """Remove the `n`th month from `first_day` from both tables (the floor first, then the DELETE and
    the drop, alternating which goes first with `n`); the month's figures."""
    oldest = partitions.add_months(partitions.month_start(first_day), n)
    cutoff = partitions.add_months(oldest, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {PLAIN} WHERE date < %s", [cutoff])
        rows = cursor.fetchone()[0]
    floor_s = floor_drop_table(oldest, cutoff)
    if n % 2:
        dropped, deleted = drop_month(cutoff), delete_month(cutoff)
    else:
        deleted, dropped = delete_month(cutoff), drop_month(cutoff)
    delete_s, vacuum_s, drop_s = deleted["delete_s"], deleted["vacuum_s"], dropped["drop_s"]
    return {
        "month": oldest.isoformat(),
        "rows": rows,
        "dropped": [p.name for p in dropped["dropped"]],
        "dropped_rows_reported": sum(p.rows for p in dropped["dropped"]),
        "delete_s": round(delete_s, 4),
        "vacuum_after_delete_s": round(vacuum_s, 4),
        "drop_s": round(drop_s, 4),
        "floor_drop_table_s": round(floor_s, 4),
        "speedup": round(delete_s / drop_s, 1),
        "speedup_with_vacuum": round((delete_s + vacuum_s) / drop_s, 1),
        "writer_during_delete": deleted["writer"],
        "writer_during_drop": dropped["writer"],
    }


def prune_months(first_day: date, months: int) -> dict:
    """Remove the oldest `months` whole months from both tables, one month at a time, alternating which
    table goes first; the figure is the median of the per-month ratios (a shared machine's burst only
    ever adds time to one side of one month)."""
    runs = []
    for n in range(months):
        runs.append(prune_month(first_day, n))
        print(f"prune: {json.dumps(runs[-1])}", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {PLAIN} WHERE tool_name NOT LIKE 'writer_%%'), "
            f"(SELECT count(*) FROM {PARTED} WHERE tool_name NOT LIKE 'writer_%%')"
        )
        left_plain, left_parted = cursor.fetchone()
    assert left_plain == left_parted, (left_plain, left_parted)

    def median(name: str) -> float:
        return statistics.median(r[name] for r in runs)

    return {
        "months": runs,
        "delete_s_median": round(median("delete_s"), 4),
        "drop_s_median": round(median("drop_s"), 4),
        "floor_drop_table_s_median": round(median("floor_drop_table_s"), 4),
        "vacuum_after_delete_s_median": round(median("vacuum_after_delete_s"), 4),
        "speedup": round(median("speedup"), 1),
        "speedup_with_vacuum": round(median("speedup_with_vacuum"), 1),
        "writer_longest_wait_ms_median": {
            "during_delete": statistics.median(r["writer_during_delete"]["longest_ms"] for r in runs),
            "during_drop": statistics.median(r["writer_during_drop"]["longest_ms"] for r in runs),
        },
        "writer_median_wait_ms": statistics.median(r["writer_during_drop"]["median_ms"] for r in runs),
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,500,000 rows, fewer runs (a minute or two)")
    parser.add_argument(
        "--rows", type=int, default=None, help="about this many rows in each table (default 10,000,000)"
    )
    return parser.parse_args()


def fill_both(rows: int, organizations: int, first_day: date, today: date) -> tuple[dict, int]:
    """Create both tables and fill them with the same rows; the fill rates and the rows that landed in
    the partitioned table's default partition (none, if the months were all made)."""
    create_tables()
    partitions.ensure_partitions(
        table=f"{SCHEMA}.usage_parted", months=partitions.months_between(first_day, today)
    )
    fill_rates = {}
    for table in (PLAIN, PARTED):
        fill_rates[table] = fill(table, rows, organizations, first_day)
        print(f"filled {table}: {rows:,} rows, {fill_rates[table]:,.0f} rows/s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{SCHEMA}"."usage_parted_default"')
        in_default = cursor.fetchone()[0]
    return fill_rates, in_default


def print_summary(prune_figures: dict, chart_figures: dict, insert_figures: dict, bulk_ratio: float) -> None:
    waits = prune_figures["writer_longest_wait_ms_median"]
    print(
        f"prune a month (median of 3): DELETE {prune_figures['delete_s_median']:.3f} s, "
        f"drop {prune_figures['drop_s_median']:.4f} s ({prune_figures['speedup']}x; with the VACUUM the "
        f"DELETE owes, {prune_figures['speedup_with_vacuum']}x; PostgreSQL's floor, DROP TABLE of a "
        f"standalone copy of the month: {prune_figures['floor_drop_table_s_median']:.4f} s); "
        f"a writer's longest wait: {waits['during_delete']} ms during the DELETE, {waits['during_drop']} ms "
        f"during the drop (its median write {prune_figures['writer_median_wait_ms']} ms); "
        f"chart p50 {chart_figures['plain_p50_ms']} ms plain, "
        f"{chart_figures['partitioned_p50_ms']} ms partitioned (ratio {chart_figures['paired_ratio']}); "
        f"upserts {insert_figures['ratio']}x, bulk fill {bulk_ratio:.2f}x"
    )


def main() -> None:
    args = arguments()
    today = datetime.now(UTC).date()
    # Whole months, the oldest one a full month (the one pruned), through today.
    first_day = partitions.add_months(partitions.month_start(today), -11)
    days = (today - first_day).days + 1
    wanted = args.rows or (1_500_000 if args.quick else 10_000_000)
    organizations = max(1, round(wanted / (days * 24 * TOOLS)))
    rows = organizations * days * 24 * TOOLS
    rng = random.Random(19)
    call_command("migrate", verbosity=0)
    try:
        fill_rates, in_default = fill_both(rows, organizations, first_day, today)
        chart_figures = chart(organizations, 40 if args.quick else 200, rng)
        print(f"chart: {json.dumps(chart_figures)}", file=sys.stderr)
        insert_figures = inserts(organizations, 6 if args.quick else 10, 500 if args.quick else 2000)
        print(f"inserts: {json.dumps(insert_figures)}", file=sys.stderr)
        prune_figures = prune_months(first_day, 3)
    finally:
        execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")

    bulk_ratio = fill_rates[PARTED] / fill_rates[PLAIN]
    print_summary(prune_figures, chart_figures, insert_figures, bulk_ratio)
    figures = {
        "bench": "history",
        "quick": args.quick,
        "rows": rows,
        "organizations": organizations,
        "rows_left_in_default": in_default,
        "fill_rows_per_s": {"plain": round(fill_rates[PLAIN]), "partitioned": round(fill_rates[PARTED])},
        "bulk_fill_ratio": round(bulk_ratio, 3),
        "chart": chart_figures,
        "inserts": insert_figures,
        "prune": prune_figures,
        "pass_prune_100x": prune_figures["speedup"] >= 100,
        "pass_prune_100x_with_vacuum": prune_figures["speedup_with_vacuum"] >= 100,
        "pass_chart_no_slower": chart_figures["paired_ratio"] <= 1.0,
        "pass_inserts_0_9x": insert_figures["ratio"] >= 0.9,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
