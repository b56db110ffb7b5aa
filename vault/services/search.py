"""Semantic search: the documents nearest to an embedding, or to a text embedded for the purpose.

Semantic search (`semantic_search`) chooses its plan per call, because pgvector's HNSW index filters
*after* its scan: an exact scan when the rows to rank are few; otherwise the HNSW index, which on
pgvector >= 0.8 (the server's version is asked once per connection) keeps scanning until enough rows
pass the filter (`hnsw.iterative_scan`), and on older servers (0.6 has no iterative scan) reads an
`ef_search` raised to the filter's selectivity; and an exact scan again whenever the index comes back
short. Settings are only ever made with `SET LOCAL` semantics (`set_config(..., true)`), so nothing leaks
into the pooled connection.
"""

from __future__ import annotations

import logging
import math
import weakref
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg
from django.conf import settings
from django.db import connections
from pgvector import Vector

from shared import validation as v
from tekupdb.db.replica import read_alias, reads_from_replica

from ..embedders import Embedder, get_embedder
from ..models import Document
from .tables import _DOCUMENTS, _EMBEDDINGS
from .validation import (
    _clean_embedder,
    _clean_int,
    _clean_optional_repository,
    _clean_optional_source,
    _clean_threshold,
    _clean_vector,
)

# The package's name, as when the search lived in vault/services.py: logging configurations and tests
# know the plan log by it.
_logger = logging.getLogger("vault.services")

MAX_QUERY_LENGTH = 100_000
MAX_SEARCH_LIMIT = 1000
HNSW_MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
# A filtered HNSW search reads this many times the candidates the filter's selectivity predicts.
FILTER_EF_MARGIN = 3
# The first pgvector with iterative index scans (hnsw.iterative_scan, hnsw.max_scan_tuples).
ITERATIVE_SCAN_VERSION = (0, 8, 0)
HNSW_DEFAULT_MAX_SCAN_TUPLES = 20000  # pgvector's default for hnsw.max_scan_tuples

_DOCUMENT_COLUMNS = ", ".join(f"d.{f.column}" for f in Document._meta.concrete_fields)


@dataclass(frozen=True)
class SearchResult:
    """One answer of a semantic search: the document and its cosine similarity to the query."""

    document: Document
    similarity: float


@reads_from_replica()
def semantic_search(
    *,
    embedding: Any,
    limit: int = 10,
    threshold: float = 0.7,
    source: str | None = None,
    repository: str | None = None,
) -> list[SearchResult]:
    """The documents nearest to `embedding` by cosine similarity, best first, all with similarity above
    `threshold`. With a source or repository filter the answer is the top `limit` of the matching rows:
    a selective filter never shrinks it (fewer come back only when fewer pass the threshold).

    The threshold is applied to the top `limit`: similarity falls as distance grows, so the rows above
    the threshold among the nearest `limit` are exactly the nearest rows above the threshold.

    Raises ValidationError keyed by the argument: an embedding that is not 1536 finite numbers (not all
    zero), a limit outside 1..1000, a threshold outside -1..1, an unknown source, a bad repository."""
    vector = _clean_vector(embedding)
    limit = _clean_int(limit, "limit", 1, MAX_SEARCH_LIMIT)
    threshold = _clean_threshold(threshold)
    source = _clean_optional_source(source)
    repository = _clean_optional_repository(repository)

    where, where_params = [], []
    if source is not None:
        where.append("d.source = %s")
        where_params.append(source)
    if repository is not None:
        where.append("d.repository = %s")
        where_params.append(repository)
    query = Vector(vector)

    # On the read replica when one is configured (tekupdb.db.replica decides, as the router does).
    using = read_alias()
    cursor = _search_cursor(using)
    plan = _choose_plan(cursor, limit=limit, where=where, where_params=where_params)
    rows = None
    if plan is not None:
        rows = _hnsw_search(cursor, query, limit, plan, where, where_params)
        if len(rows) < limit:  # the index ran short (filter or graph): rank the rows exactly
            _logger.debug("semantic_search: the index gave %d of %d rows", len(rows), limit)
            rows = None
    if rows is None:
        _logger.debug("semantic_search: exact scan")
        rows = _exact_search(cursor, query, limit, where, where_params)
    results = [
        SearchResult(document=document, similarity=1.0 - distance)
        for document, distance in _documents_with_distance(rows, using)
    ]
    return [result for result in results if result.similarity > threshold]


def _search_cursor(using: str) -> psycopg.Cursor:
    """A server-side-binding cursor on Django's own connection (and transaction): the query vector
    travels as 6 KB of binary instead of a 20 KB text literal that both sides would have to format and
    parse (Django's cursors bind on the client)."""
    conn = connections[using]
    conn.ensure_connection()
    raw = conn.connection
    _register_vector(raw)
    return psycopg.Cursor(raw)


def _register_vector(raw) -> None:
    if raw.adapters.types.get("vector") is None:
        from pgvector.psycopg import register_vector

        register_vector(raw)


class _IndexPlan(NamedTuple):
    """How to ask the HNSW index: its candidate list, and (pgvector >= 0.8, filtered) how far an
    iterative scan may go before giving up (None: no iterative scan)."""

    ef_search: int
    max_scan_tuples: int | None = None


# pgvector's version per raw connection: asked once, forgotten with the connection.
_pgvector_versions: weakref.WeakKeyDictionary[psycopg.Connection, tuple[int, ...]] = (
    weakref.WeakKeyDictionary()
)


def _pgvector_version(raw: psycopg.Connection) -> tuple[int, ...]:
    """The pgvector version installed in the connected database, e.g. (0, 8, 2); () without it."""
    version = _pgvector_versions.get(raw)
    if version is None:
        with psycopg.Cursor(raw) as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        version = tuple(int(part) for part in row[0].split(".") if part.isdigit()) if row else ()
        _pgvector_versions[raw] = version
    return version


def _choose_plan(cursor, *, limit: int, where: list[str], where_params: list) -> _IndexPlan | None:
    """How to use the HNSW index, or None when an exact scan is the better (or only correct) plan: a
    filter that leaves few rows, or, without iterative scans, one so selective that the index would need
    more candidates than pgvector allows. An unfiltered search always tries the index (a short answer
    falls back)."""
    ef_floor = max(settings.VAULT_SEARCH_EF_SEARCH, limit)
    if not where:
        _logger.debug("semantic_search: HNSW, ef_search %d", min(ef_floor, HNSW_MAX_EF_SEARCH))
        return _IndexPlan(min(ef_floor, HNSW_MAX_EF_SEARCH))
    exact_max = settings.VAULT_SEARCH_EXACT_MAX_ROWS
    # The planner's own estimate of the rows: rows per page at the last ANALYZE times today's pages.
    cursor.execute(
        """
        SELECT CASE WHEN relpages > 0 AND reltuples >= 0
                    THEN (reltuples / relpages
                          * (pg_relation_size(oid) / current_setting('block_size')::int))::bigint
                    ELSE -1 END
          FROM pg_class WHERE oid = %s::regclass
        """,
        [_EMBEDDINGS],
    )
    total = cursor.fetchone()[0]
    if total < 0:  # never analysed
        cursor.execute(f"SELECT count(*) FROM {_EMBEDDINGS}")
        total = cursor.fetchone()[0]
    # Count the filter's documents, but stop where the count no longer changes the plan.
    enough = max(exact_max + 1, math.ceil(FILTER_EF_MARGIN * limit * max(total, 1) / ef_floor))
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {_DOCUMENTS} d WHERE {' AND '.join(where)} LIMIT %s) m",
        [*where_params, enough],
    )
    matching = cursor.fetchone()[0]
    if matching <= exact_max or total <= exact_max:
        return None
    # The index candidates the filter's selectivity predicts are needed to find `limit` matching rows.
    needed = math.ceil(FILTER_EF_MARGIN * limit * max(total, matching) / matching)
    if _pgvector_version(cursor.connection) >= ITERATIVE_SCAN_VERSION:
        # The index keeps scanning until `limit` rows pass the filter: no ef_search has to guess the
        # selectivity, and a filter far from the query is followed as far as `max_scan_tuples` allows.
        max_scan_tuples = max(HNSW_DEFAULT_MAX_SCAN_TUPLES, needed)
        _logger.debug(
            "semantic_search: HNSW iterative scan, ef_search %d for %d of ~%d rows", ef_floor, matching, total
        )
        return _IndexPlan(min(ef_floor, HNSW_MAX_EF_SEARCH), max_scan_tuples)
    ef_search = max(ef_floor, needed)
    if ef_search > HNSW_MAX_EF_SEARCH:
        return None
    _logger.debug("semantic_search: HNSW, ef_search %d for %d of ~%d rows", ef_search, matching, total)
    return _IndexPlan(ef_search)


def _hnsw_search(cursor, query: Vector, limit: int, plan: _IndexPlan, where: list[str], where_params: list):
    """The index scan: the nearest candidates from HNSW, then the filter, then the top `limit`.

    Without iterative scan the index gives `ef_search` candidates and the filter is applied to them;
    with it (pgvector >= 0.8) the filter is applied inside the scan, which goes on until `limit` rows
    pass (relaxed order, re-sorted here: pgvector's advice, and better recall than strict order).
    The settings are made with SET LOCAL semantics and never outlive the query (see below)."""
    raw = cursor.connection
    sql, params = _hnsw_query(query, limit, plan, where, where_params)
    settings_sql, settings_params = _hnsw_settings(plan)
    # One round trip whatever the caller's state: the statements are queued and sent with a single Sync.
    # Outside a transaction they form one implicit transaction that ends at the Sync, taking the local
    # settings with it; inside one (a Django atomic block) a savepoint rolled back undoes them.
    # (psycopg's own transaction() syncs at its start and its end: three round trips instead of one.)
    in_transaction = not raw.autocommit or raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    with raw.pipeline(), psycopg.Cursor(raw) as setting:
        if in_transaction:
            setting.execute("SAVEPOINT tekup_vault_search")
        # enable_seqscan off: the plan is chosen here already. pgvector 0.8 prices an HNSW scan by its
        # ef_search, and at 100 on 100,000 rows it prices a parallel exact scan cheaper (~100x slower).
        setting.execute(settings_sql, settings_params)
        cursor.execute(sql, params)
        if in_transaction:
            setting.execute("ROLLBACK TO SAVEPOINT tekup_vault_search")
            setting.execute("RELEASE SAVEPOINT tekup_vault_search")
    return cursor.fetchall()


def _hnsw_query(
    query: Vector, limit: int, plan: _IndexPlan, where: list[str], where_params: list
) -> tuple[str, list]:
    """The index scan's SQL and parameters: the filter inside the scan (iterative) or after it."""
    filtered = "WHERE " + " AND ".join(where) if where else ""
    if plan.max_scan_tuples is not None:
        sql = f"""
            WITH c AS MATERIALIZED (
                SELECT e.document_id, e.embedding <=> %s AS distance
                  FROM {_EMBEDDINGS} e
                  JOIN {_DOCUMENTS} d ON d.id = e.document_id
                 {filtered}
                 ORDER BY e.embedding <=> %s
                 LIMIT %s)
            SELECT {_DOCUMENT_COLUMNS}, c.distance
              FROM c JOIN {_DOCUMENTS} d ON d.id = c.document_id
             ORDER BY c.distance, d.id
        """
        params = [query, *where_params, query, limit]
    else:
        sql = f"""
            SELECT {_DOCUMENT_COLUMNS}, c.distance
              FROM (SELECT e.document_id, e.embedding <=> %s AS distance
                      FROM {_EMBEDDINGS} e
                     ORDER BY e.embedding <=> %s
                     LIMIT %s) c
              JOIN {_DOCUMENTS} d ON d.id = c.document_id
             {filtered}
             ORDER BY c.distance, d.id
             LIMIT %s
        """
        params = [query, query, plan.ef_search if where else limit, *where_params, limit]
    return sql, params


def _hnsw_settings(plan: _IndexPlan) -> tuple[str, list[str]]:
    """One SELECT of set_config(..., true) calls: the plan's settings, local to the transaction."""
    settings_sql = "SELECT set_config('hnsw.ef_search', %s, true), set_config('enable_seqscan', 'off', true)"
    settings_params = [str(plan.ef_search)]
    if plan.max_scan_tuples is not None:
        settings_sql += (
            ", set_config('hnsw.iterative_scan', 'relaxed_order', true),"
            " set_config('hnsw.max_scan_tuples', %s, true)"
        )
        settings_params.append(str(plan.max_scan_tuples))
    return settings_sql, settings_params


def _exact_search(cursor, query: Vector, limit: int, where: list[str], where_params: list):
    """The exact scan: `cosine_distance()` (the function, not the `<=>` operator) is served by no index,
    so PostgreSQL ranks every matching row. With a filter, the filter's index finds the documents and each
    one's embedding is fetched by document id (the OFFSET 0 keeps that nested loop: a hash join would read
    every embedding row of the table to rank a few hundred)."""
    if where:
        sql = f"""
            SELECT {_DOCUMENT_COLUMNS}, x.distance
              FROM {_DOCUMENTS} d
             CROSS JOIN LATERAL (SELECT cosine_distance(e.embedding, %s) AS distance
                                   FROM {_EMBEDDINGS} e WHERE e.document_id = d.id OFFSET 0) x
             WHERE {" AND ".join(where)}
             ORDER BY x.distance, d.id
             LIMIT %s
        """
    else:
        sql = f"""
            SELECT {_DOCUMENT_COLUMNS}, cosine_distance(e.embedding, %s) AS distance
              FROM {_EMBEDDINGS} e
              JOIN {_DOCUMENTS} d ON d.id = e.document_id
             ORDER BY distance, d.id
             LIMIT %s
        """
    cursor.execute(sql, [query, *where_params, limit])
    return cursor.fetchall()


def _documents_with_distance(rows, using: str) -> list[tuple[Document, float]]:
    """Documents built from raw rows as the ORM would (its column converters, e.g. JSON, applied)."""
    fields = Document._meta.concrete_fields
    names = [field.attname for field in fields]
    converters = [
        (index, field.from_db_value) for index, field in enumerate(fields) if hasattr(field, "from_db_value")
    ]
    found = []
    for row in rows:
        values = list(row[:-1])
        for index, convert in converters:
            values[index] = convert(values[index], None, connections[using])
        found.append((Document.from_db(using, names, values), float(row[-1])))
    return found


@reads_from_replica()
def search_text(
    *,
    query: str,
    limit: int = 10,
    threshold: float = 0.7,
    source: str | None = None,
    repository: str | None = None,
    embedder: Embedder | None = None,
) -> list[SearchResult]:
    """Embed `query` with the configured embedder and run `semantic_search` with it.

    Raises ValidationError keyed by the argument: a query that is not non-empty text (at most 100,000
    characters), an embedder without `embed`/`model`, and what semantic_search raises for the rest;
    vault.embedders.EmbeddingError when the embedder fails.
    """
    query = v.text(query, name="query", max_length=MAX_QUERY_LENGTH)
    embedder = _clean_embedder(embedder)
    _clean_int(limit, "limit", 1, MAX_SEARCH_LIMIT)
    _clean_threshold(threshold)
    _clean_optional_source(source)
    _clean_optional_repository(repository)
    embedder = embedder or get_embedder()
    (vector,) = embedder.embed([query])
    return semantic_search(
        embedding=vector, limit=limit, threshold=threshold, source=source, repository=repository
    )
