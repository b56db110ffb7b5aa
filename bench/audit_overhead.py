"""What the audit triggers cost: the same writes with the triggers enabled and disabled, in one run.

    python bench/audit_overhead.py [--quick]

Two workloads, each timed with the audit triggers of every table switched off (`ALTER TABLE … DISABLE
TRIGGER`, in the benchmark's private database) and on, alternately, best of two rounds per mode:
- `vault.services.bulk_upsert_documents` of 10,000 documents with 1536-d embeddings (1,000 with --quick),
  into empty tables (1,000 with --quick); with the triggers on it writes one summary entry per statement
  (`shared.audit.summarised_audit`), not one per row;
- 10,000 single-row service writes (1,000 with --quick): `vault.services.upsert_document`, half creating
  documents, half changing them, each in its own transaction, inside `acting_as(user)` as the admin or a
  sibling app would call it (so the actor travels with every write).
The target: at most 25 % more time with the triggers. Prints the ratios and one JSON line last.
"""

from __future__ import annotations

import argparse
import json

from _vault_data import Stopwatch, bench_database, setup_django, vector_chunks


def set_triggers(enabled: bool) -> int:
    """Enable or disable every audit trigger (pgtrigger's and the hand-written ones); return how many."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.oid::regclass::text, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal
              AND (t.tgname LIKE 'pgtrigger\\_audit%%' OR t.tgname LIKE 'audit\\_%%')
            """
        )
        triggers = cursor.fetchall()
        verb = "ENABLE" if enabled else "DISABLE"
        for table, name in triggers:
            cursor.execute(f'ALTER TABLE {table} {verb} TRIGGER "{name}"')
    return len(triggers)


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('TRUNCATE "vault"."documents" CASCADE')
        cursor.execute('TRUNCATE "shared"."audit_logs"')


def bulk_rows(count: int) -> list[dict]:
    rows = []
    for start, vectors in vector_chunks(count):
        for offset, vector in enumerate(vectors):
            i = start + offset
            rows.append(
                {
                    "source": "github",
                    "repository": f"tekup/repo-{i % 20}",
                    "path": f"src/module_{i}.py",
                    "content": f"def function_{i}():\n    return {i}\n" * 12,
                    "metadata": {"n": i},
                    "embedding": vector,
                }
            )
    return rows


def run_bulk(rows: list[dict]) -> float:
    from vault.services import bulk_upsert_documents

    empty_tables()
    with Stopwatch() as watch:
        bulk_upsert_documents(rows=rows, batch_size=1000)
    return watch.seconds


def run_single(count: int, user) -> float:
    from shared.services import acting_as
    from vault.services import upsert_document

    empty_tables()
    half = count // 2
    with Stopwatch() as watch, acting_as(user):
        for i in range(half):
            upsert_document(source="github", repository="tekup/bench", path=f"f{i}.py", content=f"v1 {i}")
        for i in range(count - half):
            upsert_document(source="github", repository="tekup/bench", path=f"f{i}.py", content=f"v2 {i}")
    return watch.seconds


def audit_rows() -> int:
    from shared.models import AuditLog

    return AuditLog.objects.count()


def measure(documents: int, writes: int) -> tuple[int, dict[str, dict[str, list[float]]], dict[str, int]]:
    """Both workloads with the triggers off and on, alternately, two rounds, in a private database; the
    number of audit triggers, the seconds of every run per workload and mode, and the audit entries
    each workload left in each mode."""
    with bench_database("bench_audit"):
        from shared.services import create_user

        user = create_user(email="bench@tekup.dk", name="Bench")
        rows = bulk_rows(documents)
        triggers = set_triggers(True)
        times: dict[str, dict[str, list[float]]] = {
            "bulk": {"off": [], "on": []},
            "single": {"off": [], "on": []},
        }
        entries = {}
        for _round in range(2):
            for mode in ("off", "on"):
                set_triggers(mode == "on")
                times["bulk"][mode].append(run_bulk(rows))
                entries[f"bulk_{mode}"] = audit_rows()
                times["single"][mode].append(run_single(writes, user))
                entries[f"single_{mode}"] = audit_rows()
        set_triggers(True)
    return triggers, times, entries


def print_ratios(triggers: int, documents: int, writes: int, best: dict, ratios: dict, entries: dict) -> None:
    print(f"audit triggers: {triggers} on the six schemas' tables")
    print(
        f"bulk_upsert_documents, {documents} documents: off {best['bulk']['off']:.2f} s, "
        f"on {best['bulk']['on']:.2f} s -> x{ratios['bulk']:.3f} "
        f"({entries['bulk_on']} audit entries with triggers on)"
    )
    print(
        f"single-row service writes, {writes}: off {best['single']['off']:.2f} s "
        f"({writes / best['single']['off']:.0f}/s), on {best['single']['on']:.2f} s "
        f"({writes / best['single']['on']:.0f}/s) -> x{ratios['single']:.3f} "
        f"({entries['single_on']} audit entries with triggers on)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows per workload instead of 10,000")
    args = parser.parse_args()
    documents = writes = 1_000 if args.quick else 10_000

    setup_django()
    triggers, times, entries = measure(documents, writes)

    best = {work: {mode: min(values) for mode, values in modes.items()} for work, modes in times.items()}
    ratios = {work: best[work]["on"] / best[work]["off"] for work in best}
    print_ratios(triggers, documents, writes, best, ratios, entries)
    within = all(ratio <= 1.25 for ratio in ratios.values())
    print("within the 25 % target" if within else "OVER the 25 % target")
    print(
        json.dumps(
            {
                "benchmark": "audit_overhead",
                "quick": args.quick,
                "documents": documents,
                "single_writes": writes,
                "bulk_off_s": round(best["bulk"]["off"], 3),
                "bulk_on_s": round(best["bulk"]["on"], 3),
                "bulk_ratio": round(ratios["bulk"], 3),
                "bulk_audit_entries": entries["bulk_on"],
                "single_off_s": round(best["single"]["off"], 3),
                "single_on_s": round(best["single"]["on"], 3),
                "single_ratio": round(ratios["single"], 3),
                "single_audit_entries": entries["single_on"],
                "within_target": within,
            }
        )
    )


if __name__ == "__main__":
    main()
