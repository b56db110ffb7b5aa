"""Bulk import: `vault.services.bulk_upsert_documents` against a raw binary COPY, Django's
`bulk_create` and a `save()` loop, writing the same documents with their 1536-d embeddings.

One process, the same seeded rows (100,000 by default, 10,000 with --quick), the tables emptied before
each method. The HNSW index is dropped for the comparison (a bulk load builds it afterwards, and every
method would pay the same per-row index insertion); `bulk_upsert_documents` is also timed re-importing
unchanged rows, and once with the index in place. `bulk_create` and the `save()` loop run on a subset
(rows/s is what is compared); the `save()` loop runs as such loops are written, each save in its own
transaction (autocommit). Prints one JSON line of figures last.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import uuid

from _vault_data import Stopwatch, bench_database, repository_of, setup_django, vector_chunks


def make_rows(count: int) -> list[dict]:
    rows = []
    for start, vectors in vector_chunks(count):
        for offset, vector in enumerate(vectors):
            i = start + offset
            rows.append(
                {
                    "source": "github",
                    "repository": repository_of(i),
                    "path": f"src/module_{i}.py",
                    "content": f"def function_{i}():\n    return {i}\n" * 12,
                    "metadata": {"bytes": 400, "n": i},
                    "sha": hashlib.sha1(str(i).encode()).hexdigest(),
                    "embedding": vector,
                }
            )
    return rows


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('TRUNCATE "vault"."documents" CASCADE')


def raw_copy(rows: list[dict]) -> float:
    """Two binary COPYs (documents, then embeddings) on a plain psycopg connection, ids made here."""
    import psycopg
    from django.db import connection
    from django.utils import timezone
    from pgvector.psycopg import register_vector

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as raw:
        register_vector(raw)
        now = timezone.now()
        with Stopwatch() as watch, raw.transaction(), raw.cursor() as cursor:
            ids = [uuid.uuid4() for _ in rows]
            with cursor.copy(
                'COPY "vault"."documents" (id, created_at, updated_at, source, repository, path, content, '
                "metadata, sha) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(
                    ["uuid", "timestamptz", "timestamptz", "text", "text", "text", "text", "jsonb", "text"]
                )
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row(
                        (
                            pk,
                            now,
                            now,
                            row["source"],
                            row["repository"],
                            row["path"],
                            row["content"],
                            row["metadata"],
                            row["sha"],
                        )
                    )
            with cursor.copy(
                'COPY "vault"."embeddings" (id, created_at, updated_at, document_id, embedding, model, '
                "content_hash) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["uuid", "timestamptz", "timestamptz", "uuid", "vector", "text", "text"])
                for pk, row in zip(ids, rows, strict=True):
                    made_from = hashlib.md5(row["content"].encode(), usedforsecurity=False).hexdigest()
                    copy.write_row(
                        (uuid.uuid4(), now, now, pk, row["embedding"], "text-embedding-3-small", made_from)
                    )
    return watch.seconds


def ours(rows: list[dict]) -> tuple[float, object]:
    from vault.services import bulk_upsert_documents

    with Stopwatch() as watch:
        counts = bulk_upsert_documents(rows=rows, batch_size=1000)
    return watch.seconds, counts


def django_bulk_create(rows: list[dict]) -> float:
    from django.db import transaction

    from vault.models import Document, Embedding
    from vault.services import content_hash

    with Stopwatch() as watch, transaction.atomic():
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            documents = Document.objects.bulk_create(
                [
                    Document(
                        source=r["source"],
                        repository=r["repository"],
                        path=r["path"],
                        content=r["content"],
                        metadata=r["metadata"],
                        sha=r["sha"],
                    )
                    for r in chunk
                ]
            )
            Embedding.objects.bulk_create(
                [
                    Embedding(
                        document=d, embedding=r["embedding"], content_hash=content_hash(content=r["content"])
                    )
                    for d, r in zip(documents, chunk, strict=True)
                ]
            )
    return watch.seconds


def save_loop(rows: list[dict]) -> float:
    """The loop as it is usually written: each save() in autocommit, i.e. its own transaction."""
    from vault.models import Document, Embedding
    from vault.services import content_hash

    with Stopwatch() as watch:
        for r in rows:
            document = Document(
                source=r["source"],
                repository=r["repository"],
                path=r["path"],
                content=r["content"],
                metadata=r["metadata"],
                sha=r["sha"],
            )
            document.save()
            Embedding(
                document=document, embedding=r["embedding"], content_hash=content_hash(content=r["content"])
            ).save()
    return watch.seconds


def run(count: int, bulk_create_count: int, save_count: int, indexed_count: int) -> dict:
    from django.db import connection

    figures = {"bench": "vault_ingest", "rows": count, "dimensions": 1536}
    rows = make_rows(count)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'embeddings_embedding_hnsw'")
        (index_sql,) = cursor.fetchone()
        cursor.execute('DROP INDEX "vault"."embeddings_embedding_hnsw"')

    empty_tables()
    seconds = raw_copy(rows)
    figures["raw_binary_copy"] = {"rows": count, "rows_per_s": round(count / seconds)}

    empty_tables()
    seconds, counts = ours(rows)
    assert counts.created == count and counts.embeddings_written == count, counts
    figures["ours_bulk_upsert"] = {"rows": count, "rows_per_s": round(count / seconds)}
    seconds, counts = ours(rows)
    assert counts.unchanged == count, counts
    figures["ours_bulk_upsert_unchanged"] = {"rows": count, "rows_per_s": round(count / seconds)}

    empty_tables()
    seconds = django_bulk_create(rows[:bulk_create_count])
    figures["django_bulk_create"] = {
        "rows": bulk_create_count,
        "rows_per_s": round(bulk_create_count / seconds),
    }

    empty_tables()
    seconds = save_loop(rows[:save_count])
    figures["django_save_loop"] = {"rows": save_count, "rows_per_s": round(save_count / seconds)}

    empty_tables()
    with connection.cursor() as cursor:
        cursor.execute(index_sql)
    seconds, _ = ours(rows[:indexed_count])
    figures["ours_bulk_upsert_with_hnsw_index"] = {
        "rows": indexed_count,
        "rows_per_s": round(indexed_count / seconds),
    }
    connection.close()

    ours_rate = figures["ours_bulk_upsert"]["rows_per_s"]
    figures["ratios"] = {
        "ours_over_raw_copy": round(ours_rate / figures["raw_binary_copy"]["rows_per_s"], 2),
        "ours_over_bulk_create": round(ours_rate / figures["django_bulk_create"]["rows_per_s"], 1),
        "ours_over_save_loop": round(ours_rate / figures["django_save_loop"]["rows_per_s"], 1),
    }
    figures["targets_met"] = {
        "at_least_half_of_raw_copy": figures["ratios"]["ours_over_raw_copy"] >= 0.5,
        "5x_bulk_create": figures["ratios"]["ours_over_bulk_create"] >= 5,
        "50x_save_loop": figures["ratios"]["ours_over_save_loop"] >= 50,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows: a minute or two")
    parser.add_argument("--rows", type=int, help="override the number of rows")
    args = parser.parse_args()
    count = args.rows or (10_000 if args.quick else 100_000)
    subsets = (
        (min(count, 5000), min(count, 500), min(count, 2000))
        if args.quick
        else (min(count, 20_000), min(count, 2000), min(count, 5000))
    )
    setup_django()
    started = time.perf_counter()
    with bench_database():
        figures = run(count, *subsets)
    figures["mode"] = "quick" if args.quick else "full"
    figures["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
