"""Public API of the vault: documents, their embeddings, semantic search and the sync status of sources.

Sibling apps, the admin and the commands call these functions instead of writing SQL. Every function is
keyword-only and typed, validates before it writes (bad input raises `ValidationError` naming what is
wrong, and nothing is written), and writes in a transaction. Upserts are single `INSERT ... ON CONFLICT`
statements, so concurrent writers of the same key end with one row and no error.

Semantic search (`semantic_search`) chooses its plan per call, because pgvector's HNSW index filters
*after* its scan: an exact scan when the rows to rank are few; otherwise the HNSW index, which on
pgvector >= 0.8 (the server's version is asked once per connection) keeps scanning until enough rows
pass the filter (`hnsw.iterative_scan`), and on older servers (0.6 has no iterative scan) reads an
`ef_search` raised to the filter's selectivity; and an exact scan again whenever the index comes back
short. Settings are only ever made with `SET LOCAL` semantics (`set_config(..., true)`), so nothing leaks
into the pooled connection.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import os
import struct
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from pgvector import Vector
from psycopg.types.json import Jsonb

from shared import validation as v
from shared.audit import summarised_audit
from tekupdb.db.replica import note_write, read_alias, reads_from_replica

from ..embedders import Embedder, get_embedder
from ..models import (
    DEFAULT_EMBEDDING_MODEL,
    EMBEDDING_DIMENSIONS,
    Document,
    Embedding,
    Source,
    SyncState,
    SyncStatus,
)

__all__ = [
    "BulkUpsertCounts",
    "SearchResult",
    "bulk_upsert_documents",
    "content_hash",
    "count_documents_needing_embedding",
    "create_document",
    "create_embedding",
    "embed_documents",
    "find_documents",
    "get_sync_status",
    "request_resync",
    "search_text",
    "semantic_search",
    "update_sync_status",
    "upsert_document",
]

_logger = logging.getLogger(__name__)
# The unique (source, repository, path) index holds a row of at most ~2,700 bytes: a repository of 255
# characters takes up to 1,020 of them, so a path gets 1,500 bytes (PostgreSQL refuses longer rows
# with "index row size exceeds maximum").
MAX_PATH_BYTES = 1500
MAX_CONTENT_LENGTH = 10_000_000
MAX_QUERY_LENGTH = 100_000

MAX_SEARCH_LIMIT = 1000
MAX_FIND_LIMIT = 10000
HNSW_MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
# A filtered HNSW search reads this many times the candidates the filter's selectivity predicts.
FILTER_EF_MARGIN = 3
# The first pgvector with iterative index scans (hnsw.iterative_scan, hnsw.max_scan_tuples).
ITERATIVE_SCAN_VERSION = (0, 8, 0)
HNSW_DEFAULT_MAX_SCAN_TUPLES = 20000  # pgvector's default for hnsw.max_scan_tuples

_DOCUMENTS = connection.ops.quote_name(Document._meta.db_table)
_EMBEDDINGS = connection.ops.quote_name(Embedding._meta.db_table)
_SYNC_STATUS = connection.ops.quote_name(SyncStatus._meta.db_table)
_DOCUMENT_COLUMNS = ", ".join(f"d.{f.column}" for f in Document._meta.concrete_fields)


@dataclass(frozen=True)
class SearchResult:
    """One answer of a semantic search: the document and its cosine similarity to the query."""

    document: Document
    similarity: float


@dataclass(frozen=True)
class BulkUpsertCounts:
    """What `bulk_upsert_documents` did: documents created, updated, unchanged; embeddings written."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    embeddings_written: int = 0

    def __add__(self, other: BulkUpsertCounts) -> BulkUpsertCounts:
        return BulkUpsertCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.embeddings_written + other.embeddings_written,
        )


# --- validation --------------------------------------------------------------------------------------


_SOURCES = frozenset(Source.values)


def _clean_source(source: Any, field: str = "source") -> str:
    if not isinstance(source, str) or source not in _SOURCES:
        return v.choice(source, name=field, choices=Source.values)
    return source


def _clean_repository(repository: Any) -> str:
    return v.text(repository, name="repository", max_length=255, strip=False)


def _clean_path(path: Any) -> str:
    return v.text(path, name="path", max_bytes=MAX_PATH_BYTES, strip=False)


def _clean_content(content: Any) -> str:
    return v.text(content, name="content", max_length=MAX_CONTENT_LENGTH, blank=True, strip=False)


def _clean_metadata(metadata: Any) -> dict:
    _metadata_json(metadata)
    return {} if metadata is None else metadata


def _metadata_json(metadata: Any) -> str:
    """`metadata` (a dict, or None for {}) as JSON text, or a ValidationError naming what is wrong."""
    if metadata is None:
        return "{}"
    return v.json_text(metadata, name="metadata", types=(dict,))


def _clean_sha(sha: Any) -> str | None:
    if sha is None:
        return None
    return v.text(sha, name="sha", max_length=255, strip=False)


def _clean_model(model: Any) -> str:
    return v.text(model, name="model", max_length=255, strip=False)


def _clean_vector(value: Any, field: str = "embedding") -> np.ndarray:
    """A 1536-d, finite, non-zero float32 vector, or a ValidationError naming what is wrong."""
    array = _vector_array(value, field)
    problem = _vector_problem(array[np.newaxis], field)
    if problem:
        raise ValidationError({field: problem[1]})
    return array


def _vector_array(value: Any, field: str = "embedding") -> np.ndarray:
    """`value` as a 1536-d float32 array (its values not yet checked), or a ValidationError."""
    if isinstance(value, np.ndarray) and value.dtype == np.float32 and value.shape == (EMBEDDING_DIMENSIONS,):
        return value  # the common case of a bulk import, without a copy
    if isinstance(value, Vector):
        value = value.to_numpy()
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        raise ValidationError({field: f"{field} must be a sequence of {EMBEDDING_DIMENSIONS} numbers."})
    try:
        with np.errstate(over="ignore"):  # values beyond float32 become inf, refused by the value check
            array = np.asarray(value)
            # Numbers only: booleans, strings and objects are not coordinates.
            if array.dtype.kind not in "fiu":
                raise TypeError(array.dtype)
            array = array.astype(np.float32)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: f"{field} must contain only numbers."}) from None
    if array.ndim != 1 or array.shape[0] != EMBEDDING_DIMENSIONS:
        actual = array.shape[0] if array.ndim == 1 else "x".join(map(str, array.shape))
        raise ValidationError({field: f"{field} has {actual} dimensions; expected {EMBEDDING_DIMENSIONS}."})
    return array


def _vector_problem(matrix: np.ndarray, field: str = "embedding") -> tuple[int, str] | None:
    """The first row of `matrix` (one vector a row) that is non-finite or zero, with what is wrong."""
    finite = np.isfinite(matrix).all(axis=1)
    bad = np.flatnonzero(~(finite & matrix.any(axis=1)))
    if not bad.size:
        return None
    row = int(bad[0])
    if not finite[row]:
        return row, f"{field} contains non-finite values (NaN or infinity)."
    return row, f"{field} is the zero vector, which has no cosine similarity."


def _clean_int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            {field: f"{field} must be an integer from {low} to {high}, not {v.shown(value)}."}
        )
    return value


def _clean_threshold(threshold: Any) -> float:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or not -1 <= threshold <= 1
    ):
        raise ValidationError(
            {"threshold": f"threshold must be a number from -1 to 1, not {v.shown(threshold)}."}
        )
    return float(threshold)


def _clean_optional_repository(repository: Any) -> str | None:
    return None if repository is None else _clean_repository(repository)


def _clean_optional_source(source: Any) -> str | None:
    return None if source is None else _clean_source(source)


def content_hash(*, content: str) -> str:
    """The hash the database generates for a document's content (`md5(content)`).

    Raises ValidationError keyed by "content": not text, or text PostgreSQL cannot hold.
    """
    return _content_hash(_clean_content(content))


def _content_hash(content: str) -> str:
    return hashlib.md5(content.encode("utf-8"), usedforsecurity=False).hexdigest()


def _vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(map(repr, vector.tolist())) + "]"


# --- documents ---------------------------------------------------------------------------------------


@reads_from_replica()
def find_documents(
    *, source: str | None = None, repository: str | None = None, limit: int = 100
) -> list[Document]:
    """Documents of a source and/or repository, most recently updated first.

    Raises ValidationError keyed by the argument: an unknown source, a repository that is not text of
    at most 255 characters, a limit outside 1..10000.
    """
    source = _clean_optional_source(source)
    repository = _clean_optional_repository(repository)
    limit = _clean_int(limit, "limit", 1, MAX_FIND_LIMIT)
    return list(
        Document.objects.for_source(source).for_repository(repository).order_by("-updated_at")[:limit]
    )


def create_document(
    *,
    source: str,
    repository: str,
    path: str,
    content: str,
    metadata: dict | None = None,
    sha: str | None = None,
) -> Document:
    """Create a document; a document with the same (source, repository, path) is an error.

    Raises ValidationError keyed by the argument: an unknown source; text with NUL, lone surrogates or
    beyond its column (a path over 1,500 bytes); metadata that is not a JSON object; a taken path.
    """
    document = Document(
        source=_clean_source(source),
        repository=_clean_repository(repository),
        path=_clean_path(path),
        content=_clean_content(content),
        metadata=_clean_metadata(metadata),
        sha=_clean_sha(sha),
    )
    try:
        with transaction.atomic():
            document.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(
            {"path": f"A document {source}:{repository}/{path} already exists; use upsert_document."}
        ) from None
    return document


def upsert_document(
    *,
    source: str,
    repository: str,
    path: str,
    content: str,
    metadata: dict | None = None,
    sha: str | None = None,
) -> tuple[Document, str]:
    """Create or update the document at (source, repository, path); return it and "created",
    "updated" or "unchanged". An unchanged document is not written, so its embedding stays fresh; new
    content changes the document's content_hash, which makes its embedding stale.

    Raises ValidationError keyed by the argument, as create_document (except for a taken path)."""
    source = _clean_source(source)
    repository = _clean_repository(repository)
    path = _clean_path(path)
    content = _clean_content(content)
    metadata = _clean_metadata(metadata)
    sha = _clean_sha(sha)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_DOCUMENTS} AS d (id, created_at, updated_at, source, repository, path, content,
                                           metadata, sha)
            VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (source, repository, path) DO UPDATE
               SET content = EXCLUDED.content, metadata = EXCLUDED.metadata, sha = EXCLUDED.sha,
                   updated_at = EXCLUDED.updated_at
             WHERE (d.content, d.metadata, d.sha)
                   IS DISTINCT FROM (EXCLUDED.content, EXCLUDED.metadata, EXCLUDED.sha)
            RETURNING d.id, d.xmax = 0
            """,
            [now, now, source, repository, path, content, Jsonb(metadata), sha],  # type: ignore[list-item]
        )
        row = cursor.fetchone()
        if row is None:  # the WHERE kept the existing row as it is
            document = Document.objects.get(source=source, repository=repository, path=path)
            return document, "unchanged"
        document = Document.objects.get(pk=row[0])
    return document, "created" if row[1] else "updated"


# --- embeddings --------------------------------------------------------------------------------------


def create_embedding(
    *, document: Document, embedding: Any, model: str = DEFAULT_EMBEDDING_MODEL
) -> Embedding:
    """Store (or replace) the embedding of `document`, made from the content the document object holds.

    Raises ValidationError keyed by the argument: a document that is not a saved Document (or is gone),
    an embedding that is not 1536 finite numbers (not all zero), a model name that is not text.
    """
    document = v.instance(document, name="document", model=Document)
    vector = _clean_vector(embedding)
    model = _clean_model(model)
    made_from = _content_hash(document.content)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # INSERT ... SELECT: a document deleted meanwhile gives no row instead of a deferred FK error.
        cursor.execute(
            f"""
            INSERT INTO {_EMBEDDINGS} AS e (id, created_at, updated_at, document_id, embedding, model,
                                            content_hash)
            SELECT gen_random_uuid(), %s, %s, d.id, %s::vector, %s, %s FROM {_DOCUMENTS} d WHERE d.id = %s
            ON CONFLICT (document_id) DO UPDATE
               SET embedding = EXCLUDED.embedding, model = EXCLUDED.model,
                   content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at
            RETURNING e.id, e.created_at, e.updated_at
            """,
            [now, now, _vector_literal(vector), model, made_from, document.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValidationError({"document": f"document {document.pk} does not exist (any more)."})
    return Embedding(
        id=row[0],
        created_at=row[1],
        updated_at=row[2],
        document=document,
        embedding=vector.tolist(),
        model=model,
        content_hash=made_from,
    )


# --- sync status -------------------------------------------------------------------------------------


def get_sync_status(*, source: str | None = None, repository: str | None = None) -> QuerySet[SyncStatus]:
    """The sync status rows of a source and/or repository (all of them without filters).

    Raises ValidationError keyed by the argument: an unknown source, a repository that is not text.
    """
    queryset = SyncStatus.objects.order_by("source", "repository")
    if source is not None:
        queryset = queryset.filter(source=_clean_source(source))
    if repository is not None:
        queryset = queryset.filter(repository=_clean_repository(repository))
    return queryset


def update_sync_status(
    *, source: str, repository: str, status: str, error_message: str | None = None
) -> SyncStatus:
    """Record the sync state of (source, repository), creating the row if needed; sets last_sync_at.

    Raises ValidationError keyed by the argument: an unknown source or status, text that PostgreSQL
    cannot hold or beyond its column.
    """
    source = _clean_source(source)
    repository = _clean_repository(repository)
    status = v.choice(status, name="status", choices=SyncState.values)
    error_message = v.optional_text(error_message, name="error_message")
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_SYNC_STATUS} AS s (id, created_at, updated_at, source, repository, status,
                                             last_sync_at, error_message)
            VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (source, repository) DO UPDATE
               SET status = EXCLUDED.status, last_sync_at = EXCLUDED.last_sync_at,
                   error_message = EXCLUDED.error_message, updated_at = EXCLUDED.updated_at
            RETURNING s.id
            """,
            [now, now, source, repository, status, now, error_message],
        )
        (pk,) = cursor.fetchone()
    return SyncStatus.objects.get(pk=pk)


def request_resync(*, sync_statuses: Iterable[SyncStatus]) -> int:
    """Mark sources for a new sync: status back to pending, error cleared, last_sync_at kept.

    Raises ValidationError keyed by "sync_statuses": not a list, tuple or QuerySet of saved SyncStatus rows.
    """
    if isinstance(sync_statuses, str | bytes | Mapping) or not isinstance(sync_statuses, Iterable):
        raise v.invalid("sync_statuses", "sync_statuses must be a list or QuerySet of SyncStatus rows.")
    ids = [v.instance(status, name="sync_statuses", model=SyncStatus).pk for status in sync_statuses]
    with transaction.atomic():
        return SyncStatus.objects.filter(pk__in=ids).update(
            status=SyncState.PENDING, error_message=None, updated_at=timezone.now()
        )


# --- semantic search ---------------------------------------------------------------------------------


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
    settings_sql = "SELECT set_config('hnsw.ef_search', %s, true), set_config('enable_seqscan', 'off', true)"
    settings_params = [str(plan.ef_search)]
    if plan.max_scan_tuples is not None:
        settings_sql += (
            ", set_config('hnsw.iterative_scan', 'relaxed_order', true),"
            " set_config('hnsw.max_scan_tuples', %s, true)"
        )
        settings_params.append(str(plan.max_scan_tuples))
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


# --- embeddings from text ----------------------------------------------------------------------------


def count_documents_needing_embedding(*, source: str | None = None, repository: str | None = None) -> int:
    """How many documents have no embedding or a stale one.

    Raises ValidationError keyed by the argument: an unknown source, a repository that is not text.
    """
    source = _clean_optional_source(source)
    repository = _clean_optional_repository(repository)
    return Document.objects.for_source(source).for_repository(repository).needing_embedding().count()


def embed_documents(
    *,
    source: str | None = None,
    repository: str | None = None,
    embedder: Embedder | None = None,
    batch_size: int | None = None,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Fill missing or stale embeddings, `batch_size` texts per embedder call; return how many were
    written. Each batch is written in its own transaction, so an interrupted run keeps its progress.

    Raises ValidationError keyed by the argument: an unknown source, a bad repository, a batch size
    outside 1..2048, a limit outside 1..10^9, an embedder without `embed`/`model`, a progress that is
    not callable; vault.embedders.EmbeddingError when the embedder fails."""
    embedder = _clean_embedder(embedder)
    progress = _clean_progress(progress)
    source = _clean_optional_source(source)
    repository = _clean_optional_repository(repository)
    batch_size = _clean_int(batch_size or settings.VAULT_EMBEDDING_BATCH_SIZE, "batch_size", 1, 2048)
    if limit is not None:
        limit = _clean_int(limit, "limit", 1, 10**9)
    embedder = embedder or get_embedder()
    pending = (
        Document.objects.for_source(source)
        .for_repository(repository)
        .needing_embedding()
        .order_by("id")
        .only("id", "content")
    )
    done, last_id = 0, None
    while limit is None or done < limit:
        page = pending if last_id is None else pending.filter(id__gt=last_id)
        size = batch_size if limit is None else min(batch_size, limit - done)
        documents = list(page[:size])
        if not documents:
            break
        vectors = embedder.embed([document.content for document in documents])
        with transaction.atomic():
            for document, vector in zip(documents, vectors, strict=True):
                create_embedding(document=document, embedding=vector, model=embedder.model)
        done += len(documents)
        last_id = documents[-1].id
        if progress is not None:
            progress(done)
    return done


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


# --- bulk import -------------------------------------------------------------------------------------

_BULK_FIELDS = frozenset(("source", "repository", "path", "content", "metadata", "sha", "embedding", "model"))
_BULK_REQUIRED = ("source", "repository", "path", "content")
# A field already in its column type's binary wire format (a vector, a uuid) is copied as "bytea": binary
# COPY carries no type information, so psycopg passes the bytes on unchanged and the server reads them
# with the column type's own receive function (vector_recv checks the dimensions and every value again).
_WIRE = "bytea"
_VECTOR_HEADER = struct.pack(">HH", EMBEDDING_DIMENSIONS, 0)


class _BulkRow(NamedTuple):
    source: str
    repository: str
    path: str
    content: str
    metadata: str  # JSON text
    sha: str | None
    embedding: memoryview | None  # the vector in PostgreSQL's binary format
    model: str


def _clean_embedder(embedder: Any) -> Embedder | None:
    if embedder is not None and not (
        callable(getattr(embedder, "embed", None)) and hasattr(embedder, "model")
    ):
        raise v.invalid("embedder", "embedder must have an embed(texts) method and a model name.")
    return embedder


def _clean_progress(progress: Any) -> Callable[[int], None] | None:
    if progress is not None and not callable(progress):
        raise v.invalid("progress", "progress must be a callable taking the number of rows done, or None.")
    return progress


def bulk_upsert_documents(
    *,
    rows: Iterable[Mapping[str, Any]],
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> BulkUpsertCounts:
    """Upsert many documents (each row a mapping of source, repository, path, content and optionally
    metadata, sha, embedding, model), `batch_size` rows at a time.

    Idempotent on (source, repository, path); within one batch the last row of a key wins. A row's
    embedding, when given, is stored as made from that row's content. Everything runs in one
    transaction: a bad row raises `ValidationError` naming it, and nothing is written. `progress` is
    called with the number of rows processed after each batch.

    Per batch: one `INSERT ... ON CONFLICT` of the documents (their fields sent as arrays), which tells
    the documents it created from those it updated; the embeddings of created documents (nothing can
    conflict with them) go straight into their table by binary COPY, any others through a temporary
    table and an upsert that keeps an embedding unchanged when nothing about it changed.

    Raises ValidationError keyed by "rows" (not an iterable of mappings; a row with unknown or missing
    fields or a bad value, named by its index), "batch_size" (outside 1..100000) or "progress" (not
    callable); nothing is written."""
    batch_size = _clean_int(batch_size, "batch_size", 1, 100_000)
    progress = _clean_progress(progress)
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        raise v.invalid("rows", "rows must be an iterable of mappings (one per document).")
    totals = BulkUpsertCounts()
    processed = 0
    iterator = iter(rows)
    # One audit entry per statement of a batch, not one per document (shared.audit.summarised_audit).
    with summarised_audit("vault.bulk_upsert_documents"), connection.cursor():
        note_write()  # COPY and the raw cursor below bypass Django's execute wrappers
        raw = connection.connection  # the psycopg 3 connection under Django's cursor
        # The embeddings of new documents record a content hash made here; it must be the md5 of the
        # bytes the database hashes (always the case with a UTF8 database).
        hashes_here = raw.info.parameter_status("server_encoding") == "UTF8"
        # Server-side binding: the batch's fields travel as parameters, not as SQL text to be parsed.
        with psycopg.Cursor(raw) as cursor:
            while batch := list(itertools.islice(iterator, batch_size)):
                cleaned = _clean_bulk_batch(batch, first_index=processed)
                totals += _write_batch(cursor, cleaned, hashes_here=hashes_here)
                processed += len(batch)
                if progress is not None:
                    progress(processed)
            cursor.execute("DROP TABLE IF EXISTS vault_bulk_vectors")
    return totals


def _register_vector(raw) -> None:
    if raw.adapters.types.get("vector") is None:
        from pgvector.psycopg import register_vector

        register_vector(raw)


def _clean_bulk_batch(batch: list[Mapping[str, Any]], *, first_index: int) -> list[_BulkRow]:
    """The batch's rows validated, one per key (the last wins), sorted by key; vectors in wire format."""
    by_key: dict[tuple[str, str, str], tuple[_BulkRow, int | None]] = {}
    vectors: list[np.ndarray] = []
    vector_offsets: list[int] = []
    failure: tuple[int, ValidationError] | None = None
    for offset, row in enumerate(batch):
        try:
            if not isinstance(row, Mapping):
                raise ValidationError(f"must be a mapping, not {type(row).__name__}.")
            if not _BULK_FIELDS.issuperset(row):
                raise ValidationError(f"unknown fields {', '.join(sorted(set(row) - _BULK_FIELDS))}.")
            missing = [name for name in _BULK_REQUIRED if name not in row]
            if missing:
                raise ValidationError(f"missing {', '.join(missing)}.")
            key = (
                _clean_source(row["source"]),
                _clean_repository(row["repository"]),
                _clean_path(row["path"]),
            )
            cleaned = _BulkRow(
                *key,
                content=_clean_content(row["content"]),
                metadata=_metadata_json(row.get("metadata")),
                sha=_clean_sha(row.get("sha")),
                embedding=None,
                model=_clean_model(row.get("model") or DEFAULT_EMBEDDING_MODEL),
            )
            vector = row.get("embedding")
            if vector is None:
                by_key[key] = (cleaned, None)
            else:
                vectors.append(_vector_array(vector))
                by_key[key] = (cleaned, len(vector_offsets))
                vector_offsets.append(offset)
        except ValidationError as exc:
            failure = (offset, exc)
            break
    wire = memoryview(b"")
    if vectors:
        # Each vector in PostgreSQL's binary format (header, then big-endian floats), written once into
        # one buffer; the rows hold views of it. All the values are checked at once.
        width = len(_VECTOR_HEADER) + 4 * EMBEDDING_DIMENSIONS
        buffer = np.empty((len(vectors), width), dtype=np.uint8)
        buffer[:, : len(_VECTOR_HEADER)] = np.frombuffer(_VECTOR_HEADER, dtype=np.uint8)
        matrix = buffer[:, len(_VECTOR_HEADER) :].view(">f4")
        np.stack(vectors, out=matrix)
        problem = _vector_problem(matrix)
        if problem and (failure is None or vector_offsets[problem[0]] < failure[0]):
            failure = (vector_offsets[problem[0]], ValidationError({"embedding": problem[1]}))
        wire = buffer.reshape(-1).data
    if failure is not None:
        offset, refusal = failure
        raise v.invalid("rows", f"row {first_index + offset}: {'; '.join(refusal.messages)}")
    # Sorted by key, so that concurrent imports lock rows in the same order.
    return [
        row if vector is None else row._replace(embedding=wire[vector * width : (vector + 1) * width])
        for row, vector in (by_key[key] for key in sorted(by_key))
    ]


def _new_ids(count: int) -> list[bytes]:
    """`count` random (version 4) UUIDs, each as its 16 bytes."""
    ids = np.frombuffer(bytearray(os.urandom(16 * count)), dtype=np.uint8).reshape(count, 16)
    ids[:, 6] = (ids[:, 6] & 0x0F) | 0x40
    ids[:, 8] = (ids[:, 8] & 0x3F) | 0x80
    data = ids.tobytes()
    return [data[start : start + 16] for start in range(0, len(data), 16)]


def _write_batch(cursor, rows: list[_BulkRow], *, hashes_here: bool) -> BulkUpsertCounts:
    ids = _new_ids(len(rows))
    cursor.execute(
        f"""
        WITH upserted AS (
            INSERT INTO {_DOCUMENTS} AS d (id, source, repository, path, content, metadata, sha)
            SELECT r.id::uuid, r.source, r.repository, r.path, r.content, r.metadata::jsonb, r.sha
              FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
                          %b::text[]) AS r(id, source, repository, path, content, metadata, sha)
            ON CONFLICT (source, repository, path) DO UPDATE
               SET content = EXCLUDED.content, metadata = EXCLUDED.metadata, sha = EXCLUDED.sha,
                   updated_at = EXCLUDED.updated_at
             WHERE (d.content, d.metadata, d.sha)
                   IS DISTINCT FROM (EXCLUDED.content, EXCLUDED.metadata, EXCLUDED.sha)
            RETURNING d.id, d.xmax = 0 AS created
        )
        SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created),
               -- which documents are new, only when not all of them are
               CASE WHEN count(*) FILTER (WHERE created) < %s THEN array_agg(id) FILTER (WHERE created) END
          FROM upserted
        """,
        [[pk.hex() for pk in ids], *map(list, itertools.islice(zip(*rows, strict=True), 6)), len(rows)],
    )
    created, updated, created_ids = cursor.fetchone()
    if created == len(rows):
        new = [True] * len(rows)
    else:
        created_ids = {pk.bytes for pk in created_ids or ()}
        new = [pk in created_ids for pk in ids]
    with_vector = [
        (pk, row, is_new) for pk, row, is_new in zip(ids, rows, new, strict=True) if row.embedding is not None
    ]
    fresh = [(pk, row) for pk, row, is_new in with_vector if is_new]
    others = [row for _, row, is_new in with_vector if not is_new]
    if not hashes_here:
        others += [row for _, row in fresh]
        fresh = []
    written = 0
    if fresh:
        # Documents created by this statement: nothing else can have an embedding for them yet.
        with cursor.copy(
            f"COPY {_EMBEDDINGS} (document_id, embedding, model, content_hash) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types([_WIRE, _WIRE, "text", "text"])
            for pk, row in fresh:
                copy.write_row((pk, row.embedding, row.model, _content_hash(row.content)))
        written += len(fresh)
    if others:
        written += _upsert_embeddings(cursor, others)
    return BulkUpsertCounts(
        created=created, updated=updated, unchanged=len(rows) - created - updated, embeddings_written=written
    )


def _upsert_embeddings(cursor, rows: list[_BulkRow]) -> int:
    """Upsert the embeddings of existing documents, keeping any that would not change."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS vault_bulk_vectors (source text, repository text, path text, "
        "embedding vector, model text) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE vault_bulk_vectors")
    with cursor.copy(
        "COPY vault_bulk_vectors (source, repository, path, embedding, model) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["text", "text", "text", _WIRE, "text"])
        for row in rows:
            copy.write_row((row.source, row.repository, row.path, row.embedding, row.model))
    cursor.execute(
        f"""
        INSERT INTO {_EMBEDDINGS} AS e (document_id, embedding, model, content_hash)
        SELECT d.id, r.embedding, r.model, d.content_hash
          FROM vault_bulk_vectors r
         -- one unique-index lookup per row (OFFSET 0 keeps the nested loop): a hash join would read
         -- the whole documents table for every batch
         CROSS JOIN LATERAL (SELECT id, content_hash FROM {_DOCUMENTS} d
                              WHERE (d.source, d.repository, d.path) = (r.source, r.repository, r.path)
                             OFFSET 0) d
         ORDER BY d.id
        ON CONFLICT (document_id) DO UPDATE
           SET embedding = EXCLUDED.embedding, model = EXCLUDED.model,
               content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at
         WHERE (e.embedding, e.model, e.content_hash)
               IS DISTINCT FROM (EXCLUDED.embedding, EXCLUDED.model, EXCLUDED.content_hash)
        """
    )
    return cursor.rowcount
