"""Does the admin changelist of a 1,000,000-row table load about as fast as one of 10,000 rows?

Fills shared.audit_logs (in a throw-away database) to 10,000 rows, then to 1,000,000, and at each size
times the first page of its admin changelist, unfiltered and filtered by action, with the project's
admin (EstimatedCountPaginator, no second full count, list filters from pg_stats) and with Django's
defaults on the same admin (Paginator, show_full_result_count = True, AllValuesFieldListFilter).
Target: p95 at 1M ≤ 1.5 × p95 at 10k for the project's unfiltered changelist.

    python bench/admin_changelist.py [--quick]

The last line printed is a JSON object of the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from shared.models import AuditLog  # noqa: E402

BENCH_DB = "bench_admin_changelist"
URL = "/admin/shared/auditlog/"
ACTIONS = ["admin.add", "admin.change", "admin.delete", "login", "export", "sync", "import", "search"]


def fill_to(rows: int) -> float:
    """Insert audit rows up to `rows` in one INSERT … SELECT generate_series; return seconds taken."""
    started = time.perf_counter()
    have = AuditLog.objects.count()
    actions = "ARRAY[" + ",".join(f"'{a}'" for a in ACTIONS) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO "shared"."audit_logs" (id, created_at, updated_at, action, resource_type,
                                               resource_id, metadata)
            SELECT gen_random_uuid(), now() - g * interval '2 seconds', now(),
                   ({actions})[1 + g %% {len(ACTIONS)}], 'renos.booking', g::text, '{{}}'::jsonb
            FROM generate_series(%s, %s) AS g
            """,
            [have + 1, rows],
        )
        cursor.execute('VACUUM ANALYZE "shared"."audit_logs"')
        cursor.execute("CHECKPOINT")  # write the new pages now, not during the timed requests
    return time.perf_counter() - started


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def time_changelist(client: Client, params: dict, runs: int) -> dict:
    for _ in range(5):  # warm the caches and the connection
        assert client.get(URL, params).status_code == 200
    samples = []
    for _ in range(runs):
        gc.collect()  # a collection triggered by an earlier request is not this request's time
        started = time.perf_counter()
        response = client.get(URL, params)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95(samples), 1)}


class DjangoDefaults:
    """Swap the registered AuditLog admin back to Django's defaults for the baseline runs."""

    def __init__(self):
        self.model_admin = admin.site._registry[AuditLog]

    def __enter__(self):
        self.saved = {
            name: self.model_admin.__dict__.get(name)
            for name in ("paginator", "show_full_result_count", "get_list_filter")
        }
        self.model_admin.paginator = Paginator
        self.model_admin.show_full_result_count = True
        self.model_admin.get_list_filter = lambda request: self.model_admin.list_filter
        return self

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is None:
                self.model_admin.__dict__.pop(name, None)
            else:
                setattr(self.model_admin, name, value)


def measure(client: Client, runs: int) -> dict:
    figures = {}
    for label, params in [("unfiltered", {}), ("filtered", {"action": "login"})]:
        figures[f"ours_{label}"] = time_changelist(client, params, runs)
        with DjangoDefaults():
            figures[f"django_{label}"] = time_changelist(client, params, runs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests per figure (same table sizes)")
    args = parser.parse_args()
    small, big = 10_000, 1_000_000
    runs = 40 if args.quick else 150

    settings.DEBUG = False
    setup_test_environment()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = BENCH_DB
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from shared.services import create_user

        user = create_user(email="bench@tekup.dk", name="Bench", password="a-long-bench-passw0rd")
        user.is_superuser = user.is_staff = True
        user.save()
        client = Client()
        client.force_login(user)

        results = {"runs": runs}
        results["fill_10k_s"] = round(fill_to(small), 1)
        results["rows_10k"] = time_and_report(client, runs, small)
        results["fill_1m_s"] = round(fill_to(big), 1)
        results["rows_1m"] = time_and_report(client, runs, big)
        small_p95, big_p95 = (results[key] for key in ("rows_10k", "rows_1m"))
        ours = big_p95["ours_unfiltered"]["p95_ms"] / small_p95["ours_unfiltered"]["p95_ms"]
        django_ratio = big_p95["django_unfiltered"]["p95_ms"] / small_p95["django_unfiltered"]["p95_ms"]
        results["ratio_p95_1m_over_10k_ours"] = round(ours, 2)
        results["ratio_p95_1m_over_10k_django"] = round(django_ratio, 2)
        results["target_met"] = ours <= 1.5
        print(
            f"p95 1M/10k: ours {ours:.2f}x (target <= 1.5x), Django's default paginator {django_ratio:.2f}x"
        )
        print(json.dumps(results))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def time_and_report(client: Client, runs: int, rows: int) -> dict:
    figures = measure(client, runs)
    for name, value in figures.items():
        print(f"{rows:>9,} rows  {name:<20} p50 {value['p50_ms']:8.1f} ms  p95 {value['p95_ms']:8.1f} ms")
    return figures


if __name__ == "__main__":
    main()
