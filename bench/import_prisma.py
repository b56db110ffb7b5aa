"""import_prisma against a raw binary COPY of the same rows, side by side (issue 15).

Builds a Prisma-built source database from the seed-era fixture (`../shared/fixtures/prisma/`) holding
100,000 vault documents with 1536-d embeddings plus 200,000 renos and crm rows (customers, leads,
crm contacts and deals, with cuid ids, floats of three decimals, naive timestamps), then:
- ours: the `import_prisma` command in a child process into a freshly migrated database (its peak
  resident memory is the child's own VmHWM);
- raw: the same rows, as they ended up here, copied with binary `COPY … TO STDOUT` → `COPY … FROM STDIN`
  into empty tables made `LIKE` ours (`INCLUDING ALL`: the same indexes, the HNSW one too, and checks),
  one table after the other: the cost of writing these rows at all, without reading the Prisma
  schema, mapping ids, rounding, staging or upserting.
Ours drops the table's vector (HNSW) index for a load into an empty table and builds it after the rows
are in (pgvector's advice); raw COPY keeps it and inserts each vector into the graph, as any plain COPY
into the live table does.
Target: ours ≥ 0.5 × the raw rate, peak memory < 500 MB. A second run of ours (nothing to change) is
timed too. `--quick`: 5,000 documents and 10,000 renos/crm rows.

    python bench/import_prisma.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _vault_data import REPO, bench_database, setup_django, vector_chunks  # noqa: E402

FIXTURE = REPO / ".." / "shared" / "fixtures" / "prisma" / "seed-era-schema.sql"
SOURCE_DB = "bench_prisma_source"
TARGET_DB = "bench_import_prisma"
TABLES = [
    "vault.documents",
    "vault.embeddings",
    "renos.customers",
    "renos.leads",
    "crm.contacts",
    "crm.deals",
]


# The rows as the old services wrote them: cuid-like text ids, floats with three decimals, naive times.
SOURCE_ROWS = [
    """INSERT INTO vault.documents (id, source, repository, path, content, metadata, sha, updated_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'github',
              'tekup/repo-' || (n %% 100), 'src/file-' || n || '.ts',
              repeat('export const line' || n || ' = 42; ', 20), jsonb_build_object('n', n),
              md5(n::text), now()
       FROM generate_series(1, %(documents)s) n""",
    """INSERT INTO renos.customers (id, name, email, tags, total_revenue, updated_at)
       SELECT 'cm' || lpad(n::text, 23, '0'), 'Kunde ' || n, 'kunde' || n || '@example.dk', '{b2c}',
              (n %% 10000) + 0.125, now()
       FROM generate_series(1, %(quarter)s) n""",
    """INSERT INTO renos.leads (id, customer_id, name, square_meters, estimated_value, status,
                               updated_at)
       SELECT 'cl' || lpad(n::text, 23, '0'), 'cm' || lpad((n %% %(quarter)s + 1)::text, 23, '0'),
              'Lead ' || n, 40 + (n %% 200) + 0.555, 1000 + n %% 5000 + 0.995, 'new', now()
       FROM generate_series(1, %(quarter)s) n""",
    """INSERT INTO crm."CrmContact" (id, "firstName", "lastName", email, status, "createdAt",
                                    "updatedAt")
       SELECT 'cc' || lpad(n::text, 23, '0'), 'Ole', 'Hansen ' || n, 'ole' || n || '@example.dk',
              'active', now()::timestamp, now()::timestamp
       FROM generate_series(1, %(quarter)s) n""",
    """INSERT INTO crm."CrmDeal" (id, title, value, stage, owner, "contactId", status, "updatedAt")
       SELECT 'cd' || lpad(n::text, 23, '0'), 'Deal ' || n, 5000 + n %% 1000 + 0.005, 'proposal',
              'jonas', 'cc' || lpad(n::text, 23, '0'), 'open', now()::timestamp
       FROM generate_series(1, %(quarter)s) n""",
]


def build_source(documents: int, renos_crm_rows: int) -> str:
    import psycopg
    from pgvector.psycopg import register_vector

    from operations import pg

    with pg.connect(dbname="postgres") as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SOURCE_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {SOURCE_DB}")
    params = {k: v for k, v in pg.connection_params().items() if k in ("host", "port", "user", "password")}
    url = psycopg.conninfo.make_conninfo(**params, dbname=SOURCE_DB)
    quarter = renos_crm_rows // 4
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FIXTURE.read_text())
        conn.execute("RESET search_path")  # the dump empties it for its session
        for statement in SOURCE_ROWS:
            conn.execute(statement, {"documents": documents, "quarter": quarter})
        register_vector(conn)
        now = conn.execute("SELECT now()").fetchone()[0]  # not inside the COPY: the connection is busy
        with conn.cursor().copy(
            "COPY vault.embeddings (id, document_id, embedding, updated_at) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "uuid", "vector", "timestamptz"])
            for start, vectors in vector_chunks(documents):
                for offset, vector in enumerate(vectors):
                    n = start + offset + 1
                    document = uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")
                    copy.write_row((uuid.UUID(f"00000000-0000-4000-9000-{n:012d}"), document, vector, now))
        conn.execute("VACUUM ANALYZE")
    return url


# The child reports its own high-water mark (VmHWM belongs to the process image, so it starts afresh at
# exec). ru_maxrss from wait4 would not do: it keeps the pre-exec peak of the forked copy of this
# process, which holds the generated vectors.
CHILD = """
import os, sys
sys.path.insert(0, sys.argv[1])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tekupdb.settings")
import django
django.setup()
from django.core.management import call_command
call_command("import_prisma", "--source", sys.argv[2])
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(f"PEAK_KB {peak.split()[1]}")
"""


def run_ours(url: str) -> tuple[float, str, float]:
    """Run the command in a child process: (seconds, its output, its peak resident memory in MB)."""
    from django.db import connection

    env = dict(os.environ, TEKUPDB_EMBEDDED_DB_NAME=connection.settings_dict["NAME"], PYTHONWARNINGS="ignore")
    if connection.settings_dict.get("EMBEDDED_DATA_DIR"):
        env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO), url], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"import_prisma failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    peak_kb = int(result.stdout.rsplit("PEAK_KB ", 1)[1].split()[0])
    return elapsed, result.stdout, peak_kb / 1024


def run_raw() -> tuple[float, int]:
    """Binary COPY of the imported rows into empty tables like ours, through this process, table by table."""
    from operations import pg

    with pg.connect() as reader, pg.connect() as writer:
        writer.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")
        writer.execute("CREATE SCHEMA bench_raw")
        for table in TABLES:
            schema, name = table.split(".")
            writer.execute(f'CREATE TABLE bench_raw."{name}" (LIKE "{schema}"."{name}" INCLUDING ALL)')
        rows = 0
        started = time.perf_counter()
        for table in TABLES:
            schema, name = table.split(".")
            columns = [
                row[0]
                for row in writer.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                    "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                    [f'"{schema}"."{name}"'],
                )
            ]
            names = ", ".join(f'"{c}"' for c in columns)
            with (
                writer.transaction(),
                reader.cursor().copy(f'COPY "{schema}"."{name}" ({names}) TO STDOUT (FORMAT BINARY)') as out,
                writer.cursor().copy(f'COPY bench_raw."{name}" ({names}) FROM STDIN (FORMAT BINARY)') as into,
            ):
                for block in out:
                    into.write(block)
            rows += writer.execute(f'SELECT count(*) FROM bench_raw."{name}"').fetchone()[0]
        elapsed = time.perf_counter() - started
        writer.execute("DROP SCHEMA bench_raw CASCADE")
    return elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 documents and 10,000 renos/crm rows")
    args = parser.parse_args()
    documents, renos_crm = (5_000, 10_000) if args.quick else (100_000, 200_000)

    setup_django()
    with bench_database(TARGET_DB):
        t0 = time.perf_counter()
        url = build_source(documents, renos_crm)
        print(
            f"source built: {documents} documents + embeddings, {renos_crm} renos/crm rows "
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        try:
            ours_s, output, peak_mb = run_ours(url)
            rows = 2 * documents + 4 * (renos_crm // 4)
            print(output.strip().split("\n\n", 1)[-1].split("\n\n")[0], flush=True)
            print(f"ours: {rows} rows in {ours_s:.1f} s ({rows / ours_s:,.0f} rows/s), peak {peak_mb:.0f} MB")
            rerun_s, rerun_output, _ = run_ours(url)
            assert "Nothing changed" in rerun_output, rerun_output
            print(f"ours, second run (nothing to change): {rerun_s:.1f} s")
            raw_s, raw_rows = run_raw()
            assert raw_rows == rows, (raw_rows, rows)
            print(f"raw binary COPY: {raw_rows} rows in {raw_s:.1f} s ({raw_rows / raw_s:,.0f} rows/s)")
        finally:
            from operations import pg

            with pg.connect(dbname="postgres") as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {SOURCE_DB} WITH (FORCE)")
    ratio = raw_s / ours_s
    print(f"import rate / raw COPY rate: {ratio:.2f} (target ≥ 0.5)")
    print(f"peak memory of the import: {peak_mb:.0f} MB (target < 500)")
    print(
        json.dumps(
            {
                "benchmark": "import_prisma",
                "quick": args.quick,
                "documents": documents,
                "renos_crm_rows": renos_crm,
                "rows": rows,
                "ours_s": round(ours_s, 2),
                "ours_rows_per_s": round(rows / ours_s),
                "rerun_s": round(rerun_s, 2),
                "raw_copy_s": round(raw_s, 2),
                "raw_rows_per_s": round(raw_rows / raw_s),
                "rate_ratio": round(ratio, 3),
                "peak_memory_mb": round(peak_mb),
                "meets_rate": ratio >= 0.5,
                "meets_memory": peak_mb < 500,
            }
        )
    )


if __name__ == "__main__":
    main()
