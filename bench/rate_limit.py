"""The exact rate limiter under 8 concurrent processes, against a read-then-write baseline.

Three runs, each with 8 processes (own Django setup, own connection) released together by a barrier:
- one key: every process checks the same (organization, endpoint) with a limit of a quarter of all
  calls, so the window is over-subscribed 4x: exactly `limit` calls must be allowed, never more;
- distinct keys: each process its own endpoint, limit above its calls: throughput without contention;
- baseline on one key: the obvious read-then-write (SELECT the count; if below the limit, add one),
  aligned windows too, each statement on its own: what "counting in Python" lets through.
Figures per run: checks/s over the wall time, p50/p95 latency, and allowed beyond the limit (counted per
window, from each allowed call's window end). Ours must show 0 beyond the limit.

    python bench/rate_limit.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")

PROCESSES = 8
WINDOW = timedelta(hours=1)
BENCH_ORG = "bench-rate-limit"


def _setup():
    import django

    django.setup()


def baseline_check(organization, endpoint: str, limit: int) -> bool:
    """Read the window's count, then add one if it was below the limit: two statements, a race between."""
    from django.db import connection
    from django.utils import timezone

    from billy.models import RateLimit
    from billy.services import rate_limit_window

    start, end = rate_limit_window(moment=timezone.now(), window=WINDOW)
    table = connection.ops.quote_name(RateLimit._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT request_count FROM {table} "
            "WHERE organization_id = %s AND endpoint = %s AND window_start = %s",
            [organization.pk, endpoint, start],
        )
        row = cursor.fetchone()
        if row is not None and row[0] >= limit:
            return False
        cursor.execute(
            f"INSERT INTO {table} AS r (organization_id, endpoint, window_start, window_end, request_count) "
            "VALUES (%s, %s, %s, %s, 1) ON CONFLICT (organization_id, endpoint, window_start) "
            "DO UPDATE SET request_count = r.request_count + 1",
            [organization.pk, endpoint, start, end],
        )
    return True


def worker(mode: str, endpoint: str, limit: int, calls: int, barrier, results) -> None:
    _setup()
    from django.db import connections
    from django.utils import timezone

    from billy.models import Organization
    from billy.services import check_rate_limit, rate_limit_window

    organization = Organization.objects.get(billy_organization_id=BENCH_ORG)

    check_rate_limit(organization=organization, endpoint=f"warm-{uuid.uuid4()}", limit=1)  # connect, warm up
    latencies, allowed = [], {}
    barrier.wait()
    started = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        if mode == "baseline":
            ok = baseline_check(organization, endpoint, limit)
            window_end = rate_limit_window(moment=timezone.now(), window=WINDOW)[1]
        else:
            result = check_rate_limit(
                organization=organization, endpoint=endpoint, limit=limit, window=WINDOW
            )
            ok, window_end = result.allowed, result.reset_at
        latencies.append((time.perf_counter() - t0) * 1e6)
        if ok:
            allowed[window_end.isoformat()] = allowed.get(window_end.isoformat(), 0) + 1
    finished = time.perf_counter()
    connections.close_all()
    results.put({"latencies": latencies, "allowed": allowed, "started": started, "finished": finished})


def run(mode: str, keys: str, limit: int, calls: int) -> dict:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    run_id = uuid.uuid4().hex[:8]
    processes = []
    for n in range(PROCESSES):
        endpoint = f"/bench/{run_id}" if keys == "one" else f"/bench/{run_id}/{n}"
        process = context.Process(target=worker, args=(mode, endpoint, limit, calls, barrier, results))
        process.start()
        processes.append(process)
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a {mode} worker failed with exit code {process.exitcode}")
    latencies = sorted(value for outcome in outcomes for value in outcome["latencies"])
    wall = max(o["finished"] for o in outcomes) - min(o["started"] for o in outcomes)
    if keys == "one":
        per_window: dict[str, int] = {}
        for outcome in outcomes:
            for window, count in outcome["allowed"].items():
                per_window[window] = per_window.get(window, 0) + count
    else:  # each process counts its own key
        per_window = {f"{n}:{w}": c for n, o in enumerate(outcomes) for w, c in o["allowed"].items()}
    allowed = sum(per_window.values())
    return {
        "mode": mode,
        "keys": keys,
        "processes": PROCESSES,
        "calls": PROCESSES * calls,
        "limit": limit,
        "allowed": allowed,
        "allowed_beyond_limit": sum(max(0, count - limit) for count in per_window.values()),
        "windows": len(set(w.split(":", 1)[-1] for w in per_window)),
        "checks_per_s": round(PROCESSES * calls / wall, 1),
        "p50_us": round(statistics.median(latencies), 1),
        "p95_us": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="250 calls per process instead of 1,500")
    args = parser.parse_args()
    calls = 250 if args.quick else 1500

    _setup()
    from django.core.management import call_command

    from billy import services
    from billy.models import Organization

    call_command("migrate", verbosity=0)
    Organization.objects.filter(billy_organization_id=BENCH_ORG).delete()
    organization = services.create_organization(
        name="Benchmark", billy_api_key="bench-not-a-real-key", billy_organization_id=BENCH_ORG
    )
    total = PROCESSES * calls
    try:
        runs = [
            run("ours", "one", total // 4, calls),
            run("ours", "distinct", calls, calls),
            run("baseline", "one", total // 4, calls),
        ]
        for result in runs:
            print(json.dumps(result), file=sys.stderr)
    finally:
        organization.delete()

    ours_one, ours_distinct, baseline = runs
    print(
        json.dumps(
            {
                "bench": "rate_limit",
                "quick": args.quick,
                "runs": runs,
                "ours_one_key_allowed_beyond_limit": ours_one["allowed_beyond_limit"],
                "ours_distinct_keys_allowed_beyond_limit": ours_distinct["allowed_beyond_limit"],
                "baseline_one_key_allowed_beyond_limit": baseline["allowed_beyond_limit"],
                "ours_one_key_checks_per_s": ours_one["checks_per_s"],
                "ours_distinct_keys_checks_per_s": ours_distinct["checks_per_s"],
                "ours_one_key_p95_us": ours_one["p95_us"],
                "ours_distinct_keys_p95_us": ours_distinct["p95_us"],
                # Exactly the limit in a one-window run (a run across an hour boundary has two).
                "pass_exact": ours_one["allowed_beyond_limit"] == 0
                and (ours_one["windows"] > 1 or ours_one["allowed"] == ours_one["limit"])
                and ours_distinct["allowed_beyond_limit"] == 0,
            }
        )
    )


if __name__ == "__main__":
    main()
