"""Backup plus restore (pg_dump custom format, verified restore) against dumpdata plus loaddata.

Both round trips start from the same seeded database (`medium`, or `small` with --quick) in a
database of their own (`tekup_bench` on the embedded server), and both must bring back the same
rows: after each, every app table's row count and content digest (md5 over its rows as text, in
order) is compared with the seeded original.

    python bench/backup.py [--quick]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")
os.environ.setdefault("TEKUPDB_EMBEDDED_DB_NAME", "tekup_bench")
os.environ.setdefault("PYTHONWARNINGS", "ignore")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from operations.backup import create_backup  # noqa: E402
from operations.health import app_schemas  # noqa: E402
from operations.restore import restore_backup  # noqa: E402

# Rows that Django itself writes on flush/migrate: not part of the round trip.
DUMPDATA_EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


# The restore records itself in the audit (one `restore` entry): by design, not a difference.
RECORDED_BY_THE_RESTORE = {"shared.audit_logs": "WHERE t.action <> 'restore'"}


def digests() -> dict[str, list]:
    schemas = set(app_schemas())
    result = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            schema, _, table = model._meta.db_table.partition('"."')
            if schema not in schemas:
                continue
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{schema}"."{table}" t {RECORDED_BY_THE_RESTORE.get(f"{schema}.{table}", "")}'
            )
            result[f"{schema}.{table}"] = list(cursor.fetchone())
    return result


def ensure_database() -> None:
    """The embedded server only creates its default database: make the benchmark's own."""
    from psycopg import sql

    from operations import pg

    name = connection.settings_dict["NAME"]
    with pg.connect(dbname="postgres") as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def differing(before: dict, after: dict) -> list[str]:
    return sorted(key for key in before if before[key] != after.get(key))


def refuse_unless_bench_database() -> None:
    if (
        not connection.settings_dict.get("EMBEDDED_DATA_DIR")
        and "bench" not in connection.settings_dict["NAME"]
    ):
        sys.exit("Refusing to run: this benchmark empties its database; use one whose name contains 'bench'.")


def seed(size: str) -> float:
    """An empty, migrated database seeded at `size`; returns the seconds the seed took."""
    ensure_database()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("seed", size=size, verbosity=0)
    return time.perf_counter() - started


def ours_round_trip(work_dir: Path, original: dict) -> dict:
    """backup, then a verified restore of it; the times, the dump's size and the tables that differ."""
    started = time.perf_counter()
    backup = create_backup(output_dir=work_dir)
    backup_s = time.perf_counter() - started
    started = time.perf_counter()
    restore_backup(path=backup.dump_path, assume_yes=True)
    restore_s = time.perf_counter() - started
    connection.close()
    return {
        "backup_s": backup_s,
        "restore_s": restore_s,
        "differing": differing(original, digests()),
        "dump_bytes": backup.dump_path.stat().st_size,
    }


def baseline_round_trip(work_dir: Path, original: dict) -> dict:
    """dumpdata, flush, loaddata; the times, the fixture's size and the tables that differ (None if the
    baseline failed: that is a finding, reported as `error`, not a crash)."""
    fixture = work_dir / "data.json"
    error = None
    started = time.perf_counter()
    try:
        call_command("dumpdata", exclude=DUMPDATA_EXCLUDE, output=str(fixture), verbosity=0, format="json")
        dumpdata_s = time.perf_counter() - started
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        call_command("loaddata", str(fixture), verbosity=0)
        loaddata_s = time.perf_counter() - started
        diff = differing(original, digests())
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
        dumpdata_s = loaddata_s = float("nan")
        diff = None
    return {
        "dumpdata_s": dumpdata_s,
        "loaddata_s": loaddata_s,
        "differing": diff,
        "error": error,
        "fixture_bytes": fixture.stat().st_size if fixture.exists() else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seed size small instead of medium")
    args = parser.parse_args()
    refuse_unless_bench_database()
    size = "small" if args.quick else "medium"
    seed_s = seed(size)
    original = digests()
    rows = sum(count for count, _ in original.values())

    with tempfile.TemporaryDirectory(prefix="tekup-bench-") as work:
        ours = ours_round_trip(Path(work), original)
        baseline = baseline_round_trip(Path(work), original)

    ours_s = ours["backup_s"] + ours["restore_s"]
    baseline_s = baseline["dumpdata_s"] + baseline["loaddata_s"]
    figures = {
        "bench": "backup",
        "size": size,
        "tables": len(original),
        "rows": rows,
        "seed_s": round(seed_s, 2),
        "backup_s": round(ours["backup_s"], 2),
        "restore_s": round(ours["restore_s"], 2),
        "ours_total_s": round(ours_s, 2),
        "dumpdata_s": round(baseline["dumpdata_s"], 2),
        "loaddata_s": round(baseline["loaddata_s"], 2),
        "baseline_total_s": round(baseline_s, 2),
        "speedup": round(baseline_s / ours_s, 2) if baseline_s == baseline_s else None,
        "dump_bytes": ours["dump_bytes"],
        "fixture_bytes": baseline["fixture_bytes"],
        "ours_identical": not ours["differing"],
        "ours_differing_tables": ours["differing"],
        "baseline_identical": baseline["differing"] == [] if baseline["differing"] is not None else None,
        "baseline_differing_tables": baseline["differing"],
        "baseline_error": baseline["error"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
