"""Does the admin's CSV export of a 1,000,000-row changelist run in constant memory?

Fills shared.audit_logs (in a throw-away database) to a small and then a large size, and at each size
exports `/admin/shared/auditlog/export/csv/` through Django's test client, reading the streamed body
chunk by chunk as a browser would, each export in a fresh process whose peak resident memory (ru_maxrss)
is the figure. The baseline builds the same export in memory the way django-import-export does (a
tablib Dataset of every row, then the whole CSV text, one HttpResponse): its memory grows with the rows.
Target: ours at the large size within 1.2 x ours at the small size (constant memory).

    python bench/admin_export.py [--quick]

The last line printed is a JSON object of the figures.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")

BENCH_DB = "bench_admin_export"
URL = "/admin/shared/auditlog/"


def _setup():
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.DATABASES["default"]["NAME"] = BENCH_DB


def export_once(kind: str) -> dict:
    """In a child process: one export of the whole table, ours (streamed) or the baseline (in memory)."""
    _setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from shared.admin_export import _text, exportable_fields
    from shared.models import AuditLog, User

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(email="bench@tekup.dk"))
    started = time.perf_counter()
    size = lines = 0
    if kind == "ours":
        response = client.get(f"{URL}export/csv/")
        assert response.status_code == 200 and response.streaming
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += 1
    else:
        # django-import-export 4.x: Resource.export() fills a tablib.Dataset with every row, then
        # Dataset.export("csv") writes the whole text, sent as one HttpResponse.
        fields = exportable_fields(AuditLog)
        dataset = [
            [_text(value) for value in row]
            for row in AuditLog.objects.values_list(*[f.attname for f in fields]).iterator()
        ]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([field.column for field in fields])
        writer.writerows(dataset)
        body = buffer.getvalue().encode()
        size, lines = len(body), len(dataset) + 1
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "seconds": round(seconds, 1), "peak_rss_mb": round(peak_mb, 1), "bytes": size}


def _child(kind: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(f"export {kind} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fill_to(rows: int) -> float:
    from django.db import connection

    from shared.models import AuditLog

    started = time.perf_counter()
    have = AuditLog.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO "shared"."audit_logs" (id, created_at, updated_at, action, resource_type,
                                               resource_id, metadata)
            SELECT gen_random_uuid(), now() - g * interval '2 seconds', now(), 'admin.change',
                   'renos.booking', g::text, jsonb_build_object('changed', ARRAY['status'])
            FROM generate_series(%s, %s) AS g
            """,
            [have + 1, rows],
        )
        cursor.execute('VACUUM ANALYZE "shared"."audit_logs"')
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 and 200,000 rows")
    parser.add_argument("--child", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(export_once(args.child)))
        return
    small, big = (20_000, 200_000) if args.quick else (100_000, 1_000_000)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = BENCH_DB
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from shared.services import create_user

        user = create_user(email="bench@tekup.dk", name="Bench", is_staff=True)
        user.is_superuser = True
        user.save()
        results: dict = {"small_rows": small, "large_rows": big}
        for label, rows in (("small", small), ("large", big)):
            results[f"fill_{label}_s"] = round(fill_to(rows), 1)
            connection.close()  # the children open their own connections
            for kind in ("ours", "baseline"):
                figures = _child(kind)
                results[f"{kind}_{label}"] = figures
                print(
                    f"{rows:>9,} rows  {kind:<8} {figures['seconds']:6.1f} s  "
                    f"peak RSS {figures['peak_rss_mb']:7.1f} MB  {figures['bytes'] / 1e6:7.1f} MB of CSV"
                )
        ours_growth = results["ours_large"]["peak_rss_mb"] / results["ours_small"]["peak_rss_mb"]
        base_growth = results["baseline_large"]["peak_rss_mb"] / results["baseline_small"]["peak_rss_mb"]
        ratio = results["baseline_large"]["peak_rss_mb"] / results["ours_large"]["peak_rss_mb"]
        results["ours_memory_growth"] = round(ours_growth, 2)
        results["baseline_memory_growth"] = round(base_growth, 2)
        results["baseline_over_ours_peak_at_large"] = round(ratio, 2)
        results["target_met"] = ours_growth <= 1.2
        print(
            f"peak memory {big:,} / {small:,} rows: ours {ours_growth:.2f}x (target <= 1.2x), "
            f"in-memory baseline {base_growth:.2f}x; baseline uses {ratio:.1f}x ours at {big:,} rows"
        )
        print(json.dumps(results))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
